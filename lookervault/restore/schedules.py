"""Restore scheduled plans and alerts, disabled unless --enable-schedules, so that a restore never
sends a burst of emails. Destinations lose their write-only secrets; alerts lose followers."""

from __future__ import annotations

from typing import Any

from lookervault.restore.entries import Action, PlanEntry
from lookervault.restore.wanted import body_for, mapped
from lookervault.restore.writes import Writes

__all__ = ["restore_alert", "restore_scheduled_plan"]

_DESTINATION_SERVER = ("id", "scheduled_plan_id", "secret_parameters")


async def restore_scheduled_plan(
    w: Writes, entry: PlanEntry, obj: dict[str, Any], *, enable: bool
) -> list[str]:
    """Create (or update) one scheduled plan on its mapped look or dashboard."""
    body = body_for("scheduled_plans", obj, w.id_map)
    body["enabled"] = bool(obj.get("enabled")) if enable else False
    body["scheduled_plan_destination"] = [
        {k: v for k, v in dest.items() if k not in _DESTINATION_SERVER}
        for dest in obj.get("scheduled_plan_destination") or ()
    ]
    body.pop("query_id", None)
    return await _write(w, entry, "scheduled_plans", body)


async def restore_alert(
    w: Writes, entry: PlanEntry, obj: dict[str, Any], *, enable: bool
) -> list[str]:
    """Create (or update) one alert on its mapped tile and that tile's query."""
    body = body_for("alerts", obj, w.id_map)
    if not enable:
        body["is_disabled"] = True
        body["disabled_reason"] = obj.get("disabled_reason") or "restored disabled"
    if obj.get("query_id") is not None:
        body["query_id"] = mapped(w.id_map, "queries", obj["query_id"])
    body.pop("time_series_condition_state", None)
    return await _write(w, entry, "alerts", body)


async def _write(w: Writes, entry: PlanEntry, kind: str, body: dict[str, Any]) -> list[str]:
    if entry.action == Action.CREATE and not entry.resume:
        target = str((await w.post(kind, entry.source_id, f"/{kind}", body))["id"])
    else:
        target = str(entry.target_id)
        if entry.action == Action.UPDATE and kind == "alerts":
            await w.put(f"/alerts/{target}", body)  # PATCH takes only a few fields (AlertPatch)
        elif entry.action == Action.UPDATE:
            await w.patch(f"/{kind}/{target}", body)
    w.done(kind, entry.source_id, str(entry.action), target)
    return []
