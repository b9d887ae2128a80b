"""`lookervault runs`, `list` and `show`: what the vault holds, run by run and item by item."""

from __future__ import annotations

import sys
from typing import Annotated

from cyclopts import Parameter

from lookervault.cli.guard import guard
from lookervault.cli.options import FLAT, ListFlags, RunOption, RunsFlags, ShowFlags
from lookervault.cli.render import columns, print_json, size
from lookervault.cli.vaults import check_type, open_vault
from lookervault.errors import ExitCode

__all__ = ["list_command", "runs_command", "show_command"]

_RUNS = RunsFlags()
_LIST = ListFlags()
_SHOW = ShowFlags()


def runs_command(*, common: Annotated[RunsFlags, FLAT] = _RUNS) -> int:
    """List every run: id, start, duration, status, items per type, and the vault's size."""

    def body() -> int:
        from lookervault.history import list_runs, vault_size

        with open_vault(common.db) as vault:
            summaries = list_runs(vault)
        vault_bytes = vault_size(common.db)
        if common.json:
            print_json({"vault_bytes": vault_bytes, "runs": [s.as_json() for s in summaries]})
            return ExitCode.OK
        print(f"vault {common.db}: {size(vault_bytes)}, {len(summaries)} runs")
        rows = [["run", "started", "duration", "status", "items", "new content", "per type"]]
        for s in summaries:
            status = s.status if s.history == "full" else f"{s.status} (latest-only)"
            rows.append(
                [
                    str(s.run_id),
                    s.started_at,
                    f"{s.duration_s:.1f}s" if s.duration_s is not None else "-",
                    status,
                    str(sum(s.counts.values())),
                    size(s.stored_bytes),
                    " ".join(f"{name}={count}" for name, count in s.counts.items()),
                ]
            )
        print("\n".join(columns(rows)))
        return ExitCode.OK

    return guard(body, debug=common.debug)


def list_command(
    type: str,
    *,
    folder: Annotated[str | None, Parameter(help="Only items in this folder id.")] = None,
    search: Annotated[str | None, Parameter(help="Only titles containing TEXT (any case).")] = None,
    deleted: bool = False,
    run: RunOption = None,
    common: Annotated[ListFlags, FLAT] = _LIST,
) -> int:
    """List the items of one content type: id, title, folder, owner, updated_at.

    Parameters
    ----------
    type
        Content type (dashboards, looks, folders, users...).
    deleted
        List deleted items instead: in Looker's trash, or gone from Looker.
    run
        List that run's snapshot (default: the latest state).
    """

    def body() -> int:
        from lookervault.history import list_items, resolve_run

        content_type = check_type(type)
        with open_vault(common.db) as vault:
            run_id = resolve_run(vault, run) if run is not None else None
            rows = list_items(
                vault, content_type, run_id=run_id, folder_id=folder, search=search, deleted=deleted
            )
        if common.json:
            print_json([row.as_json() for row in rows])
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
