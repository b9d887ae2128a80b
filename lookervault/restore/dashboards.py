"""Restore one dashboard: the dashboard, its filters, then per tile its query and the tile, then
the layout components the server made for the tiles (patched to their backed-up place).

Updating in place keeps tile ids (alerts stay attached); tiles Looker has beyond the backup are
left alone and reported, or deleted with --prune.
"""

from __future__ import annotations

from typing import Any

from lookervault.errors import ApiError
from lookervault.looker.writable import filterables
from lookervault.restore.entries import Action, PlanEntry
from lookervault.restore.wanted import body_for, undelete_body
from lookervault.restore.writes import Writes

__all__ = ["COPY_SUFFIX", "restore_dashboard"]

COPY_SUFFIX = " (restored)"
_POSITION = ("row", "column", "width", "height")
_GRANULAR = ("granular_row", "granular_column", "granular_width", "granular_height")


async def restore_dashboard(w: Writes, entry: PlanEntry, obj: dict[str, Any]) -> list[str]:
    """Carry out the entry; returns notes (extra tiles left alone, parts not restored)."""
    source_id = entry.source_id
    body = body_for("dashboards", obj, w.id_map)
    if entry.action == Action.UNDELETE:
        await w.patch(f"/dashboards/{entry.target_id}", undelete_body(obj, w.id_map))
        w.done("dashboards", source_id, str(entry.action), entry.target_id)
        return []
    if entry.action == Action.CREATE and entry.resume:  # found again: make sure of its fields
        dash_id = str(entry.target_id)
        w.remember("dashboards", source_id, dash_id)
        await w.patch(f"/dashboards/{dash_id}", {k: v for k, v in body.items() if k != "slug"})
    elif entry.action == Action.CREATE:
        if entry.reason.startswith("a copy"):
            body["title"] = f"{body.get('title')}{COPY_SUFFIX}"
            body.pop("slug", None)
        dash_id = await _create(w, source_id, body)
    else:  # UPDATE
        dash_id = str(entry.target_id)
        await w.patch(f"/dashboards/{dash_id}", body)
    notes = await _parts(w, dash_id, obj, update=entry.action == Action.UPDATE)
    w.done("dashboards", source_id, str(entry.action), dash_id)
    return notes


async def _create(w: Writes, source_id: str, body: dict[str, Any]) -> str:
    """POST the dashboard; when its slug is taken (a dashboard in the trash keeps its slug), again
    without it: Looker then makes a new slug (a 422 was not applied, so this is no repeat)."""
    try:
        return str((await w.post("dashboards", source_id, "/dashboards", body))["id"])
    except ApiError as exc:
        if exc.status != 422 or "slug" not in exc.message.lower() or "slug" not in body:
            raise
    body = {key: value for key, value in body.items() if key != "slug"}
    return str((await w.post("dashboards", source_id, "/dashboards", body))["id"])


async def _parts(w: Writes, dash_id: str, obj: dict[str, Any], *, update: bool) -> list[str]:
    current = await w.target.get("dashboards", dash_id) or {}
    filters = {str(f["id"]): f for f in current.get("dashboard_filters") or ()}
    for row in obj.get("dashboard_filters") or ():
        body = {**body_for("dashboard_filters", row, w.id_map), "dashboard_id": dash_id}
        part, created = await w.child(
            "dashboard_filters", str(row["id"]), "/dashboard_filters", body, filters,
            lambda r: (r.get("name"), r.get("title")),
        )  # fmt: skip
        if update and not created:
            await w.patch(f"/dashboard_filters/{part}", body)
    elements = {str(e["id"]): e for e in current.get("dashboard_elements") or ()}
    notes: list[str] = []
    kept: set[str] = set()
    for row in obj.get("dashboard_elements") or ():
        body, note = await _element_body(w, dash_id, row)
        notes += note
        part, created = await w.child(
            "dashboard_elements", str(row["id"]), "/dashboard_elements", body, elements,
            lambda r: (r.get("type"), r.get("title"), r.get("body_text"), r.get("title_text")),
        )  # fmt: skip
        kept.add(part)
        if update and not created:
            await w.patch(f"/dashboard_elements/{part}", body)
    extra = sorted(set(elements) - kept)
    if extra and w.prune:
        for element_id in extra:
            await w.delete(f"/dashboard_elements/{element_id}")
        notes.append(f"tiles in Looker not in the backup, deleted (--prune): {', '.join(extra)}")
    elif extra:
        notes.append(f"tiles in Looker not in the backup, left alone: {', '.join(extra)}")
    await _place(w, dash_id, obj)
    return notes


async def _element_body(
    w: Writes, dash_id: str, row: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    body = {**body_for("dashboard_elements", row, w.id_map), "dashboard_id": dash_id}
    body.pop("query_id", None)
    bindings = filterables(row.get("result_maker"))
    if bindings is None:
        body.pop("result_maker", None)
    else:
        body["result_maker"] = bindings  # the tile-to-filter bindings (listen) must be sent
    notes = []
    if row.get("type") == "text":
        # "Result Maker IDs should not be provided for text elements"
        for key in ("look_id", "merge_result_id", "query_id", "result_maker"):
            body.pop(key, None)
        return body, notes
    if row.get("merge_result_id") is not None:
        merge_id = await w.merge_query(str(row["merge_result_id"]))
        if merge_id is None:
            body.pop("merge_result_id", None)
            notes.append(f"tile {row['id']}: its merge query is not in the vault")
        else:
            body["merge_result_id"] = merge_id
    if row.get("look_id") is None and isinstance(row.get("query"), dict):
        body["query_id"] = await w.query(row["query"])
    return body, notes


async def _place(w: Writes, dash_id: str, obj: dict[str, Any]) -> None:
    """PATCH each server-made layout component to its backed-up position and size."""
    current = await w.target.get("dashboards", dash_id) or {}
    layouts, backed_up = current.get("dashboard_layouts") or (), obj.get("dashboard_layouts") or ()
    if not layouts or not backed_up:
        return
    by_element = {
        str(c.get("dashboard_element_id")): c for c in layouts[0]["dashboard_layout_components"]
    }
    for component in backed_up[0].get("dashboard_layout_components") or ():
        source = str(component.get("dashboard_element_id"))
        element_id = w.id_map.get("dashboard_elements", {}).get(source, source)
        made = by_element.get(element_id)
        if made is None:
            continue
        wanted = {key: component.get(key) for key in (*_POSITION, *_GRANULAR) if key in component}
        if any(made.get(key) != value for key, value in wanted.items()):
            await w.patch(f"/dashboard_layout_components/{made['id']}", wanted)
