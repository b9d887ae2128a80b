"""What changed between two runs: items added, removed, changed or unseen, and field by field."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from lookervault.content import id_sort_key
from lookervault.errors import UsageError
from lookervault.history import load_json
from lookervault.telemetry import is_telemetry
from lookervault.vault.queries import FULL_HISTORY, RUN_COMPLETE, DiffRow, RunRecord
from lookervault.vault.store import Vault

__all__ = [
    "FieldChange",
    "ItemDiff",
    "ItemRef",
    "RunDiff",
    "TypeDiff",
    "diff_item",
    "diff_runs",
    "field_changes",
]


@dataclass(frozen=True, slots=True)
class ItemRef:
    """An item named in a diff."""

    item_id: str
    title: str | None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict: ``id`` and ``title``, the words of `show --json` and the export."""
        return {"id": self.item_id, "title": self.title}


@dataclass(slots=True)
class TypeDiff:
    """What changed in one content type between two runs."""

    added: list[ItemRef] = field(default_factory=list)
    removed: list[ItemRef] = field(default_factory=list)
    changed: list[ItemRef] = field(default_factory=list)
    # In one snapshot, not seen at all by the other (partial) run: neither added nor removed.
    unseen: list[ItemRef] = field(default_factory=list)

    def sort(self) -> None:
        """Order every list by id, numbers first."""
        for refs in (self.added, self.removed, self.changed, self.unseen):
            refs.sort(key=lambda ref: id_sort_key(ref.item_id))

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict: each kind of change, a list of ``{"id", "title"}``."""
        kinds = {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "unseen": self.unseen,
        }
        return {kind: [ref.as_json() for ref in refs] for kind, refs in kinds.items()}


@dataclass(frozen=True, slots=True)
class RunDiff:
    """Items added, removed and changed per type from run A to run B."""

    run_a: int
    run_b: int
    notes: list[str]
    types: dict[str, TypeDiff]

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "run_a": self.run_a,
            "run_b": self.run_b,
            "notes": self.notes,
            "types": {name: diff.as_json() for name, diff in self.types.items()},
        }


@dataclass(frozen=True, slots=True)
class _Side:
    """How to read an item's absence from a run's snapshot."""

    run_id: int
    complete: bool  # a complete, fully recorded run: absence means gone
    scope: frozenset[str]  # types it extracted (empty: unknown, all)

    def covers(self, content_type: str) -> bool:
        return not self.scope or content_type in self.scope


def _run(vault: Vault, run_id: int) -> RunRecord:
    run = vault.queries.run(run_id)
    if run is None:
        raise UsageError(f"no run {run_id} in vault {vault.path}")
    return run


def _side(vault: Vault, run_id: int, notes: list[str]) -> _Side:
    run = _run(vault, run_id)
    complete = run.status == RUN_COMPLETE and run.history == FULL_HISTORY
    if run.history != FULL_HISTORY:
        notes.append(
            f"run {run_id} was recorded before history was kept: its snapshot holds only the "
            "items it was the last to fetch; others are listed as unseen"
        )
    elif not complete:
        notes.append(
            f"run {run_id} is {run.status}: items it did not fetch are listed as unseen, "
            "not removed"
        )
    return _Side(run_id, complete, frozenset(run.counts))


def _classify(row: DiffRow, a: _Side, b: _Side) -> str | None:
    """added, removed, changed, unseen, or None (nothing to report)."""
    if not (a.covers(row.content_type) and b.covers(row.content_type)):
        return None
    if row.has_a and row.has_b:
        return "changed"
    if row.has_b:  # not in A's snapshot
        return "added" if row.in_a or a.complete else "unseen"
    if row.has_a:  # not in B's snapshot
        return "removed" if row.in_b or b.complete else "unseen"
    return None


def diff_runs(vault: Vault, run_a: int, run_b: int, *, all_fields: bool = False) -> RunDiff:
    """Items added, removed and changed per type between two runs' snapshots.

    An item a run saw gone is removed. An item a partial (or pre-history) run did not see at
    all is "unseen", never removed; the notes say which runs were partial.
    """
    notes: list[str] = []
    a, b = _side(vault, run_a, notes), _side(vault, run_b, notes)
    types: dict[str, TypeDiff] = {}
    for row in vault.queries.diff_rows(run_a, run_b):
        kind = _classify(row, a, b)
        if kind is not None:
            bucket = getattr(types.setdefault(row.content_type, TypeDiff()), kind)
            bucket.append(ItemRef(row.item_id, row.title))
    if all_fields:
        for content_type, item_id, title in vault.queries.telemetry_rows(run_a, run_b):
            types.setdefault(content_type, TypeDiff()).changed.append(ItemRef(item_id, title))
    for diff in types.values():
        diff.sort()
    skipped = sorted((a.scope ^ b.scope) if a.scope and b.scope else set())
    if skipped:
        notes.append(f"not extracted by both runs, not compared: {', '.join(skipped)}")
    return RunDiff(run_a, run_b, notes, dict(sorted(types.items())))


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs, named by its JSON Pointer (RFC 6901)."""

    path: str
    change: str  # "added", "removed" or "changed"
    old: Any = None
    new: Any = None
    telemetry: bool = False  # a field that changes with use, not with edits (content.py)


