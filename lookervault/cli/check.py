"""`lookervault check [TYPES]`: who we are talking to and what a backup would read, fetching nothing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from cyclopts import Parameter

from lookervault.cli.guard import guard
from lookervault.cli.options import Flag
from lookervault.cli.render import columns, print_json
from lookervault.errors import ExitCode

if TYPE_CHECKING:
    from lookervault.backup.preflight import Preflight

__all__ = ["LIMITED_EXIT", "check_command"]

# The API user would get less than a full backup (no admin rights): the same status as a run
# that is complete except what the API user may not see.
LIMITED_EXIT = ExitCode.NOT_EVERYTHING


def check_command(
    *types: str,
    config: Annotated[Path | None, Parameter(help="looker.ini file (looker-sdk format).")] = None,
    section: Annotated[
        str | None, Parameter(help="Section of the ini file (default: the first).")
    ] = None,
    skip_personal_folder_access: Flag = False,
    json: Annotated[bool, Parameter(negative="", help="Print one JSON object.")] = False,
    debug: Annotated[bool, Parameter(negative="", help="Show tracebacks of unexpected errors.")] = (
        False
    ),
) -> int:
    """Check the connection and the API user's rights, and say per content type what a backup
    would read: the Looker release, the API user, whether it has `administer`, and per type
    the endpoint and whether the user gets all of it. Fetches no content.

    Exit 0 when every type is fully readable, 6 when the backup would be limited (a non-admin
    API user), 3 when Looker cannot be reached or refuses the credentials.

    Parameters
    ----------
    types
        Content types to check (default: all of them).
    skip_personal_folder_access
        As `extract --skip-personal-folder-access`.
    """

    def body() -> int:
        import anyio

        from lookervault.backup.options import ExtractOptions
        from lookervault.cli.logs import configure_logging
        from lookervault.content import check_names
        from lookervault.settings import load_connection_settings

        names = check_names(types)
        settings = load_connection_settings(config, section)
        configure_logging(
            verbose=0,
            quiet=True,
            terminal=sys.stderr.isatty(),
            secrets=[settings.client_secret.get_secret_value()],
        )
        options = ExtractOptions(
            content_types=names, skip_personal_folder_access=skip_personal_folder_access
        )
        found = anyio.run(lambda: _preflight(settings, options), backend="asyncio")
        report = check_report(found, settings.base_url)
        if json:
            print_json(report)
        else:
            _print(report)
        return LIMITED_EXIT if found.limited else ExitCode.OK

    return guard(body, debug=debug)


async def _preflight(settings: Any, options: Any) -> Preflight:
    from lookervault.backup.preflight import start_session
    from lookervault.content import resolve_content_types
    from lookervault.looker.client import LookerClient

    async with LookerClient(settings, concurrency=1) as client:
        types = resolve_content_types(options.content_types)
        return (await start_session(client, types, options))[1]


def check_report(found: Preflight, looker_url: str) -> dict[str, Any]:
    """The one JSON object `check --json` prints."""
    access = found.access
    return {
        "looker_url": looker_url,
        "looker_release": access.release,
        "api_user": {"id": access.user_id, "name": access.user_name},
        "admin": access.admin,
        "access": found.run_access,
        "note": found.limited_line() if found.limited else None,
        "types": [
            {
                "content_type": plan.name,
                "endpoint": plan.endpoint,
                "permitted": plan.permitted,
                "lacking": plan.lacking,
                "skipped": plan.skipped,
            }
            for plan in found.plans
        ],
    }


def _access(entry: dict[str, Any]) -> str:
    if not entry["permitted"]:
        return f"limited: {entry['lacking']}"
    return f"skipped: {entry['skipped']}" if entry["skipped"] else "full"


def _print(report: dict[str, Any]) -> None:
    user = report["api_user"]
    print(f"looker   {report['looker_url']} (release {report['looker_release'] or 'unknown'})")
    print(f"api user {user['name'] or '?'} (id {user['id'] or '?'})", end="")
    print(": admin" if report["admin"] else ": NOT admin (no 'administer' permission)")
    rows = [["type", "access", "endpoint"]]
    rows += [[t["content_type"], _access(t), t["endpoint"]] for t in report["types"]]
    print("\n".join(columns(rows)))
    if report["note"]:
        print(report["note"])
