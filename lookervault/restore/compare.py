"""The one definition of "restored equals backed up": after mapping ids, without server fields.

Looker assigns ids, timestamps, slugs, URLs, permissions (`can`) and counters itself, and derives
some fields from others (HTML renderings, embedded users); none of these can be restored, so none
is compared; nor are the values of a hidden user attribute, which Looker never gives out. Every reference to another object is mapped through the id map first, so a tile
that pointed at look 7 equals one that points at look 7's re-created copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["REFERENCES", "SERVER_FIELDS", "differences", "is_same", "normalize"]

IdMap = Mapping[str, Mapping[str, str]]

# Assigned or derived by Looker, at any depth.
SERVER_FIELDS = frozenset({
    "id", "can", "created_at", "updated_at", "deleted_at", "deleter_id", "content_metadata_id",
    "content_favorite_id", "view_count", "favorite_count", "usage_count", "last_viewed_at",
    "last_accessed_at", "last_updater_id", "last_updater_name", "slug", "client_id", "share_url",
    "expanded_share_url", "url", "edit_uri", "embed_url", "short_url", "excel_file_url",
    "google_spreadsheet_formula", "image_embed_url", "public_slug", "public_url", "next_run_at",
    "last_run_at", "result_maker_id", "dashboard_layout_id", "alert_count", "query_id",
    "creator_id", "child_count", "dashboards", "looks", "followed", "followable",
    "owner_display_name", "investigative_content_title", "has_table_calculations", "user",
    "time_series_condition_state", "body_text_as_html", "note_text_as_html",
    "title_text_as_html", "subtitle_text_as_html", "refresh_interval_to_i",
    "all_access", "built_in", "users_url", "user_count", "contains_current_user", "is_system",
    "is_permanent", "permission_set", "model_set",
    # write-only: Looker never returns them, so no backup holds them
    "secret_parameters",
})  # fmt: skip

# Values Looker hides when `value_is_hidden` (never given out, so never restored or compared).
_HIDDEN_VALUES = frozenset({"default_value", "value"})

# Fields holding the id of another restored object: field -> id-map kind.
REFERENCES: dict[str, str] = {
    "folder_id": "folders",
    "parent_id": "folders",
    "look_id": "looks",
    "dashboard_id": "dashboards",
    "dashboard_element_id": "dashboard_elements",
    "board_id": "boards",
    "board_section_id": "board_sections",
    "scheduled_plan_id": "scheduled_plans",
    "merge_result_id": "merge_queries",
    "permission_set_id": "permission_sets",
    "model_set_id": "model_sets",
}
# Fields holding lists of ids: field -> id-map kind.
_ID_LISTS: dict[str, str] = {
    "item_order": "board_items",
    "visible_item_order": "board_items",
    "section_order": "board_sections",
}


def _mapped(id_map: IdMap, kind: str, value: Any) -> Any:
    if value is None:
        return None
    return id_map.get(kind, {}).get(str(value), str(value))


def normalize(obj: Any, id_map: IdMap | None = None) -> Any:
    """``obj`` without server fields, its references mapped through ``id_map`` (None: as is)."""
    ids = id_map or {}
    if isinstance(obj, list):
        return [normalize(value, ids) for value in obj]
    if not isinstance(obj, dict):
        return obj
    out: dict[str, Any] = {}
    hidden = obj.get("value_is_hidden") is True
    for key, value in obj.items():
        if key in SERVER_FIELDS or (hidden and key in _HIDDEN_VALUES):
            continue
        if key == "result_maker" and isinstance(value, dict):
            # Looker derives the rest (query, sorts, vis) from the tile; what a restore sets is
            # the tile-to-filter bindings.
            out[key] = normalize({"filterables": value.get("filterables")}, ids)
            continue
        if key in REFERENCES and not isinstance(value, (dict, list)):
            out[key] = _mapped(ids, REFERENCES[key], value)
        elif key in _ID_LISTS and isinstance(value, list):
            out[key] = [_mapped(ids, _ID_LISTS[key], v) for v in value]
        else:
            out[key] = normalize(value, ids)
    return out


def differences(backup: Any, current: Any, id_map: IdMap | None = None) -> list[str]:
    """Paths where Looker's ``current`` differs from ``backup`` mapped through ``id_map``."""
    found: list[str] = []
    _diff(normalize(backup, id_map), normalize(current), "", found)
    return found


def is_same(backup: Any, current: Any, id_map: IdMap | None = None) -> bool:
    """Whether ``current`` is ``backup`` restored (see the module docstring)."""
    return not differences(backup, current, id_map)


def _diff(a: Any, b: Any, path: str, found: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                found.append(f"{path}/{key}")
            else:
                _diff(a[key], b[key], f"{path}/{key}", found)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            found.append(f"{path} (length {len(a)} != {len(b)})")
            return
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{path}/{index}", found)
    elif a != b:
        found.append(path or "/")