def _pointer(path: str, key: object) -> str:
    return f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _same(old: Any, new: Any) -> bool:
    """JSON equality: 1, 1.0 and true are different values."""
    return type(old) is type(new) and old == new


def _iter_changes(old: Any, new: Any, path: str) -> Iterator[FieldChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new:
                yield FieldChange(_pointer(path, key), "removed", old=old[key])
            else:
                yield from _iter_changes(old[key], new[key], _pointer(path, key))
        for key in new:
            if key not in old:
                yield FieldChange(_pointer(path, key), "added", new=new[key])
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            if index >= len(new):
                yield FieldChange(_pointer(path, index), "removed", old=old[index])
            elif index >= len(old):
                yield FieldChange(_pointer(path, index), "added", new=new[index])
            else:
                yield from _iter_changes(old[index], new[index], _pointer(path, index))
    elif not _same(old, new):
        yield FieldChange(path, "changed", old=old, new=new)


def field_changes(old: Any, new: Any) -> list[FieldChange]:
    """Field-level differences between two JSON values, in document order."""
    return list(_iter_changes(old, new, ""))


@dataclass(frozen=True, slots=True)
class ItemDiff:
    """One item compared between two runs (None: not in that run's snapshot)."""

    content_type: str
    item_id: str
    run_a: int
    run_b: int
    old: Any
    new: Any
    changes: list[FieldChange]

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "content_type": self.content_type,
            "id": self.item_id,
            "run_a": self.run_a,
            "run_b": self.run_b,
            "in_a": self.old is not None,
            "in_b": self.new is not None,
            "changes": [asdict(change) for change in self.changes],
        }


def diff_item(vault: Vault, content_type: str, item_id: str, run_a: int, run_b: int) -> ItemDiff:
    """The field-level diff of one item between two runs' snapshots.

    Raises:
        UsageError: neither run's snapshot holds the item.
    """
    found = [vault.queries.find_item(content_type, item_id, run) for run in (run_a, run_b)]
    if found[0] is None and found[1] is None:
        raise UsageError(f"{content_type} {item_id} is in neither run {run_a} nor run {run_b}")
    old, new = (load_json(v.content) if v is not None else None for v in found)
    if old is None or new is None:
        changes = [FieldChange("", "added" if old is None else "removed", old=old, new=new)]
    else:
        changes = [
            FieldChange(c.path, c.change, c.old, c.new, is_telemetry(content_type, c.path))
            for c in field_changes(old, new)
        ]
    return ItemDiff(content_type, item_id, run_a, run_b, old, new, changes)
