"""Generators of looks, dashboards, boards, scheduled plans and alerts."""

from __future__ import annotations

import random

from lookervault.mock.people import _folder_base
from lookervault.mock.world import (
    _ACCESS_ID_STRIDE,
    _CAN,
    _CLOCK_START,
    _PALETTE,
    _SHARED_ROOT_ID,
    _TIMEZONES,
    _WEB_ROOT,
    ME_ID,
    JsonObject,
    _below,
    _cmd_id,
    _description,
    _iso,
    _maybe,
    _moments,
    _title,
    _World,
)

__all__: list[str] = []

# Every 20th dashboard and look (ids 10, 30, ...) is in the trash: 5%, and even tiny has one.
_SOFT_DELETED_EVERY = 20
_SOFT_DELETED_OFFSET = 10
_ELEMENT_ID_STRIDE = 1_000  # element/filter/layout ids are dashboard_id * stride + n
_BOARD_ID_STRIDE = 100
# Dashboard size: most have a few tiles, a long tail has very many (100-500 KB of JSON).
_SMALL_DASHBOARD_TILES = (1, 4)
_HUGE_DASHBOARD_TILES = (35, 150)
_HUGE_DASHBOARD_SHARE = 0.02
_LOOK_TILE_SHARE = 0.2


# --- looks and dashboards ----------------------------------------------------------------


def _soft_delete(rng: random.Random, item_id: int, world: _World, updated: int) -> JsonObject:
    if item_id % _SOFT_DELETED_EVERY != _SOFT_DELETED_OFFSET:
        return {"deleted": False, "deleted_at": None, "deleter_id": None}
    return {"deleted": True, "deleted_at": _iso(updated), "deleter_id": world.pick(rng, "users")}


def _content_common(rng: random.Random, item_id: int, world: _World, kind: str) -> JsonObject:
    """Fields Looks and Dashboards share: ownership, folder, timestamps, counters."""
    folder_id = world.pick(rng, "folders") or _SHARED_ROOT_ID
    folder = world.objects["folders"].get(folder_id)
    user_id = world.folder_owner(folder_id, rng)
    user = world.objects["users"].get(user_id)
    updater = world.pick(rng, "users")
    created, updated = _moments(rng)
    viewed = updated + _below(rng, _CLOCK_START - updated)
    return {
        "can": _CAN,
        "content_favorite_id": None,
        "content_metadata_id": _cmd_id(kind, item_id),
        "id": str(item_id),
        "title": _title(rng),
        "user_id": user_id,
        "description": _description(rng),
        "created_at": _iso(created),
        "updated_at": _iso(updated),
        "last_accessed_at": _maybe(rng, _iso(viewed), 0.3),
        "last_viewed_at": _maybe(rng, _iso(viewed), 0.3),
        "last_updater_id": updater,
        "user_name": user["display_name"] if user else None,
        "favorite_count": _below(rng, 20),
        "view_count": _below(rng, 5_000),
        "usage_count": _below(rng, 10_000),
        "is_owner_disabled": bool(user and user["is_disabled"]),
        "folder_id": folder_id,
        **({"folder": _folder_base(folder)} if folder else {}),
        **_soft_delete(rng, item_id, world, updated),
    }


def _certification(rng: random.Random) -> JsonObject:
    status = rng.choice(("certified", "revoked", None))
    return {
        "certification_status": status,
        "ui_status": status,
        "user_name": "Ada Lovelace" if status else None,
        "notes": None,
        "updated_at": _iso(_moments(rng)[0]) if status else None,
    }


def _look_query(look_id: str, world: _World) -> JsonObject:
    return world.queries[int(look_id) % len(world.queries)]


