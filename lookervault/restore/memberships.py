"""Restore memberships: the groups and users of a role, the groups in a group, a user
attribute's values per group, and a user's own attribute values. Each list in Looker gains the
backed-up members it lacks (mapped through the id map); nothing is removed or changed (a value
that differs is named, not overwritten), and values Looker hides are never sent. Users are never
created, so a gone user is skipped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lookervault.errors import NotFoundError
from lookervault.looker.writable import writable_body
from lookervault.restore.entries import Action, PlanEntry
from lookervault.restore.target import Target
from lookervault.restore.wanted import IdMap, mapped
from lookervault.restore.writes import Writes

__all__ = [
    "MEMBERSHIPS",
    "Membership",
    "differing",
    "hidden_lacking",
    "lacking",
    "plan_membership",
    "restore_membership",
]

KIND = "memberships"


@dataclass(frozen=True, slots=True)
class Membership:
    """One membership list: whose it is, where Looker serves it, how members are named."""

    vault_type: str  # the content type the vault stores it under, keyed by the owner's id
    owner: str  # the owner's kind
    path: str  # GET (and PUT, or POST per member) below /api/4.0
    member: str  # the id-map kind of a member
    member_key: str  # the member's id field in a list row
    # "put" the whole list, "post" one member at a time, "patch" one value at a time
    add: str
    value_path: str = ""  # "patch": where one value is set ({owner}, {member})
    own_only: bool = False  # only the rows Looker says are the owner's own (source "user")


MEMBERSHIPS = {
    m.vault_type: m
    for m in (
        Membership("role_groups", "roles", "/roles/{}/groups", "groups", "id", "put"),
        Membership("role_users", "roles", "/roles/{}/users", "users", "id", "put"),
        Membership("group_groups", "groups", "/groups/{}/groups", "groups", "id", "post"),
        Membership(
            "user_attribute_group_values", "user_attributes",
            "/user_attributes/{}/group_values", "groups", "group_id", "patch",
            "/groups/{member}/attribute_values/{owner}",
        ),
        Membership(
            "user_attribute_values", "users", "/users/{}/attribute_values", "user_attributes",
            "user_attribute_id", "patch", "/users/{owner}/attribute_values/{member}",
            own_only=True,
        ),
    )
}  # fmt: skip


async def current_members(target: Target, spec: Membership, owner_id: str) -> list[dict] | None:
    """The list in Looker now (None: the owner is gone)."""
    try:
        return await target.client.get_json(spec.path.format(owner_id))
    except NotFoundError:
        return None


def _counted(spec: Membership, rows: list[dict]) -> list[dict]:
    """The rows that are the owner's: a user's values that come from a group or the default
    are not the user's to restore."""
    if not spec.own_only:
        return rows
    return [row for row in rows if str(row.get("source") or "").lower().startswith("user")]


def lacking(
    spec: Membership, backed_up: list[dict], current: list[dict], id_map: IdMap
) -> list[dict]:
    """Backed-up rows whose (mapped) member the list in Looker lacks; hidden values excluded."""
    have = {str(row.get(spec.member_key)) for row in _counted(spec, current)}
    rows = []
    for row in _counted(spec, backed_up):
        member = mapped(id_map, spec.member, row.get(spec.member_key))
        if member is not None and member not in have and not row.get("value_is_hidden"):
            rows.append({**row, spec.member_key: member})
    return rows


