"""Restore the access rules of folders and boards: whether they inherit their parent's access
(content metadata `inherits`, set first), then each backed-up grant (a group or a user, view or
edit) that the folder or board in Looker lacks; grants beyond the backup are left alone."""

from __future__ import annotations

from typing import Any

from lookervault.errors import NotFoundError
from lookervault.looker.client import LookerClient
from lookervault.looker.writable import writable_body
from lookervault.restore.entries import Action, PlanEntry
from lookervault.restore.target import Target
from lookervault.restore.wanted import IdMap, mapped
from lookervault.restore.writes import Writes

__all__ = [
    "ACCESS",
    "current_inherits",
    "current_rules",
    "missing_rules",
    "plan_access",
    "restore_access",
]

ACCESS = "content_metadata_access"


def _grant(rule: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (rule.get("permission_type"), rule.get("group_id"), rule.get("user_id"))


async def current_rules(client: LookerClient, owner: dict[str, Any] | None) -> list[dict] | None:
    """The folder's or board's access list in Looker (None: it or its metadata is gone)."""
    if owner is None or owner.get("content_metadata_id") is None:
        return None
    try:
        params = {"content_metadata_id": str(owner["content_metadata_id"])}
        return await client.get_json("/content_metadata_access", params)
    except NotFoundError:
        return None


async def current_inherits(client: LookerClient, owner: dict[str, Any] | None) -> bool | None:
    """Whether the folder or board inherits its parent's access (None: Looker does not say)."""
    if owner is None or owner.get("content_metadata_id") is None:
        return None
    try:
        meta = await client.get_json(f"/content_metadata/{owner['content_metadata_id']}")
    except NotFoundError:
        return None
    return meta.get("inherits") if isinstance(meta, dict) else None


def _inherits_change(obj: dict[str, Any], now: bool | None) -> bool | None:
    """The inherits value to set (None: nothing to set or nothing known)."""
    wanted = obj.get("inherits")
    return wanted if wanted is not None and now is not None and now != wanted else None


def missing_rules(backed_up: list[dict[str, Any]], current: list[dict] | None) -> list[dict]:
    """The backed-up grants the folder in Looker lacks (users and groups keep their ids)."""
    have = {_grant(rule) for rule in current or ()}
    missing = []
    for rule in backed_up:
        if _grant(rule) not in have:
            have.add(_grant(rule))  # a grant listed twice is added once
            missing.append(rule)
    return missing


async def plan_access(
    target: Target,
    source_id: str,
    obj: dict[str, Any],
    title: str | None,
    id_map: IdMap,
    *,
    exists: bool,
) -> PlanEntry:
    """CREATE (grants missing), SKIP, or BLOCKED (the folder or board will not exist)."""
    kind = obj["owner"]
    owner_id = mapped(id_map, kind, obj["owner_id"])
    if not exists:
        reason = f"missing: {kind[:-1]} {owner_id}"
        return PlanEntry(ACCESS, source_id, title, Action.BLOCKED, None, reason)
    owner = await target.get(kind, owner_id)
    lacking = missing_rules(obj["rules"], await current_rules(target.client, owner))
    # An owner this restore creates: Looker makes a new subfolder inherit its parent's access.
    now = await current_inherits(target.client, owner) if owner is not None else True
    inherits = _inherits_change(obj, now)
    if not lacking and inherits is None:
        return PlanEntry(ACCESS, source_id, title, Action.SKIP, owner_id, "as in the backup")
    parts = [f"{len(lacking)} of {len(obj['rules'])} grants missing"] if lacking else []
    if inherits is not None:
        parts.insert(0, f"inherits -> {str(inherits).lower()}")
    reason = ", ".join(parts)
    return PlanEntry(ACCESS, source_id, title, Action.CREATE, owner_id, reason)


async def restore_access(w: Writes, entry: PlanEntry, obj: dict[str, Any]) -> list[str]:
    """Add the missing grants to the (mapped) folder or board."""
    kind = obj["owner"]
    owner_id = mapped(w.id_map, kind, obj["owner_id"])
    owner = await w.target.get(kind, owner_id)
    current = await current_rules(w.client, owner)
    if owner is None or current is None:
        raise NotFoundError("GET", f"/{kind}/{owner_id}", 404, f"the {kind[:-1]} is gone")
    inherits = _inherits_change(obj, await current_inherits(w.client, owner))
    if inherits is not None:  # first: grants on content that inherits do not apply
        await w.patch(f"/content_metadata/{owner['content_metadata_id']}", {"inherits": inherits})
    for rule in missing_rules(obj["rules"], current):
        body = writable_body(ACCESS, rule)
        body["content_metadata_id"] = str(owner["content_metadata_id"])
        await w.add_grant(body)
    w.done(ACCESS, entry.source_id, str(entry.action), owner_id)
    return []
