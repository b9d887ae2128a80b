"""`lookervault diff`: what changed between two runs, per type or field by field for one item."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

from cyclopts import Parameter

from lookervault.cli.guard import guard
from lookervault.cli.options import FLAT, DiffFlags
from lookervault.cli.render import print_json
from lookervault.cli.vaults import check_type, open_vault
from lookervault.errors import ExitCode, UsageError

__all__ = ["diff_command"]

_DIFF = DiffFlags()

if TYPE_CHECKING:
    from lookervault.diff import ItemDiff, RunDiff
    from lookervault.vault.store import Vault

_DIFF_RUNS = 2
_MAX_VALUE_CHARS = 200
_DIFF_MARKS = (("added", "+"), ("removed", "-"), ("changed", "~"), ("unseen", "?"))


def diff_command(
    run_a: int | None = None,
    run_b: int | None = None,
    *,
    item: Annotated[
        tuple[str, str] | None,
        Parameter(negative="", help="Field-level diff of one item: TYPE ID."),
    ] = None,
    all_fields: Annotated[
        bool,
        Parameter(
            negative="",
            help="Count telemetry (view counts, last-viewed and last-run times) as a change.",
        ),
    ] = False,
    common: Annotated[DiffFlags, FLAT] = _DIFF,
) -> int:
    """Items added, removed and changed per type between two runs (default: the last two).

    Items a partial run did not fetch are listed as unseen, never as removed.

    Parameters
    ----------
    run_a
        The older run (default: the one before the latest).
    run_b
        The newer run (default: the latest).
    """

    def body() -> int:
        from lookervault.diff import ItemDiff, diff_item, diff_runs

        with open_vault(common.db) as vault:
            a, b = _default_runs(vault, run_a, run_b)
            if item is not None:
                result = diff_item(vault, check_type(item[0]), item[1], a, b)
            else:
                result = diff_runs(vault, a, b, all_fields=all_fields)
        if common.json:
            print_json(result.as_json())
        elif isinstance(result, ItemDiff):
            _render_item_diff(result)
        else:
            _render_run_diff(result)
        return ExitCode.OK

    return guard(body, debug=common.debug)


def _default_runs(vault: Vault, run_a: int | None, run_b: int | None) -> tuple[int, int]:
    """The two runs to compare: given ones, else the last two (A alone: A against the latest)."""
    from lookervault.history import list_runs, resolve_run

    ids = [summary.run_id for summary in list_runs(vault)]
    if run_a is not None and run_b is not None:
        return resolve_run(vault, run_a), resolve_run(vault, run_b)
    if run_a is not None:
        return resolve_run(vault, run_a), ids[-1]
    if len(ids) < _DIFF_RUNS:
        raise UsageError(f"diff needs two runs; vault {vault.path} has {len(ids)}")
    return ids[-2], ids[-1]


def _render_run_diff(diff: RunDiff) -> None:
    lines = [f"diff run {diff.run_a} -> run {diff.run_b}"]
    lines += [f"note: {note}" for note in diff.notes]
    if not diff.types:
        lines.append("no differences")
    for name, changes in diff.types.items():
        counts = ", ".join(f"{len(getattr(changes, kind))} {kind}" for kind, _ in _DIFF_MARKS)
        lines.append(f"{name}: {counts}")
        for kind, mark in _DIFF_MARKS:
            lines += [
                f"  {mark} {ref.item_id}  {ref.title or ''}".rstrip()
                for ref in getattr(changes, kind)
            ]
    sys.stdout.write("\n".join(lines) + "\n")


def _short(value: object) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def _render_item_diff(diff: ItemDiff) -> None:
    print(f"{diff.content_type} {diff.item_id}: run {diff.run_a} -> run {diff.run_b}")
    if not diff.changes:
        print("no differences")
    for change in diff.changes:
        path = change.path or "(whole item)"
        if change.telemetry:
            path += " (telemetry)"
        if change.change == "added":
            print(f"  + {path}: {_short(change.new)}")
        elif change.change == "removed":
            print(f"  - {path}: {_short(change.old)}")
        else:
            print(f"  ~ {path}: {_short(change.old)} -> {_short(change.new)}")
