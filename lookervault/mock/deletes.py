"""Hard deletes as an admin makes them (test control endpoints): a folder subtree, or one object.

Deleting a folder deletes its subfolders, every dashboard and look in them (the trash too), the
schedules and alerts on those, and the board items pointing at them, as Looker does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lookervault.mock.data import MockData

__all__: list[str] = []

_DELETABLE = frozenset({
    "dashboards", "looks", "folders", "boards", "scheduled_plans", "alerts",
    "permission_sets", "model_sets", "roles", "groups", "user_attributes", "themes",
})  # fmt: skip


def hard_delete_folder(data: MockData, folder_id: str) -> dict[str, list[str]] | None:
    """Delete the folder subtree; returns the ids deleted per type (None: no such folder)."""
    folders = data.objects["folders"]
    if folder_id not in folders:
        return None
    subtree = [folder_id]
    for current in subtree:  # grows while iterating: breadth-first
        subtree += [f for f, folder in folders.items() if folder["parent_id"] == current]
    gone: dict[str, list[str]] = {}
    for kind in ("dashboards", "looks"):
        gone[kind] = [i for i, o in data.objects[kind].items() if o["folder_id"] in subtree]
    elements = {
        e["id"]
        for d in gone["dashboards"]
        for e in data.objects["dashboards"][d]["dashboard_elements"]
    }
    gone["scheduled_plans"] = [
        i for i, p in data.objects["scheduled_plans"].items()
        if p.get("dashboard_id") in gone["dashboards"] or p.get("look_id") in gone["looks"]
    ]  # fmt: skip
    gone["alerts"] = [
        i for i, a in data.objects["alerts"].items() if a.get("dashboard_element_id") in elements
    ]
    for kind in ("alerts", "scheduled_plans", "dashboards", "looks"):
        for item_id in gone[kind]:
            data.delete(kind, item_id)
    gone["folders"] = list(reversed(subtree))  # children first: counts stay right
    for item_id in gone["folders"]:
        data.delete("folders", item_id)
    gone["boards"] = _drop_board_items(data, set(gone["dashboards"]), set(gone["looks"]))
    return gone


def hard_delete(data: MockData, kind: str, item_id: str) -> dict[str, list[str]] | None:
    """Delete one object (None: no such object or type)."""
    if kind not in _DELETABLE or item_id not in data.objects[kind]:
        return None
    data.delete(kind, item_id)
    return {kind: [item_id]}


def _drop_board_items(data: MockData, dashboards: set[str], looks: set[str]) -> list[str]:
    changed = []
    for board_id, board in list(data.objects["boards"].items()):
        sections = []
        for section in board["board_sections"]:
            items = [
                i for i in section["board_items"]
                if i.get("dashboard_id") not in dashboards and i.get("look_id") not in looks
            ]  # fmt: skip
            order = [i["id"] for i in items]
            sections.append({**section, "board_items": items, "item_order": order,
                             "visible_item_order": order})  # fmt: skip
        if sections != board["board_sections"]:
            data.objects["boards"][board_id] = {**board, "board_sections": sections}
            changed.append(board_id)
    return changed
