"""Restore a folder's access rules: each backed-up grant (a group or a user, view or edit) that the
folder in Looker lacks is added; grants Looker has beyond the backup are left alone."""

from __future__ import annotations

from typing import Any

from lookervault.errors import NotFoundError
from lookervault.looker.client import LookerClient
from lookervault.looker.writable import writable_body
from lookervault.restore.plan import PlanEntry
from lookervault.restore.wanted import mapped
from lookervault.restore.writes import Writes

__all__ = ["ACCESS", "current_rules", "missing_rules", "restore_access"]

ACCESS = "content_metadata_access"


def _grant(rule: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (rule.get("permission_type"), rule.get("group_id"), rule.get("user_id"))


async def current_rules(client: LookerClient, folder: dict[str, Any] | None) -> list[dict] | None:
    """The folder's access list in Looker (None: the folder or its metadata is gone)."""
    if folder is None or folder.get("content_metadata_id") is None:
        return None
    try:
        params = {"content_metadata_id": str(folder["content_metadata_id"])}
        return await client.get_json("/content_metadata_access", params)
    except NotFoundError:
        return None


def missing_rules(backed_up: list[dict[str, Any]], current: list[dict] | None) -> list[dict]:
    """The backed-up grants the folder in Looker lacks (users and groups keep their ids)."""
    have = {_grant(rule) for rule in current or ()}
    return [rule for rule in backed_up if _grant(rule) not in have]


async def restore_access(w: Writes, entry: PlanEntry, obj: dict[str, Any]) -> list[str]:
    """Add the missing grants to the (mapped) folder."""
    folder_id = mapped(w.id_map, "folders", obj["folder_id"])
    folder = await w.target.get("folders", folder_id)
    current = await current_rules(w.client, folder)
    if folder is None or current is None:
        raise NotFoundError("GET", f"/folders/{folder_id}", 404, "the folder is gone")
    for rule in missing_rules(obj["rules"], current):
        body = writable_body(ACCESS, rule)
        body["content_metadata_id"] = str(folder["content_metadata_id"])
        await w.add_grant(body)
    w.done(ACCESS, entry.source_id, str(entry.action), folder_id)
    return []
