"""Restore folders and looks (a look's query is created first)."""

from __future__ import annotations

from typing import Any

from lookervault.restore.dashboards import COPY_SUFFIX
from lookervault.restore.entries import Action, PlanEntry
from lookervault.restore.wanted import body_for, undelete_body
from lookervault.restore.writes import Writes

__all__ = ["restore_folder", "restore_look"]


async def restore_folder(w: Writes, entry: PlanEntry, obj: dict[str, Any]) -> list[str]:
    """Create a gone folder under its (mapped) parent, or rename and move an existing one."""
    body = body_for("folders", obj, w.id_map)
    if entry.action == Action.CREATE and not entry.resume:
        target = str((await w.post("folders", entry.source_id, "/folders", body))["id"])
    else:
        target = str(entry.target_id)
        if entry.action == Action.UPDATE:
            await w.patch(f"/folders/{target}", body)
    w.done("folders", entry.source_id, str(entry.action), target)
    return []


async def restore_look(w: Writes, entry: PlanEntry, obj: dict[str, Any]) -> list[str]:
    """Undelete, create (query first) or update one look."""
    if entry.action == Action.UNDELETE:
        await w.patch(f"/looks/{entry.target_id}", undelete_body(obj, w.id_map))
        w.done("looks", entry.source_id, str(entry.action), entry.target_id)
        return []
    body = body_for("looks", obj, w.id_map)
    if isinstance(obj.get("query"), dict):
        body["query_id"] = await w.query(obj["query"])
    if entry.action == Action.CREATE and not entry.resume:
        if entry.reason.startswith("a copy"):
            body["title"] = f"{body.get('title')}{COPY_SUFFIX}"
        target = str((await w.post("looks", entry.source_id, "/looks", body))["id"])
    else:
        target = str(entry.target_id)
        if entry.action == Action.UPDATE or entry.resume:
            await w.patch(f"/looks/{target}", body)
    w.done("looks", entry.source_id, str(entry.action), target)
    return []
