"""`lookervault runs`, `list` and `show`: what the vault holds, run by run and item by item."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

from cyclopts import Parameter

from lookervault.cli.guard import guard
from lookervault.cli.options import FLAT, Flag, ListFlags, RunOption, RunsFlags, ShowFlags
from lookervault.cli.outcomes import outcome_lines, outcome_note
from lookervault.cli.render import columns, print_json, size
from lookervault.cli.vaults import check_type, open_vault
from lookervault.errors import ExitCode, UsageError

__all__ = ["list_command", "runs_command", "show_command"]

if TYPE_CHECKING:
    from lookervault.history import RunSummary

_RUNS = RunsFlags()
_LIST = ListFlags()
_SHOW = ShowFlags()


def runs_command(
    *,
    run: Annotated[
        int | None, Parameter(help="Details of this run: per-type counts, failures, Looker.")
    ] = None,
    common: Annotated[RunsFlags, FLAT] = _RUNS,
) -> int:
    """List every run: id, start, time spent running, status, items, new content, Looker.

    With `--run N`, the details of one run instead, its per-type counts one per line.
    """

    def body() -> int:
        from lookervault.history import list_runs, resolve_run, vault_size

        with open_vault(common.db) as vault:
            chosen = resolve_run(vault, run) if run is not None else None
            summaries = list_runs(vault)
        vault_bytes = vault_size(common.db)
        if chosen is not None:
            return _one_run(next(s for s in summaries if s.run_id == chosen), common)
        if common.json:
            print_json({"vault_bytes": vault_bytes, "runs": [s.as_json() for s in summaries]})
            return ExitCode.OK
        print(f"vault {common.db}: {size(vault_bytes)}, {_plural(len(summaries), 'run')}")
        header = ["run", "started", "duration", "status", "items", "new content", "requests"]
        rows = [[*header, "looker"]]
        rows += [_run_row(s) for s in summaries]
        print("\n".join(columns(rows)))
        return ExitCode.OK

    return guard(body, debug=common.debug)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _seconds(value: float | None) -> str:
    return f"{value:.1f}s" if value is not None else "-"


def _status(s: RunSummary) -> str:
    status = s.status if s.history == "full" else f"{s.status} (latest-only)"
    status = f"{status} (limited)" if s.access == "limited" else status
    note = outcome_note(s.outcomes)
    return f"{status} ({note})" if note else status


def _run_row(s: RunSummary) -> list[str]:
    return [
        str(s.run_id),
        s.started_at,
        _seconds(s.duration_s),
        _status(s),
        str(sum(s.counts.values())),
        size(s.stored_bytes),
        str(s.requests),
        s.looker_url,
    ]


def _one_run(s: RunSummary, common: RunsFlags) -> int:
    """`runs --run N`: one run's details, per-type counts one per line."""
    if common.json:
        print_json(s.as_json())
        return ExitCode.OK
    details = [
        ["status", _status(s)],
        ["looker", s.looker_url],
        ["started", s.started_at],
        ["finished", s.finished_at or "-"],
        ["duration", f"{_seconds(s.duration_s)} running"],
        ["resumes", str(s.resumes)],
        ["new content", size(s.stored_bytes)],
        ["failures", str(len(s.failures))],
        ["access", s.access or "-"],
        ["items", str(sum(s.counts.values()))],
    ]
    details += [[f"  {name}", str(count)] for name, count in s.counts.items()]
    details += [["requests", str(s.requests)]]
    details += [[f"  {name}", str(count)] for name, count in s.requests_by_type.items()]
    details += [["pace", _pace(s.pace)]]
    print(f"run {s.run_id}")
    print("\n".join(columns(details)))
    for line in outcome_lines(s.outcomes):
        print(f"outcome: {line}")
    for name, count in s.unavailable.items():
        print(f"unavailable: {name}: {count} listed but answered 404 (kept as they were)")
    for failure in s.failures:
        print(f"failed: {failure['content_type']} {failure['key']}: {failure['error']}")
    return ExitCode.OK


