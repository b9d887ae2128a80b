"""What blocks an object from being restored: a dependency that neither exists in Looker nor is
being restored (a LookML model or explore, a folder, a look or dashboard a tile points at)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lookervault.restore.target import Target

__all__ = ["dependencies", "missing_explores", "queries_of"]


def queries_of(kind: str, obj: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """The queries an object runs (a look's, each query tile's)."""
    if kind == "looks" and isinstance(obj.get("query"), dict):
        yield obj["query"]
    if kind == "dashboards":
        for element in obj.get("dashboard_elements") or ():
            if isinstance(element.get("query"), dict) and element.get("look_id") is None:
                yield element["query"]


async def missing_explores(target: Target, kind: str, obj: dict[str, Any]) -> list[str]:
    """``model::explore`` of every query of ``obj`` whose explore Looker no longer has."""
    missing = []
    for query in queries_of(kind, obj):
        model, view = str(query.get("model")), str(query.get("view"))
        if not await target.explore_exists(model, view):
            missing.append(f"{model}::{view}")
    return sorted(set(missing))


def dependencies(kind: str, obj: dict[str, Any], tiles: dict[str, str]) -> list[tuple[str, str]]:
    """The (kind, backed-up id) pairs an object refers to and needs in Looker first."""
    refs: list[tuple[str, Any]] = []
    if kind == "roles":
        refs += [
            ("permission_sets", obj.get("permission_set_id")),
            ("model_sets", obj.get("model_set_id")),
        ]
    if kind == "memberships":
        owner = {"role_groups": "roles", "role_users": "roles", "group_groups": "groups",
                 "user_attribute_values": "users"}  # fmt: skip
        refs.append((owner.get(obj["type"], "user_attributes"), obj.get("owner_id")))
    if kind == "users":
        refs += [("groups", g) for g in obj.get("group_ids") or ()]
        refs += [("roles", r) for r in obj.get("role_ids") or ()]
    if kind == "folders":
        refs.append(("folders", obj.get("parent_id")))
    if kind == "content_metadata_access":
        refs.append((obj["owner"], obj.get("owner_id")))
    if kind in ("looks", "dashboards"):
        refs.append(("folders", obj.get("folder_id")))
    if kind == "dashboards":
        refs += [("looks", e.get("look_id")) for e in obj.get("dashboard_elements") or ()]
    if kind == "boards":
        for section in obj.get("board_sections") or ():
            for item in section.get("board_items") or ():
                refs += [("dashboards", item.get("dashboard_id")), ("looks", item.get("look_id"))]
    if kind == "scheduled_plans":
        refs += [("dashboards", obj.get("dashboard_id")), ("looks", obj.get("look_id"))]
    if kind == "alerts":
        refs.append(("dashboards", tiles.get(str(obj.get("dashboard_element_id")))))
    return [(k, str(i)) for k, i in refs if i is not None]
