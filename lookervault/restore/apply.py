"""Carry a plan out, object by object in restore order: a refused write is recorded for that
object (and named in the report) and the restore goes on with the next one."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from lookervault.errors import ApiError
from lookervault.restore.access import ACCESS, restore_access
from lookervault.restore.admin import ADMIN_KINDS, restore_admin
from lookervault.restore.boards import restore_board
from lookervault.restore.checks import dependencies
from lookervault.restore.dashboards import restore_dashboard
from lookervault.restore.entries import Action, PlanEntry
from lookervault.restore.looks import restore_folder, restore_look
from lookervault.restore.memberships import restore_membership
from lookervault.restore.plan import Plan
from lookervault.restore.schedules import restore_alert, restore_scheduled_plan
from lookervault.restore.select import Selection
from lookervault.restore.users import restore_user
from lookervault.restore.writes import Writes

__all__ = ["ApplyResult", "Failure", "apply_plan"]

logger = logging.getLogger(__name__)

_Restorer = Callable[[Writes, PlanEntry, dict[str, Any]], Awaitable[list[str]]]
_ACTING = frozenset({Action.CREATE, Action.UPDATE, Action.UNDELETE})


@dataclass(frozen=True, slots=True)
class Failure:
    """One object the restore could not write, with Looker's reason."""

    kind: str
    source_id: str
    title: str | None
    error: str

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"type": self.kind, "id": self.source_id, "title": self.title, "error": self.error}


@dataclass
class ApplyResult:
    """What an apply did."""

    done: int = 0
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _WaitingError(Exception):
    """An object whose dependency failed in this restore: it is left for --resume."""

    def __str__(self) -> str:
        return f"not written: it needs {self.args[0]}, which failed"


def _restorers(enable_schedules: bool) -> dict[str, _Restorer]:
    async def plan_restorer(w: Writes, entry: PlanEntry, obj: dict[str, Any]) -> list[str]:
        return await restore_scheduled_plan(w, entry, obj, enable=enable_schedules)

    async def alert_restorer(w: Writes, entry: PlanEntry, obj: dict[str, Any]) -> list[str]:
        return await restore_alert(w, entry, obj, enable=enable_schedules)

    return {
        **dict.fromkeys(ADMIN_KINDS, restore_admin),
        "users": restore_user,
        "memberships": restore_membership,
        "folders": restore_folder,
        ACCESS: restore_access,
        "looks": restore_look,
        "dashboards": restore_dashboard,
        "boards": restore_board,
        "scheduled_plans": plan_restorer,
        "alerts": alert_restorer,
    }


async def apply_plan(
    w: Writes, plan: Plan, selection: Selection, *, enable_schedules: bool
) -> ApplyResult:
    """Write every CREATE, UPDATE and UNDELETE of the plan; record each object's outcome."""
    result = ApplyResult()
    restorers = _restorers(enable_schedules)
    tiles = {
        str(element.get("id")): dash_id
        for dash_id, dash in selection.items["dashboards"].items()
        for element in dash.get("dashboard_elements") or ()
    }
    failed: set[tuple[str, str]] = set()
    for entry in plan.entries:
        if entry.action not in _ACTING:
            continue
        obj = selection.items[entry.kind][entry.source_id]
        waits = [dep for dep in dependencies(entry.kind, obj, tiles) if dep in failed]
        try:
            if waits:
                raise _WaitingError(", ".join(f"{k[:-1]} {i}" for k, i in waits))
            notes = await restorers[entry.kind](w, entry, obj)
        except (ApiError, _WaitingError) as exc:
            message = " ".join(str(exc).split())
            w.ledger.fail(w.restore_id, entry.kind, entry.source_id, str(entry.action), message)
            result.failures.append(Failure(entry.kind, entry.source_id, entry.title, message))
            failed.add((entry.kind, entry.source_id))
            logger.warning("restore of %s %s failed: %s", entry.kind, entry.source_id, message)
            continue
        result.done += 1
        result.notes += [f"{entry.kind[:-1]} {entry.source_id}: {note}" for note in notes]
    return result
