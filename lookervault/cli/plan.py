"""`extract --plan`: print what a full run would cost in requests, fetching nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lookervault.cli.render import columns, print_json
from lookervault.errors import ExitCode

if TYPE_CHECKING:
    from lookervault.backup.options import ExtractOptions
    from lookervault.settings import ConnectionSettings

__all__ = ["print_plan"]


def print_plan(settings: ConnectionSettings, options: ExtractOptions, *, as_json: bool) -> int:
    """Run the plan against Looker and print it (one JSON object with `as_json`)."""
    import anyio

    from lookervault.backup.request_plan import plan_requests

    plan = anyio.run(lambda: plan_requests(settings, options), backend="asyncio")
    if as_json:
        print_json(plan.as_json())
        return ExitCode.OK
    print(f"plan: a full run would make {plan.requests} requests (Looker {plan.release}, ", end="")
    print(f"{plan.access} API user)")
    rows = [["type", "items", "requests"]]
    rows += [
        [name, str(plan.items[name]) if name in plan.items else "-", str(count)]
        for name, count in plan.requests_by_type.items()
    ]
    rows.append(["total", "", str(plan.requests)])
    print("\n".join(columns(rows)))
    print(f"this plan made {plan.spent} requests; nothing was stored")
    return ExitCode.OK
