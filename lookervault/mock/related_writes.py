"""The writable mock's writes to memberships and content metadata, acting on mock/related.py.

A restore re-adds the members a role, group or user attribute lost and sets whether a folder
inherits its parent's access; these endpoints let it, and let a later GET see the new state.
Bodies as the API description's request schemas give them: set_role_groups and set_role_users
take a list of ids (the list becomes exactly those), add_group_group a GroupIdForGroupInclusion,
set_user_attribute_group_values a list of UserAttributeGroupValue (the values become exactly
those, ranked in order), update_user_attribute_group_value one group's value (the others kept),
set_user_attribute_user_value a user's own value, update_content_metadata a ContentMeta of which
only `inherits` is writable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lookervault.mock.related import group_value
from lookervault.mock.write_support import must_exist, refuse, validation_failed

if TYPE_CHECKING:
    from lookervault.mock.related import Related

__all__: list[str] = []


def _ids(body: Any, field: str) -> list[str]:
    """A list body of ids (strings, as the request schema says)."""
    if not isinstance(body, list) or not all(isinstance(i, str) for i in body):
        raise validation_failed(field, "invalid", f"a list of {field} is required")
    return list(dict.fromkeys(body))


def _owner(objects: dict[str, Any], owner_id: str) -> None:
    if owner_id not in objects:
        raise refuse(404, "Not found")


def _attribute_value(
    related: Related, owners: str, ids: str, body: dict[str, Any]
) -> tuple[str, str, str]:
    """(owner id, attribute id, value) of a PATCH /{owners}/{id}/attribute_values/{attr}."""
    owner_id, attr_id = ids.split("/")
    _owner(related.data.objects[owners], owner_id)
    _owner(related.data.objects["user_attributes"], attr_id)
    if not isinstance(body.get("value"), str):
        raise validation_failed("value", "missing_field", "This field is required.")
    return owner_id, attr_id, body["value"]


def set_role_groups(related: Related, role_id: str, body: Any) -> list[dict[str, Any]]:
    """PUT /roles/{id}/groups: the role's groups become exactly the ids given."""
    objects = related.data.objects
    _owner(objects["roles"], role_id)
    group_ids = _ids(body, "group_ids")
    for group_id in group_ids:
        must_exist(objects["groups"], group_id, "group_ids")
    related.role_groups[role_id] = group_ids
    return [objects["groups"][g] for g in group_ids]


def set_role_users(related: Related, role_id: str, body: Any) -> list[dict[str, Any]]:
    """PUT /roles/{id}/users: the role's users become exactly the ids given (users' role_ids)."""
    users = related.data.objects["users"]
    _owner(related.data.objects["roles"], role_id)
    user_ids = _ids(body, "user_ids")
    for user_id in user_ids:
        must_exist(users, user_id, "user_ids")
    for key, user in list(users.items()):
        roles = [r for r in user["role_ids"] if r != role_id]
        if key in user_ids:
            roles.append(role_id)
        if roles != user["role_ids"]:
            users[key] = {**user, "role_ids": roles}
    return [users[u] for u in user_ids]


def add_group_group(related: Related, group_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST /groups/{id}/groups: the group named in the body joins the group (once)."""
    groups = related.data.objects["groups"]
    _owner(groups, group_id)
    member = body.get("group_id")
    if member in (None, ""):
        raise validation_failed("group_id", "missing_field", "This field is required.")
    member = str(member)
    must_exist(groups, member, "group_id")
    if member == group_id:
        raise validation_failed("group_id", "invalid", "a group cannot include itself")
    members = related.group_groups.setdefault(group_id, [])
    if member not in members:
        members.append(member)
    return groups[member]


def set_group_values(related: Related, attr_id: str, body: Any) -> list[dict[str, Any]]:
    """POST /user_attributes/{id}/group_values: the values per group become exactly those given."""
    objects = related.data.objects
    _owner(objects["user_attributes"], attr_id)
    if not isinstance(body, list) or not all(isinstance(row, dict) for row in body):
        raise validation_failed("group_values", "invalid", "a list of group values is required")
    values = []
    for rank, row in enumerate(body):
        group_id = None if row.get("group_id") is None else str(row["group_id"])
        must_exist(objects["groups"], group_id, "group_id")
        if group_id in {v["group_id"] for v in values}:
            raise validation_failed("group_id", "invalid", f"group {group_id} given twice")
        values.append({**group_value(attr_id, str(group_id), rank), "value": row.get("value")})
    related.group_values[attr_id] = values
    return values


def set_group_value(related: Related, ids: str, body: dict[str, Any]) -> dict[str, Any]:
    """PATCH /groups/{group_id}/attribute_values/{user_attribute_id}: one group's value, the
    others untouched (a new group ranks last)."""
    group_id, attr_id, value = _attribute_value(related, "groups", ids, body)
    values = list(related.group_values.get(attr_id, ()))
    index = next((n for n, v in enumerate(values) if v["group_id"] == group_id), len(values))
    row = {**group_value(attr_id, group_id, index), "value": value}
    if index < len(values):
        row["rank"] = values[index]["rank"]
    values[index : index + 1] = [row]
    related.group_values[attr_id] = values
    return row


def set_user_value(related: Related, ids: str, body: dict[str, Any]) -> dict[str, Any]:
    """PATCH /users/{user_id}/attribute_values/{user_attribute_id}: the user's own value."""
    user_id, attr_id, value = _attribute_value(related, "users", ids, body)
    related.user_values.setdefault(user_id, {})[attr_id] = value
    rows = related.user_attribute_values(user_id)
    return next(row for row in rows if row["user_attribute_id"] == attr_id)


def update_content_metadata(related: Related, cmid: str, body: dict[str, Any]) -> dict[str, Any]:
    """PATCH /content_metadata/{id}: set `inherits` (content without a parent cannot inherit)."""
    metas = related.content_metadata()
    if cmid not in metas:
        raise refuse(404, "Not found")
    inherits = body.get("inherits")
    if inherits is None:
        return metas[cmid]
    if not isinstance(inherits, bool):
        raise validation_failed("inherits", "invalid", "inherits must be true or false")
    if inherits and metas[cmid]["parent_id"] is None:
        raise validation_failed("inherits", "invalid", "content without a parent cannot inherit")
    related.inherits[cmid] = inherits
    return related.content_metadata()[cmid]
