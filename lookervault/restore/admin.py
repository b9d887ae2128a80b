"""Restore the admin objects: permission sets, model sets, groups, roles (on their mapped sets),
user attributes and themes. Memberships and attribute values come later (issue 14)."""

from __future__ import annotations

from typing import Any

from lookervault.restore.entries import Action, PlanEntry
from lookervault.restore.target import ADMIN as ADMIN_KINDS
from lookervault.restore.wanted import body_for
from lookervault.restore.writes import Writes

__all__ = ["ADMIN_KINDS", "restore_admin"]


async def restore_admin(w: Writes, entry: PlanEntry, obj: dict[str, Any]) -> list[str]:
    """Create a gone object, or update one in place."""
    kind = entry.kind
    body = body_for(kind, obj, w.id_map)
    notes = []
    if kind == "user_attributes" and obj.get("value_is_hidden"):
        body.pop("default_value", None)
        notes.append("hidden default value: Looker never returns it, so it is not restored")
    if entry.action == Action.CREATE and not entry.resume:
        target = str((await w.post(kind, entry.source_id, f"/{kind}", body))["id"])
    else:
        target = str(entry.target_id)
        if entry.action == Action.UPDATE:
            await w.patch(f"/{kind}/{target}", body)
    w.done(kind, entry.source_id, str(entry.action), target)
    return notes
