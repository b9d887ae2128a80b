"""`lookervault restore`: plan (the default) or apply a restore from the vault into Looker."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from cyclopts import Parameter

from lookervault.cli.guard import guard
from lookervault.cli.options import FLAT, Flag, RestoreFlags
from lookervault.cli.render import print_json
from lookervault.errors import ExitCode, UsageError

__all__ = ["parse_selection", "restore_command"]

_RESTORE = RestoreFlags()

if TYPE_CHECKING:
    from lookervault.restore.run import RestoreResult

Policy = Literal["skip", "overwrite", "copy", "fail"]


def restore_command(
    *what: Annotated[str, Parameter(help="TYPE [ID ...] ...: the objects to restore.")],
    folder: Annotated[str | None, Parameter(help="Restore this folder's subtree.")] = None,
    run: Annotated[
        int | None, Parameter(help="Restore run N's snapshot (default: latest).")
    ] = None,
    plan: Flag = False,
    apply: Flag = False,
    on_conflict: Policy = "skip",
    resume: Flag = False,
    enable_schedules: Flag = False,
    prune: Flag = False,
    config: Annotated[Path | None, Parameter(help="looker.ini file (looker-sdk format).")] = None,
    section: Annotated[str | None, Parameter(help="Section of the ini file.")] = None,
    common: Annotated[RestoreFlags, FLAT] = _RESTORE,
) -> int:
    """Restore content from the vault into the Looker it was backed up from.

    Without --apply it only plans: per object one action (CREATE, UPDATE, UNDELETE, SKIP,
    CONFLICT, BLOCKED), read from Looker, nothing changed. Exit status 4 when an object was not
    found in the vault, a write failed or --on-conflict fail met a conflict.

    Parameters
    ----------
    plan
        Only plan (the default).
    apply
        Carry the plan out.
    on_conflict
        An object that exists and differs: skip (leave it, CONFLICT), overwrite (UPDATE),
        copy (create a copy), fail (apply nothing).
    resume
        Continue the last restore that did not finish, with its selection and options.
    enable_schedules
        Keep schedules' and alerts' enabled state (default: restored disabled).
    prune
        With --on-conflict overwrite: delete the tiles of an updated dashboard that the backup
        does not have (the only deletion a restore makes).
    """

    def body() -> int:
        import anyio

        from lookervault.cli.vaults import open_vault
        from lookervault.restore.plan import PlanOptions
        from lookervault.restore.run import RestoreOptions, restore
        from lookervault.restore.select import Wanted
        from lookervault.settings import load_connection_settings

        if plan and apply:
            raise UsageError("--plan and --apply exclude each other")
        pairs, types = parse_selection(what)
        if not (pairs or types or folder or resume):
            raise UsageError("name what to restore: TYPE [ID ...], or --folder ID")
        settings = load_connection_settings(config, section)
        options = RestoreOptions(
            wanted=Wanted(pairs=pairs, types=types, folder=folder, run_id=run),
            plan=PlanOptions(
                on_conflict=on_conflict, enable_schedules=enable_schedules, prune=prune
            ),
            apply=apply,
            resume=resume,
        )
        with open_vault(common.db) as vault:
            result = anyio.run(lambda: restore(settings, vault, options), backend="asyncio")
        if common.json:
            print_json(result.as_json())
        else:
            _render(result)
        if result.applied is not None and result.applied.failures:
            words = ["lookervault", "restore", "--resume", "--db", str(common.db.absolute())]
            print(f"to continue: {shlex.join(words)}", file=sys.stderr)
        return ExitCode.OK if result.ok else ExitCode.PARTIAL

    return guard(body, debug=common.debug)


def parse_selection(
    tokens: Sequence[str],
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """``dashboards 1 2 looks`` -> pairs (dashboards 1), (dashboards 2) and every look.

    Raises:
        UsageError: an id before any type, or a name that is not a content type.
    """
    from lookervault.content import canonical_name, check_names

    pairs: list[tuple[str, str]] = []
    types: list[str] = []
    current: str | None = None
    named = False
    for token in tokens:
        kind = canonical_name(token)
        if kind is None and not token.isdigit() and current is None:
            check_names([token])  # raises with a suggestion
        if kind is not None:
            if current is not None and not named:
                types.append(current)
            current, named = kind, False
        elif current is None:
            raise UsageError(f"{token!r}: name a type before its ids (e.g. dashboards {token})")
        else:
            pairs.append((current, token))
            named = True
    if current is not None and not named:
        types.append(current)
    return tuple(pairs), tuple(types)


def _render(result: RestoreResult) -> None:
    plan = result.plan
    for entry in plan.entries:
        title = (entry.title or "")[:32]
        print(
            f"{entry.action!s:<9} {entry.kind:<23} {entry.source_id:>10}  {title:<32}  {entry.reason}"
        )
    for kind, item_id, why in plan.missing:
        print(f"{'MISSING':<9} {kind:<23} {item_id:>10}  {'':<32}  {why}")
    summary = ", ".join(f"{action} {count}" for action, count in plan.summary().items())
    print(f"plan: {summary}")
    for note in plan.not_restorable:
        print(f"cannot be restored: {note}")
    if result.refused:
        print(f"not applied: {result.refused}")
    applied = result.applied
    if applied is None:
        return
    print(
        f"restore {result.restore_id}: {applied.done} objects written, {len(applied.failures)} failed"
    )
    for failure in applied.failures:
        print(f"  failed: {failure.kind} {failure.source_id} ({failure.title}): {failure.error}")
    for note in applied.notes:
        print(f"  note: {note}")