def _build_look(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    query = _look_query(str(item_id), world)
    public = rng.random() < 0.05
    slug = f"{rng.getrandbits(64):016x}"
    return {
        **_content_common(rng, item_id, world, "looks"),
        "certification_metadata": _certification(rng),
        "embed_url": f"{_WEB_ROOT}/embed/looks/{item_id}",
        "excel_file_url": f"{_WEB_ROOT}/looks/{item_id}.xlsx",
        "google_spreadsheet_formula": f'=IMPORTDATA("{_WEB_ROOT}/looks/{item_id}.csv")',
        "image_embed_url": f"{_WEB_ROOT}/looks/{item_id}.png",
        "is_run_on_load": rng.random() < 0.3,
        "model": {"id": query["model"], "label": query["model"].replace("_", " ").title()},
        "public": public,
        "public_slug": slug if public else None,
        "public_url": f"{_WEB_ROOT}/looks/{slug}" if public else None,
        "query_id": query["id"],
        "short_url": f"/x/{slug}",
        "query": query,
        "url": f"/looks/{item_id}",
    }


_ELEMENT_BASE: JsonObject = {
    "can": _CAN,
    "body_text": None,
    "body_text_as_html": None,
    "edit_uri": None,
    "lookml_link_id": None,
    "merge_result_id": None,
    "filter_id": None,
    "refresh_interval": None,
    "refresh_interval_to_i": None,
    "title_text": None,
    "type": "vis",
    "rich_content_json": None,
    "title_text_as_html": None,
    "subtitle_text_as_html": None,
    "extension_id": None,
    "aria_description": None,
}
_COMPONENT_BASE: JsonObject = {"can": _CAN, "deleted": False, "element_title_hidden": False}


def _build_element(rng: random.Random, element_id: int, dash_id: str, world: _World) -> JsonObject:
    look_id = world.pick(rng, "looks") if rng.random() < _LOOK_TILE_SHARE else None
    queries = world.queries
    query = _look_query(look_id, world) if look_id else queries[_below(rng, len(queries))]
    note = rng.random() < 0.15
    return {
        **_ELEMENT_BASE,
        "dashboard_id": dash_id,
        "dashboard_layout_id": str(int(dash_id) * _ELEMENT_ID_STRIDE + 1),
        "id": str(element_id),
        "look_id": look_id,
        "note_display": "above" if note else None,
        "note_state": "collapsed" if note else None,
        "note_text": "Numbers refresh nightly." if note else None,
        "note_text_as_html": "<p>Numbers refresh nightly.</p>" if note else None,
        "query": query,
        "query_id": query["id"],
        "result_maker_id": str(element_id),
        "subtitle_text": _maybe(rng, "Last 30 days", 0.7),
        "title": _title(rng),
        "title_hidden": rng.random() < 0.1,
        "alert_count": _below(rng, 3),
    }


def _layout_component(element: JsonObject, index: int, layout_id: str) -> JsonObject:
    return {
        **_COMPONENT_BASE,
        "id": element["id"],
        "dashboard_layout_id": layout_id,
        "dashboard_element_id": element["id"],
        "row": (index // 4) * 6,
        "column": (index % 4) * 6,
        "width": 6,
        "height": 6,
        "element_title": element["title"],
        "vis_type": element["query"]["vis_config"]["type"],
        "granular_row": (index // 4) * 24,
        "granular_column": (index % 4) * 24,
        "granular_width": 24,
        "granular_height": 24,
    }


def _build_layout(dash: JsonObject, elements: list[JsonObject]) -> JsonObject:
    layout_id = str(int(dash["id"]) * _ELEMENT_ID_STRIDE + 1)
    return {
        "can": _CAN,
        "id": layout_id,
        "dashboard_id": dash["id"],
        "type": "newspaper",
        "active": True,
        "column_width": None,
        "width": None,
        "deleted": False,
        "dashboard_title": dash["title"],
        "dashboard_layout_components": [
            _layout_component(element, index, layout_id) for index, element in enumerate(elements)
        ],
        "label": None,
        "description": None,
        "order": 0,
        "lookml_link_id": None,
    }


def _build_filter(
    rng: random.Random, filter_id: int, dash_id: str, query: JsonObject
) -> JsonObject:
    dimension = query["fields"][0]
    return {
        "can": _CAN,
        "id": str(filter_id),
        "dashboard_id": dash_id,
        "name": dimension.split(".")[-1].replace("_", " ").title(),
        "title": _title(rng),
        "type": "field_filter",
        "default_value": _maybe(rng, "30 days"),
        "model": query["model"],
        "explore": query["view"],
        "dimension": dimension,
        "field": None,
        "row": filter_id % _ELEMENT_ID_STRIDE,
        "listens_to_filters": [],
        "allow_multiple_values": True,
        "required": rng.random() < 0.1,
        "ui_config": {"type": "advanced", "display": "popover", "options": []},
    }


def _tile_count(rng: random.Random) -> int:
    low, high = (
        _HUGE_DASHBOARD_TILES if rng.random() < _HUGE_DASHBOARD_SHARE else _SMALL_DASHBOARD_TILES
    )
    return rng.randint(low, high)


# A dashboard's settings as Looker stores them when none is chosen; generated dashboards draw
# some of them at random, and a dashboard created through the API starts from these.
_SETTINGS_BASE: JsonObject = {
    "hidden": False,
    "query_timezone": None,
    "readonly": False,
    "refresh_interval": None,
    "preferred_viewer": "dashboards-next",
    "alert_sync_with_dashboard_filter_enabled": False,
    "chat_enabled": False,
    "background_color": None,
    "crossfilter_enabled": False,
    "enable_viz_full_screen": True,
    "filters_bar_collapsed": False,
    "filters_location_top": True,
    "load_configuration": "wait",
    "lookml_link_id": None,
    "show_filters_bar": True,
    "show_title": True,
    "text_tile_text_color": None,
    "tile_background_color": None,
    "tile_text_color": None,
    "title_color": None,
    "preserve_desktop_layout": False,
}


def _dashboard_settings(rng: random.Random) -> JsonObject:
    drawn = {
        "hidden": rng.random() < 0.05,
        "query_timezone": rng.choice(_TIMEZONES),
        "refresh_interval": _maybe(rng, "1 hour", 0.8),
        "background_color": _maybe(rng, rng.choice(_PALETTE), 0.8),
        "crossfilter_enabled": rng.random() < 0.3,
        "load_configuration": rng.choice(("wait", "cache_run")),
    }
    return {**_SETTINGS_BASE, **drawn}


def _build_dashboard(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    dash_id = str(item_id)
    dash = {**_content_common(rng, item_id, world, "dashboards"), **_dashboard_settings(rng)}
    first = item_id * _ELEMENT_ID_STRIDE + 1
    elements = [_build_element(rng, first + n, dash_id, world) for n in range(_tile_count(rng))]
    filters = [
        _build_filter(rng, first + n, dash_id, elements[0]["query"])
        for n in range(rng.randint(0, 3))
    ]
    dash.update(
        model={"id": elements[0]["query"]["model"], "label": None},
        slug=f"{rng.getrandbits(88):022x}",
        certification_metadata=_certification(rng),
        dashboard_elements=elements,
        dashboard_filters=filters,
        dashboard_layouts=[_build_layout(dash, elements)],
        edit_uri=f"/dashboards/{item_id}/edit",
        last_updater_name=None,
        url=f"/dashboards/{item_id}",
    )
    return dash


# --- boards, schedules, alerts ---------------------------------------------------------


def _board_item(rng: random.Random, item_id: int, section_id: str, world: _World) -> JsonObject:
    is_look = rng.random() < 0.4
    target = world.pick(rng, "looks" if is_look else "dashboards")
    custom = rng.random() < 0.2
    return {
        "can": _CAN,
        "content_created_by": None,
        "content_favorite_id": None,
        "content_metadata_id": _cmd_id("looks" if is_look else "dashboards", int(target or 0)),
        "content_updated_at": None,
        "custom_description": "Pinned for the weekly review" if custom else None,
        "custom_title": _title(rng) if custom else None,
        "custom_url": None,
        "dashboard_id": None if is_look else target,
        "description": None,
        "favorite_count": rng.randrange(10),
        "board_section_id": section_id,
        "id": str(item_id),
        "image_url": None,
        "location": None,
        "look_id": target if is_look else None,
        "lookml_dashboard_id": None,
        "order": item_id % _BOARD_ID_STRIDE,
        "title": None,
        "url": f"/{'looks' if is_look else 'dashboards'}/{target}",
        "use_custom_description": custom,
        "use_custom_title": custom,
        "use_custom_url": False,
        "view_count": rng.randrange(500),
        "custom_image_data_base64": None,
        "custom_image_url": None,
        "use_custom_image": False,
    }


def _board_section(rng: random.Random, section_id: int, board_id: str, world: _World) -> JsonObject:
    sid = str(section_id)
    first = section_id * _BOARD_ID_STRIDE + 1
    items = [_board_item(rng, first + n, sid, world) for n in range(rng.randint(0, 5))]
    created, updated = _moments(rng)
    return {
        "can": _CAN,
        "created_at": _iso(created),
        "deleted_at": None,
        "description": _description(rng),
        "board_id": board_id,
        "board_items": items,
        "id": sid,
        "item_order": [item["id"] for item in items],
        "visible_item_order": [item["id"] for item in items],
        "title": _maybe(rng, _title(rng), 0.2),
        "updated_at": _iso(updated),
    }


def _build_board(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    first = item_id * _BOARD_ID_STRIDE + 1
    board_id = str(item_id)
    sections = [_board_section(rng, first + n, board_id, world) for n in range(rng.randint(1, 3))]
    created, updated = _moments(rng)
    return {
        "can": _CAN,
        "content_metadata_id": _cmd_id("boards", item_id),
        "created_at": _iso(created),
        "deleted_at": None,
        "description": _description(rng),
        "board_sections": sections,
        "id": board_id,
        "section_order": [section["id"] for section in sections],
        "title": _title(rng),
        "updated_at": _iso(updated),
        "user_id": world.pick(rng, "users"),
        "primary_homepage": False,
    }


def _owner(rng: random.Random, world: _World) -> str:
    """Content owners: the API user owns a fair share so 'mine' filters find something."""
    return ME_ID if rng.random() < 0.2 else world.pick(rng, "users") or ME_ID


def _user_public(user: JsonObject) -> JsonObject:
    keys = ("can", "id", "first_name", "last_name", "display_name", "avatar_url", "url")
    return {key: user[key] for key in keys}


def _destination(rng: random.Random, dest_id: int, plan_id: str) -> JsonObject:
    return {
        "id": str(dest_id),
        "scheduled_plan_id": plan_id,
        "format": rng.choice(("wysiwyg_pdf", "csv_zip", "wysiwyg_png", "inline_json")),
        "apply_formatting": True,
        "apply_vis": True,
        "address": f"team{dest_id % 97}@example.com",
        "looker_recipient": False,
        "type": "email",
        "parameters": None,
        "secret_parameters": None,
        "message": _maybe(rng, "Weekly numbers attached."),
    }


_PLAN_BASE: JsonObject = {
    "can": _CAN,
    "run_as_recipient": False,
    "lookml_dashboard_id": None,
    "filters_string": None,
    "dashboard_filters": None,
    "require_results": False,
    "require_no_results": False,
    "require_change": False,
    "send_all_results": False,
    "datagroup": None,
    "run_once": False,
    "include_links": True,
    "include_dashboard_summary": False,
    "custom_url_base": None,
    "custom_url_params": None,
    "custom_url_label": None,
    "show_custom_url": False,
    "pdf_paper_size": None,
    "pdf_landscape": False,
    "embed": False,
    "color_theme": None,
    "long_tables": False,
    "pdf_page_breaks": False,
    "tab_ids": None,
    "inline_table_width": None,
    "query_id": None,
    "title": None,
}


def _build_scheduled_plan(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    user_id = _owner(rng, world)
    on_look = rng.random() < 0.4
    target = world.pick(rng, "looks" if on_look else "dashboards")
    plan_id = str(item_id)
    created, updated = _moments(rng)
    user = world.objects["users"].get(user_id)
    destinations = [
        _destination(rng, item_id * _ACCESS_ID_STRIDE + n, plan_id)
        for n in range(rng.randint(1, 3))
    ]
    return {
        **_PLAN_BASE,
        "id": plan_id,
        "name": _title(rng),
        "user_id": user_id,
        "enabled": rng.random() < 0.9,
        "look_id": target if on_look else None,
        "dashboard_id": None if on_look else target,
        "crontab": f"{_below(rng, 60)} {_below(rng, 24)} * * {rng.randint(1, 5)}",
        "timezone": rng.choice(_TIMEZONES),
        "scheduled_plan_destination": destinations,
        "created_at": _iso(created),
        "updated_at": _iso(updated),
        "next_run_at": _iso(_CLOCK_START + _below(rng, 86_400 * 7)),
        "last_run_at": _maybe(rng, _iso(updated), 0.3),
        **({"user": _user_public(user)} if user else {}),
    }


def _build_alert(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    dash_id = world.pick(rng, "dashboards")
    dashboard = world.objects["dashboards"].get(dash_id or "")
    element = dashboard["dashboard_elements"][0] if dashboard else None
    query = element["query"] if element else rng.choice(world.queries)
    field_name = query["fields"][-1]
    owner = world.objects["users"].get(_owner(rng, world))
    return {
        "applied_dashboard_filters": [],
        "comparison_type": rng.choice(("GREATER_THAN", "LESS_THAN", "EQUAL_TO", "INCREASES_BY")),
        "cron": f"0 {rng.randrange(24)} * * *",
        "query_id": query["id"],
        "custom_url_base": None,
        "custom_url_params": None,
        "custom_url_label": None,
        "show_custom_url": False,
        "custom_title": _maybe(rng, _title(rng)),
        "dashboard_element_id": element["id"] if element else None,
        "description": _description(rng),
        "enhancements": None,
        "destinations": [
            {"destination_type": "EMAIL", "email_address": owner["email"] if owner else None}
        ],
        "field": {"title": field_name.split(".")[-1].title(), "name": field_name, "filter": []},
        "followed": False,
        "followable": True,
        "id": str(item_id),
        "is_disabled": rng.random() < 0.1,
        "disabled_reason": None,
        "is_public": rng.random() < 0.5,
        "investigative_content_type": None,
        "investigative_content_id": None,
        "investigative_content_title": None,
        "lookml_dashboard_id": None,
        "lookml_link_id": None,
        "owner_id": owner["id"] if owner else ME_ID,
        "owner_display_name": owner["display_name"] if owner else None,
        "threshold": float(rng.randrange(1, 100_000)),
        "time_series_condition_state": {
            "previous_time_series_id": None,
            "latest_time_series_id": None,
        },
    }
