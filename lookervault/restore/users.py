"""Restore users' memberships: users are matched by id, never created or changed; the groups and
roles a backed-up user had (mapped through the id map) are added where Looker lacks them, and
nothing is taken away."""

from __future__ import annotations

from typing import Any

from lookervault.restore.entries import Action, PlanEntry
from lookervault.restore.target import Target
from lookervault.restore.wanted import IdMap, mapped
from lookervault.restore.writes import Writes

__all__ = ["lacking_memberships", "plan_user", "restore_user"]


def lacking_memberships(
    backup: dict[str, Any], current: dict[str, Any], id_map: IdMap
) -> tuple[list[str], list[str]]:
    """(group ids, role ids) the user had when backed up and lacks in Looker now."""
    groups = [mapped(id_map, "groups", g) for g in backup.get("group_ids") or ()]
    roles = [mapped(id_map, "roles", r) for r in backup.get("role_ids") or ()]
    have_groups = {str(g) for g in current.get("group_ids") or ()}
    have_roles = {str(r) for r in current.get("role_ids") or ()}
    return (
        [g for g in groups if g is not None and g not in have_groups],
        [r for r in roles if r is not None and r not in have_roles],
    )


async def plan_user(
    target: Target, source_id: str, obj: dict[str, Any], title: str | None, id_map: IdMap
) -> PlanEntry:
    """SKIP (memberships as backed up), UPDATE (some to add) or BLOCKED (the user is gone)."""
    current = await target.get("users", source_id)
    if current is None:
        reason = "the user is gone: users are matched, never created"
        return PlanEntry("users", source_id, title, Action.BLOCKED, None, reason)
    groups, roles = lacking_memberships(obj, current, id_map)
    if not (groups or roles):
        return PlanEntry(
            "users", source_id, title, Action.SKIP, source_id, "memberships as backed up"
        )
    reason = "adds " + ", ".join(
        part for part in (_named("groups", groups), _named("roles", roles)) if part
    )
    return PlanEntry("users", source_id, title, Action.UPDATE, source_id, reason)


def _named(kind: str, ids: list[str]) -> str:
    return f"{kind} {', '.join(ids)}" if ids else ""


async def restore_user(w: Writes, entry: PlanEntry, obj: dict[str, Any]) -> list[str]:
    """Add the lacking groups (one at a time) and roles (the user's roles plus them)."""
    user_id = entry.source_id
    current = await w.target.get("users", user_id) or {}
    groups, roles = lacking_memberships(obj, current, w.id_map)
    for group_id in groups:
        w.writes += 1
        await w.client.post_json(f"/groups/{group_id}/users", {"user_id": user_id})
    if roles:
        w.writes += 1
        keep = [str(r) for r in current.get("role_ids") or ()]
        await w.client.put_json(f"/users/{user_id}/roles", [*keep, *roles])
    w.done("users", user_id, str(entry.action), user_id)
    return []
