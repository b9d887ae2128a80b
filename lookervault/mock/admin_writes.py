"""Mock writes of the admin objects: permission sets, model sets, roles, groups, user attributes
and themes. Names are unique per type; a role's permission set and model set must exist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lookervault.mock.world import _CAN
from lookervault.mock.write_support import (
    IdSource,
    accepted,
    must_exist,
    refuse,
    require,
    validation_failed,
)

if TYPE_CHECKING:
    from lookervault.mock.data import MockData

__all__: list[str] = []

ADMIN_KINDS = ("permission_sets", "model_sets", "roles", "groups", "user_attributes", "themes")
_API = "https://mock.looker.example/api/4.0"
_DEFAULTS: dict[str, dict[str, Any]] = {
    "permission_sets": {"all_access": False, "built_in": False, "permissions": []},
    "model_sets": {"all_access": False, "built_in": False, "models": []},
    "roles": {"internal": False},
    "groups": {"can_add_to_content_metadata": True, "contains_current_user": False,
               "external_group_id": None, "externally_managed": False,
               "include_by_default": False, "user_count": 0},
    "user_attributes": {"default_value": None, "hidden_value_domain_whitelist": None,
                        "is_permanent": False, "is_system": False, "needed_for_ci_run": False,
                        "user_can_edit": True, "user_can_view": True, "value_for_ci_run": None,
                        "value_is_hidden": False},
    "themes": {"begin_at": None, "end_at": None, "settings": {}},
}  # fmt: skip


def create_admin(data: MockData, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST /{kind}: the required fields, a name no other object of the type has."""
    require(kind, body)
    fields = accepted(kind, body)
    _check(data, kind, fields, but=None)
    number = IdSource.next_id(data, kind)
    obj = {"can": _CAN, "id": number, **_DEFAULTS[kind], **fields}
    _derive(data, kind, obj)
    data.objects[kind][number] = obj
    return obj


def update_admin(data: MockData, kind: str, item_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """PATCH /{kind}/{id}."""
    old = data.objects[kind].get(item_id)
    if old is None:
        raise refuse(404, "Not found")
    obj = {**old, **accepted(kind, body)}
    _check(data, kind, obj, but=item_id)
    _derive(data, kind, obj)
    data.objects[kind][item_id] = obj
    return obj


def _check(data: MockData, kind: str, obj: dict[str, Any], *, but: str | None) -> None:
    if any(o["name"] == obj["name"] and o["id"] != but for o in data.objects[kind].values()):
        raise validation_failed("name", "already_exists", "Name has already been taken")
    if kind == "roles":
        must_exist(
            data.objects["permission_sets"], obj.get("permission_set_id"), "permission_set_id"
        )
        must_exist(data.objects["model_sets"], obj.get("model_set_id"), "model_set_id")


def _derive(data: MockData, kind: str, obj: dict[str, Any]) -> None:
    if kind in ("permission_sets", "model_sets", "roles"):
        obj["url"] = f"{_API}/{kind}/{obj['id']}"
    if kind == "roles":
        obj["permission_set_id"] = str(obj["permission_set_id"])
        obj["model_set_id"] = str(obj["model_set_id"])
        obj["users_url"] = f"{_API}/roles/{obj['id']}/users"
        obj["permission_set"] = data.objects["permission_sets"][obj["permission_set_id"]]
        obj["model_set"] = data.objects["model_sets"][obj["model_set_id"]]
