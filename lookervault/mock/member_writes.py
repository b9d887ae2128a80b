"""Mock writes of memberships: a user added to a group, a user's roles set."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lookervault.mock.write_support import accepted, must_exist, refuse, require, validation_failed

if TYPE_CHECKING:
    from lookervault.mock.data import MockData

__all__: list[str] = []


def add_group_user(data: MockData, group_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST /groups/{id}/users: the user joins the group (already in it: no change)."""
    require("group_users", body)
    if group_id not in data.objects["groups"]:
        raise refuse(404, "Not found")
    user_id = str(accepted("group_users", body)["user_id"])
    must_exist(data.objects["users"], user_id, "user_id")
    user = data.objects["users"][user_id]
    if group_id not in user["group_ids"]:
        data.objects["users"][user_id] = {**user, "group_ids": [*user["group_ids"], group_id]}
        group = data.objects["groups"][group_id]
        data.objects["groups"][group_id] = {**group, "user_count": group["user_count"] + 1}
    return data.objects["users"][user_id]


def set_user_roles(data: MockData, user_id: str, body: Any) -> list[dict[str, Any]]:
    """PUT /users/{id}/roles: the user's roles become exactly the ids given."""
    if user_id not in data.objects["users"]:
        raise refuse(404, "Not found")
    if not isinstance(body, list) or not all(isinstance(i, str) for i in body):
        raise validation_failed("role_ids", "invalid", "a list of role ids is required")
    for role_id in body:
        must_exist(data.objects["roles"], role_id, "role_ids")
    data.objects["users"][user_id] = {**data.objects["users"][user_id], "role_ids": list(body)}
    return [data.objects["roles"][role_id] for role_id in body]
