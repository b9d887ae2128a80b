"""What blocks an object from being restored: a dependency that neither exists in Looker nor is
being restored (a LookML model or explore, a folder, a look or dashboard a tile points at)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lookervault.restore.target import Target

__all__ = ["missing_explores", "queries_of"]


def queries_of(kind: str, obj: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """The queries an object runs (a look's, each query tile's)."""
    if kind == "looks" and isinstance(obj.get("query"), dict):
        yield obj["query"]
    if kind == "dashboards":
        for element in obj.get("dashboard_elements") or ():
            if isinstance(element.get("query"), dict) and element.get("look_id") is None:
                yield element["query"]


async def missing_explores(target: Target, kind: str, obj: dict[str, Any]) -> list[str]:
    """``model::explore`` of every query of ``obj`` whose explore Looker no longer has."""
    missing = []
    for query in queries_of(kind, obj):
        model, view = str(query.get("model")), str(query.get("view"))
        if not await target.explore_exists(model, view):
            missing.append(f"{model}::{view}")
    return sorted(set(missing))
