"""Which content types a run backs up: those asked for (all by default), minus --exclude.

A child type cannot be read without its parents, so excluding a parent excludes its children
too (said so in their outcome).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lookervault.content import ChildSource, ContentType, check_names, resolve_content_types

__all__ = ["Selection", "select_types"]


@dataclass(frozen=True)
class Selection:
    """The types to back up, and each excluded type with why."""

    types: tuple[ContentType, ...]
    excluded: dict[str, str] = field(default_factory=dict)


def select_types(names: tuple[str, ...], exclude: tuple[str, ...] = ()) -> Selection:
    """The types `names` resolve to (parents included), without those `exclude` names.

    Raises:
        UsageError: an unknown type name in `names` or `exclude`.
    """
    wanted = resolve_content_types(names)
    left_out = set(check_names(exclude))
    excluded: dict[str, str] = {}
    for ct in wanted:
        parents = ct.source.parents if isinstance(ct.source, ChildSource) else ()
        if ct.name in left_out:
            excluded[ct.name] = "--exclude"
        elif any(parent in left_out for parent in parents):
            gone = ", ".join(parent for parent in parents if parent in left_out)
            excluded[ct.name] = f"needs {gone}, which is excluded"
    return Selection(tuple(ct for ct in wanted if ct.name not in excluded), excluded)