async def plan_membership(
    target: Target,
    source_id: str,
    obj: dict[str, Any],
    title: str | None,
    id_map: IdMap,
    *,
    restored: bool = False,
) -> PlanEntry:
    """CREATE (members to add), SKIP (all there), BLOCKED (the owner is gone and not restored).

    ``restored``: the owner is gone but this restore creates it, so every member is to add.
    """
    spec = MEMBERSHIPS[obj["type"]]
    owner_id = mapped(id_map, spec.owner, obj["owner_id"]) or obj["owner_id"]
    current = await current_members(target, spec, owner_id)
    if current is None and not restored:
        reason = f"missing: {spec.owner[:-1]} {owner_id}"
        return PlanEntry(KIND, source_id, title, Action.BLOCKED, None, reason)
    current = current or []
    missing = lacking(spec, obj["rows"], current, id_map)
    if spec.member == "users":  # users are never created: a gone one is not a member to add
        missing = [row for row in missing if await target.get("users", row["id"]) is not None]
    hidden = hidden_lacking(spec, obj["rows"], current, id_map)
    note = (
        f"; hidden values of {spec.member} {', '.join(hidden)} cannot be restored" if hidden else ""
    )
    changed = differing(spec, obj["rows"], current, id_map)
    if changed:
        note += f"; values of {spec.member} {', '.join(changed)} differ, left as they are"
    if not missing:
        return PlanEntry(KIND, source_id, title, Action.SKIP, owner_id, "as in the backup" + note)
    names = ", ".join(str(row[spec.member_key]) for row in missing)
    reason = f"adds {spec.member} {names}{note}"
    return PlanEntry(KIND, source_id, title, Action.CREATE, owner_id, reason)


def differing(
    spec: Membership, backed_up: list[dict], current: list[dict], id_map: IdMap
) -> list[str]:
    """Members (of value lists) whose visible value in Looker is not the backed-up one."""
    if spec.add != "patch":
        return []
    now = {str(r.get(spec.member_key)): r for r in _counted(spec, current)}
    found = []
    for row in _counted(spec, backed_up):
        member = mapped(id_map, spec.member, row.get(spec.member_key))
        there = now.get(str(member))
        hidden = row.get("value_is_hidden") or (there or {}).get("value_is_hidden")
        if there is not None and not hidden and there.get("value") != row.get("value"):
            found.append(str(member))
    return found


def hidden_lacking(
    spec: Membership, backed_up: list[dict], current: list[dict], id_map: IdMap
) -> list[str]:
    """Members whose value the list in Looker lacks and the backup holds hidden (never given)."""
    have = {str(row.get(spec.member_key)) for row in _counted(spec, current)}
    groups = [mapped(id_map, spec.member, r.get(spec.member_key))
              for r in _counted(spec, backed_up) if r.get("value_is_hidden")]  # fmt: skip
    return [g for g in groups if g is not None and g not in have]


async def restore_membership(w: Writes, entry: PlanEntry, obj: dict[str, Any]) -> list[str]:
    """Add the lacking members: the whole list set again with them, or one POST each."""
    spec = MEMBERSHIPS[obj["type"]]
    owner_id = mapped(w.id_map, spec.owner, obj["owner_id"]) or str(entry.target_id)
    current = await current_members(w.target, spec, owner_id) or []
    missing = lacking(spec, obj["rows"], current, w.id_map)
    notes = []
    if spec.member == "users":  # users are never created: only those Looker has are added
        kept = [row for row in missing if await w.target.get("users", row["id"]) is not None]
        notes += [f"user {row['id']} is gone, not added" for row in missing if row not in kept]
        missing = kept
    path = spec.path.format(owner_id)
    if spec.add == "post":
        for row in missing:
            w.writes += 1
            await w.client.post_json(path, {"group_id": row[spec.member_key]})
    elif spec.add == "patch":
        # One group at a time (update_user_attribute_group_value): setting the whole list would
        # send back empty the values Looker hides, overwriting them.
        for row in missing:
            w.writes += 1
            value_path = spec.value_path.format(owner=owner_id, member=row[spec.member_key])
            await w.client.patch_json(value_path, writable_body(spec.vault_type, row))
    elif missing:
        w.writes += 1
        await w.client.put_json(path, [str(r.get("id")) for r in [*current, *missing]])
    hidden = hidden_lacking(spec, obj["rows"], current, w.id_map)
    if hidden:
        notes.append(
            f"hidden values of {spec.member} {', '.join(hidden)} not restored (Looker hides them)"
        )
    w.done(KIND, entry.source_id, str(entry.action), owner_id)
    return notes
