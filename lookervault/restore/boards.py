"""Restore one board: the board, its sections, their items (pointing at the mapped dashboards and
looks), then the order fields, which can only name parts that exist."""

from __future__ import annotations

from typing import Any

from lookervault.restore.entries import Action, PlanEntry
from lookervault.restore.wanted import body_for, mapped
from lookervault.restore.writes import Writes

__all__ = ["restore_board", "without_items"]


def without_items(board: dict[str, Any], dropped: set[str]) -> dict[str, Any]:
    """The board without the items ``dropped`` (their content is gone and not being restored):
    what a restore can make of it, so a plan compares against that and not against items no
    restore can bring back."""
    sections = []
    for section in board.get("board_sections") or ():
        items = [i for i in section.get("board_items") or () if str(i.get("id")) not in dropped]
        kept = {str(i.get("id")) for i in items}
        orders = {key: [i for i in section[key] if str(i) in kept]
                  for key in ("item_order", "visible_item_order") if isinstance(section.get(key), list)}  # fmt: skip
        sections.append({**section, "board_items": items, **orders})
    return {**board, "board_sections": sections}


async def restore_board(w: Writes, entry: PlanEntry, obj: dict[str, Any]) -> list[str]:
    """Create or complete a board; items whose content is gone are reported, not restored."""
    body = body_for("boards", obj, w.id_map)
    body.pop("section_order", None)
    if entry.action == Action.CREATE and not entry.resume:
        board_id = str((await w.post("boards", entry.source_id, "/boards", body))["id"])
    else:
        board_id = str(entry.target_id)
        if entry.action == Action.UPDATE:
            await w.patch(f"/boards/{board_id}", body)
    notes: list[str] = []
    current = await w.target.get("boards", board_id) or {}
    sections = {str(s["id"]): s for s in current.get("board_sections") or ()}
    for section in obj.get("board_sections") or ():
        section_body = body_for("board_sections", section, w.id_map)
        section_body.pop("item_order", None)
        section_body["board_id"] = board_id
        section_id, _ = await w.child(
            "board_sections", str(section["id"]), "/board_sections", section_body, sections,
            lambda r: (r.get("title"), r.get("description")),
        )  # fmt: skip
        notes += await _items(w, section_id, section, sections.get(section_id))
    order = [mapped(w.id_map, "board_sections", s) for s in obj.get("section_order") or ()]
    await w.patch(f"/boards/{board_id}", {"section_order": order})
    w.done("boards", entry.source_id, str(entry.action), board_id)
    return notes


async def _items(
    w: Writes, section_id: str, section: dict[str, Any], current: dict[str, Any] | None
) -> list[str]:
    existing = {str(i["id"]): i for i in (current or {}).get("board_items") or ()}
    notes, placed = [], []
    for item in section.get("board_items") or ():
        body = {**body_for("board_items", item, w.id_map), "board_section_id": section_id}
        kind = "looks" if item.get("look_id") is not None else "dashboards"
        ref = body.get("look_id") if kind == "looks" else body.get("dashboard_id")
        if await w.target.get(kind, ref) is None:
            notes.append(f"board item {item['id']}: {kind[:-1]} {ref} does not exist")
            continue
        item_id, _ = await w.child(
            "board_items", str(item["id"]), "/board_items", body, existing,
            lambda r: (r.get("dashboard_id"), r.get("look_id"), r.get("order")),
        )  # fmt: skip
        placed.append(item_id)
    wanted = [mapped(w.id_map, "board_items", i) for i in section.get("item_order") or ()]
    order = [i for i in wanted if i in placed] + [
        i for i in existing if i not in placed
    ]  # items only Looker has stay, after the restored ones
    await w.patch(f"/board_sections/{section_id}", {"item_order": order})
    return notes
