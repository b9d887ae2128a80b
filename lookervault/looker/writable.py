"""Which fields Looker's create and update endpoints accept, per write kind (API 4.0 request schemas).

Copied from the request schemas' non-read-only properties (tests/looker/test_writable.py checks them
against the API description), with the read-only fields Looker nevertheless needs added by name:
restore bodies are built from these, and the mock ignores every other field it is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["REQUIRED", "SENT_THOUGH_READ_ONLY", "WRITABLE", "filterables", "writable_body"]

WRITABLE: dict[str, tuple[str, ...]] = {
    "folders": ("name", "parent_id"),
    "queries": (
        "model", "view", "fields", "pivots", "fill_fields", "filters", "filter_expression",
        "sorts", "limit", "column_limit", "total", "row_total", "subtotals", "vis_config",
        "filter_config", "visible_ui_sections", "dynamic_fields", "query_timezone",
    ),
    "looks": (
        "title", "user_id", "certification_metadata", "deleted", "description",
        "is_run_on_load", "public", "query_id", "folder_id",
    ),
    "dashboards": (
        "description", "hidden", "model", "query_timezone", "refresh_interval", "title", "user_id",
        "slug", "preferred_viewer", "certification_metadata",
        "alert_sync_with_dashboard_filter_enabled", "chat_enabled", "background_color",
        "crossfilter_enabled", "deleted", "enable_viz_full_screen", "filters_bar_collapsed",
        "filters_location_top", "load_configuration", "lookml_link_id", "show_filters_bar",
        "show_title", "folder_id", "text_tile_text_color", "tile_background_color",
        "tile_text_color", "title_color", "appearance", "preserve_desktop_layout",
        "download_settings",
    ),
    "dashboard_filters": (
        "dashboard_id", "name", "title", "type", "default_value", "model", "explore",
        "dimension", "row", "listens_to_filters", "allow_multiple_values", "required",
        "ui_config",
    ),
    "dashboard_elements": (
        "body_text", "dashboard_id", "look_id", "merge_result_id", "note_display", "note_state",
        "note_text", "query_id", "filter_id", "refresh_interval", "subtitle_text", "title",
        "title_hidden", "title_text", "type", "rich_content_json", "extension_id",
        "aria_description", "result_maker",
    ),
    "dashboard_layout_components": (
        "row", "column", "width", "height", "granular_row", "granular_column", "granular_width",
        "granular_height",
    ),
    "boards": ("description", "title", "user_id", "section_order"),
    "board_sections": ("description", "board_id", "title", "item_order"),
    "board_items": (
        "custom_description", "custom_title", "custom_url", "dashboard_id", "board_section_id",
        "look_id", "lookml_dashboard_id", "order", "use_custom_description", "use_custom_title",
        "use_custom_url", "custom_image_data_base64", "use_custom_image",
    ),
    "scheduled_plans": (
        "name", "user_id", "run_as_recipient", "enabled", "look_id", "dashboard_id",
        "lookml_dashboard_id", "filters_string", "dashboard_filters", "require_results",
        "require_no_results", "require_change", "send_all_results", "crontab", "datagroup",
        "timezone", "scheduled_plan_destination", "run_once", "include_links",
        "include_dashboard_summary", "custom_url_base", "custom_url_params", "custom_url_label",
        "show_custom_url", "pdf_paper_size", "pdf_landscape", "embed", "color_theme",
        "long_tables", "pdf_page_breaks", "tab_ids", "inline_table_width", "query_id",
    ),
    "alerts": (
        "applied_dashboard_filters", "comparison_type", "cron", "query_id", "custom_url_base",
        "custom_url_params", "custom_url_label", "show_custom_url", "custom_title",
        "dashboard_element_id", "description", "enhancements", "destinations", "field",
        "is_disabled", "disabled_reason", "is_public", "investigative_content_type",
        "investigative_content_id", "lookml_dashboard_id", "lookml_link_id", "owner_id",
        "threshold", "time_series_condition_state",
    ),
    "content_metadata_access": (),
    "permission_sets": ("name", "permissions"),
    "model_sets": ("models", "name"),
    "roles": ("name", "permission_set_id", "model_set_id"),
    "groups": ("can_add_to_content_metadata", "name"),
    "user_attributes": (
        "name", "label", "type", "default_value", "value_is_hidden", "user_can_view",
        "user_can_edit", "hidden_value_domain_whitelist", "needed_for_ci_run", "value_for_ci_run",
    ),
    "themes": ("begin_at", "end_at", "name", "settings"),
    "group_users": (),
    "user_attribute_group_values": (),
    "user_attribute_values": ("value",),
    "merge_queries": (
        "column_limit", "dynamic_fields", "pivots", "sorts", "source_queries", "total", "limit",
        "vis_config",
    ),
}  # fmt: skip

# Marked read-only in the API description, yet Looker reads them when they are sent.
SENT_THOUGH_READ_ONLY: dict[str, tuple[str, ...]] = {
    # ContentMetaGroupUser marks every field read-only; create_content_metadata_access reads these.
    "content_metadata_access": ("content_metadata_id", "permission_type", "group_id", "user_id"),
    # ResultMakerFilterables.listen (inside a tile's result_maker) binds the tile to dashboard
    # filters: read-only in the description, read by create_dashboard_element (see filterables).
    # GroupIdForGroupUserInclusion: add_group_user reads the user id it marks read-only.
    "group_users": ("user_id",),
    # UserAttributeGroupValue marks every field read-only; update_user_attribute_group_value
    # (PATCH /groups/{group_id}/attribute_values/{user_attribute_id}) reads the value.
    "user_attribute_group_values": ("value",),
}

# Fields a create must carry (the request schema's `required`, plus what Looker refuses without).
REQUIRED: dict[str, tuple[str, ...]] = {
    "folders": ("name", "parent_id"),
    "queries": ("model", "view"),
    "looks": ("title", "folder_id", "query_id"),
    "dashboards": ("title", "folder_id"),
    "dashboard_filters": ("dashboard_id", "name", "title", "type"),
    "dashboard_elements": ("dashboard_id", "type"),
    "boards": ("title",),
    "board_sections": ("board_id",),
    "board_items": ("board_section_id",),
    "scheduled_plans": ("name", "crontab"),
    "alerts": ("comparison_type", "cron", "destinations", "field", "owner_id", "threshold"),
    "content_metadata_access": ("content_metadata_id", "permission_type"),
    "permission_sets": ("name",),
    "model_sets": ("name",),
    "roles": ("name", "permission_set_id", "model_set_id"),
    "groups": ("name",),
    "user_attributes": ("name", "label", "type"),
    "themes": ("name",),
    "group_users": ("user_id",),
    # UserAttributeGroupValue marks every field read-only; update_user_attribute_group_value
    # (PATCH /groups/{group_id}/attribute_values/{user_attribute_id}) reads the value.
    "user_attribute_group_values": ("value",),
}


def filterables(result_maker: Any) -> dict[str, Any] | None:
    """The part of a tile's result_maker a create sends: its filterables with their listen.

    None when there is nothing to send (no result maker, or no filterables).
    """
    if not isinstance(result_maker, dict) or not result_maker.get("filterables"):
        return None
    keys = ("model", "view", "name", "listen")
    rows = [{k: f.get(k) for k in keys if k in f} for f in result_maker["filterables"]]
    return {"filterables": rows}


def writable_body(kind: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``obj`` a create or update of ``kind`` accepts (absent ones left out)."""
    names = (*WRITABLE[kind], *SENT_THOUGH_READ_ONLY.get(kind, ()))
    return {name: obj[name] for name in names if name in obj}