def _pace(pace: dict[str, float | None] | None) -> str:
    """What the run's limiter learned, where the next run against this Looker starts."""
    if pace is None:
        return "-"
    rate, ceiling = pace["rate"] or 0.0, pace["ceiling"]
    limit = "Looker refused none" if ceiling is None else f"Looker's limit about {ceiling:.1f}/s"
    return f"{rate:.1f} requests/s at the end ({limit})"


def list_command(
    type: str | None = None,
    *,
    folder: Annotated[str | None, Parameter(help="Only items in this folder id.")] = None,
    search: Annotated[str | None, Parameter(help="Only titles containing TEXT (any case).")] = None,
    deleted: Flag = False,
    run: RunOption = None,
    common: Annotated[ListFlags, FLAT] = _LIST,
) -> int:
    """List the items of one content type: id, title, folder, owner, updated_at.

    Items in Looker's trash are left out (stderr says how many): `--deleted` lists them.

    Parameters
    ----------
    type
        Content type (required): dashboards, looks, folders, users... (`extract --help` lists them).
    deleted
        List deleted items instead: in Looker's trash, or gone from Looker.
    run
        List that run's snapshot (default: the latest state).
    """

    def body() -> int:
        from lookervault.history import item_json, list_items, resolve_run

        name = _required_type(type)
        with open_vault(common.db) as vault:
            run_id = resolve_run(vault, run) if run is not None else None
            found = {
                gone: list_items(
                    vault, name, run_id=run_id, folder_id=folder, search=search, deleted=gone
                )
                for gone in {deleted, True}
            }
        rows = found[deleted]
        if not deleted:
            _note_trash(sum(row.state == "trash" for row in found[True]))
        if common.json:
            print_json([item_json(row, name) for row in rows])
            return ExitCode.OK
        header = ["id", "title", "folder", "owner", "updated_at"] + (["state"] if deleted else [])
        table = [header] + [
            [r.item_id, r.title or "", r.folder_id or "", r.owner_id or "", r.updated_at or ""]
            + ([r.state] if deleted else [])
            for r in rows
        ]
        sys.stdout.write("\n".join(columns(table)) + "\n")
        return ExitCode.OK

    return guard(body, debug=common.debug)


def _required_type(name: str | None) -> str:
    """The content type of `list`; without one, a usage error naming the valid types."""
    if name is None:
        from lookervault.content import CONTENT_TYPES

        valid = ", ".join(ct.name for ct in CONTENT_TYPES)
        raise UsageError(f"list needs a content type (TYPE or --type): one of {valid}")
    return check_type(name)


def _note_trash(count: int) -> None:
    if count:
        more = "1 more is" if count == 1 else f"{count} more are"
        print(f"note: {more} in Looker's trash; list them with --deleted", file=sys.stderr)


def show_command(
    type: str,
    id: str,
    *,
    run: RunOption = None,
    common: Annotated[ShowFlags, FLAT] = _SHOW,
) -> int:
    """Print one item as pretty JSON, as it was in a run (default: its latest state).

    Parameters
    ----------
    type
        Content type.
    id
        The item's id.
    run
        Show the item as this run fetched it.
    """

    def body() -> int:
        from lookervault.history import load_json, pretty_json, read_item, resolve_run

        content_type = check_type(type)
        with open_vault(common.db) as vault:
            run_id = resolve_run(vault, run) if run is not None else None
            found = read_item(vault, content_type, id, run_id=run_id)
        content = load_json(found.content)
        if common.json:
            print_json(
                {
                    "content_type": content_type,
                    "id": id,
                    "run_id": found.run_id,
                    "gone_run_id": found.gone_run_id,
                    "content": content,
                }
            )
            return ExitCode.OK
        if found.gone_run_id is not None:
            print(f"note: gone from Looker since run {found.gone_run_id}", file=sys.stderr)
        sys.stdout.buffer.write(pretty_json(content))
        sys.stdout.flush()
        return ExitCode.OK

    return guard(body, debug=common.debug)
