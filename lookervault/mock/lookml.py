"""Generators of LookML models, their explores and the pool of queries that looks and tiles run."""

from __future__ import annotations

import random
from dataclasses import dataclass

from lookervault.mock.world import (
    _CAN,
    _PALETTE,
    _TIMEZONES,
    _WEB_ROOT,
    JsonObject,
    _description,
    _maybe,
    _rng,
)

__all__: list[str] = []

_QUERIES_PER_EXPLORE = 6
_VIS_CONFIGS = 24
_MODEL_STEMS = ("ecommerce", "finance", "marketing", "support", "product", "hr", "supply_chain")
_VIEW_STEMS = ("orders", "users", "products", "events", "sessions", "invoices", "tickets")
_DIMENSIONS = ("id", "created_date", "status", "country", "city", "category", "channel", "tier")
_MEASURES = ("count", "total_revenue", "average_value", "count_distinct_users", "sum_margin")
_VIS_TYPES = ("looker_line", "looker_column", "looker_bar", "table", "single_value", "looker_pie")


# --- LookML models, explores and the query pool ------------------------------------------


_FIELD_BASE: JsonObject = {
    "align": "left",
    "available_custom_timeframes": None,
    "timeframe_labels": None,
    "can_filter": True,
    "default_filter_value": None,
    "dimension_group": None,
    "drill_fields": [],
    "enumerations": None,
    "error": None,
    "field_group_label": None,
    "field_group_variant": None,
    "fill_style": None,
    "fiscal_month_offset": 0,
    "has_allowed_values": False,
    "has_drills_metadata": False,
    "hidden": False,
    "is_filter": False,
    "is_fiscal": False,
    "is_timeframe": False,
    "can_time_filter": False,
    "label_from_parameter": None,
    "links": [],
    "strict_value_format": False,
    "parameter": False,
    "permanent": None,
    "primary_key": False,
    "requires_refresh_on_sort": False,
    "sortable": True,
    "sql_case": None,
    "filters": None,
    "suggestable": True,
    "suggestions": None,
    "synonyms": [],
    "tags": [],
    "user_attribute_filter_types": ["advanced_filter_string", "string"],
    "value_format": None,
    "value_format_name": None,
    "dynamic": False,
    "week_start_day": "monday",
    "convert_tz": None,
}


def _explore_field(view: str, name: str, measure: bool, explore: JsonObject) -> JsonObject:
    numeric = measure or name == "id"
    label = name.replace("_", " ").title()
    return {
        **_FIELD_BASE,
        "align": "right" if numeric else "left",
        "category": "measure" if measure else "dimension",
        "description": None if measure else f"The {label.lower()} of the {view}.",
        "is_numeric": numeric,
        "label": f"{view.title()} {label}",
        "label_short": label,
        "lookml_link": f"/projects/{explore['project_name']}/files/{view}.view.lkml",
        "measure": measure,
        "name": f"{view}.{name}",
        "project_name": explore["project_name"],
        "scope": view,
        "source_file": f"{view}.view.lkml",
        "source_file_path": f"{explore['project_name']}/{view}.view.lkml",
        "sql": f"${{TABLE}}.{name}",
        "suggest_dimension": f"{view}.{name}",
        "suggest_explore": explore["name"],
        "type": "count" if name.startswith("count") else "sum" if measure else "string",
        "view": view,
        "view_label": view.title(),
        "times_used": 0,
        "original_view": view,
        "datatype": None,
    }


_EXPLORE_FLAGS = {
    "can_total": True,
    "can_develop": True,
    "can_see_lookml": True,
    "can_save": True,
    "can_explain": False,
    "can_pivot_in_db": True,
    "can_subtotal": True,
    "has_timezone_support": True,
    "supports_cost_estimate": True,
    "dialect_name": "bigquery_standard_sql",
    "null_sort_treatment": "low",
}


def _build_explore(rng: random.Random, model: str, name: str, project: str) -> JsonObject:
    views = [name, *rng.sample([v for v in _VIEW_STEMS if v != name], 2)]
    explore: JsonObject = {
        **_EXPLORE_FLAGS,
        "id": f"{model}::{name}",
        "name": name,
        "description": _description(rng),
        "label": name.replace("_", " ").title(),
        "title": name.replace("_", " ").title(),
        "scopes": views,
        "lookml_link": f"/projects/{project}/files/{model}.model.lkml",
        "connection_name": f"{project}_warehouse",
        "files": [f"{model}.model.lkml", *(f"{v}.view.lkml" for v in views)],
        "source_file": f"{model}.model.lkml",
        "project_name": project,
        "model_name": model,
        "view_name": name,
        "hidden": rng.random() < 0.1,
        "sql_table_name": f"analytics.{name}",
        "index_fields": [f"{name}.id"],
        "joins": [_explore_join(name, view) for view in views[1:]],
        "group_label": _maybe(rng, model.replace("_", " ").title(), 0.3),
        "supported_measure_types": [{"dimension_type": "number", "measure_types": ["sum"]}],
        **{key: [] for key in _EXPLORE_LISTS},
    }
    explore["fields"] = {
        "dimensions": [_explore_field(v, d, False, explore) for v in views for d in _DIMENSIONS],
        "measures": [_explore_field(v, m, True, explore) for v in views for m in _MEASURES[:3]],
        "filters": [],
        "parameters": [],
    }
    return explore


_EXPLORE_LISTS = (
    "access_filter_fields", "access_filters", "aliases", "always_filter", "conditionally_filter",
    "sets", "tags", "errors", "always_join",
)  # fmt: skip


def _explore_join(base: str, view: str) -> JsonObject:
    return {
        "name": view,
        "dependent_fields": [],
        "fields": None,
        "foreign_key": None,
        "from": None,
        "outer_only": False,
        "relationship": "many_to_one",
        "required_joins": [],
        "sql_foreign_key": None,
        "sql_on": f"${{{base}.{view}_id}} = ${{{view}.id}}",
        "sql_table_name": None,
        "type": "left_outer",
        "view_label": None,
    }


def _nav_explore(explore: JsonObject) -> JsonObject:
    return {key: explore[key] for key in ("name", "description", "label", "hidden", "group_label")}


def _build_lookml_model(name: str, project: str, explores: list[JsonObject]) -> JsonObject:
    return {
        "can": _CAN,
        "allowed_db_connection_names": [f"{project}_warehouse"],
        "explores": [_nav_explore(explore) for explore in explores],
        "has_content": bool(explores),
        "label": name.replace("_", " ").title(),
        "name": name,
        "project_name": project,
        "unlimited_db_connections": False,
    }


def _model_name(index: int) -> str:
    stem = _MODEL_STEMS[(index - 1) % len(_MODEL_STEMS)]
    return stem if index <= len(_MODEL_STEMS) else f"{stem}_{index}"


def _explore_names(rng: random.Random, per_model: int) -> list[str]:
    count = max(1, rng.randint(per_model - 3, per_model + 2))
    return [
        _VIEW_STEMS[n % len(_VIEW_STEMS)] + ("" if n < len(_VIEW_STEMS) else f"_{n}")
        for n in range(count)
    ]


def _vis_config(rng: random.Random) -> JsonObject:
    kind = rng.choice(_VIS_TYPES)
    series = {f"series_{n}": rng.choice(_PALETTE) for n in range(rng.randint(2, 8))}
    return {
        "type": kind,
        "show_value_labels": rng.random() < 0.5,
        "show_view_names": False,
        "show_row_numbers": True,
        "legend_position": rng.choice(("center", "left", "right")),
        "point_style": rng.choice(("none", "circle", "circle_outline")),
        "x_axis_gridlines": False,
        "y_axis_gridlines": True,
        "stacking": rng.choice(("", "normal", "percent")),
        "limit_displayed_rows": False,
        "y_axis_combined": True,
        "show_y_axis_labels": True,
        "show_y_axis_ticks": True,
        "y_axis_tick_density": "default",
        "show_x_axis_label": True,
        "show_x_axis_ticks": True,
        "x_axis_scale": "auto",
        "y_axis_scale_mode": "linear",
        "ordering": "none",
        "show_null_labels": False,
        "defaults_version": 1,
        "series_colors": series,
        "series_types": {},
        "color_application": {
            "collection_id": "7c56cc21-66e4-41c9-81ce-a60e1c3967b2",
            "palette_id": "5d189dfc-4f46-46f3-822b-bfb0b61777b1",
            "options": {"steps": 5},
        },
    }


def _build_query(
    rng: random.Random, query_id: int, explore: JsonObject, vis: JsonObject
) -> JsonObject:
    dims = [f["name"] for f in explore["fields"]["dimensions"]]
    measures = [f["name"] for f in explore["fields"]["measures"]]
    fields = rng.sample(dims, rng.randint(1, 3)) + rng.sample(measures, rng.randint(1, 2))
    slug = f"{rng.getrandbits(40):010x}"
    filters = {dims[0]: "-NULL", dims[1]: "30 days"} if rng.random() < 0.6 else None
    return {
        "can": _CAN,
        "id": str(query_id),
        "model": explore["model_name"],
        "view": explore["name"],
        "fields": fields,
        "pivots": _maybe(rng, [fields[0]], 0.8),
        "fill_fields": None,
        "filters": filters,
        "filter_expression": None,
        "sorts": [f"{fields[-1]} desc"],
        "limit": rng.choice(("500", "5000", "50")),
        "column_limit": _maybe(rng, "50", 0.8),
        "total": rng.random() < 0.3,
        "row_total": None,
        "subtotals": None,
        "vis_config": vis,
        "filter_config": {
            k: [{"type": "advanced", "values": [{"constant": v}]}]
            for k, v in (filters or {}).items()
        },
        "visible_ui_sections": None,
        "slug": slug,
        "dynamic_fields": _maybe(
            rng, '[{"table_calculation":"share","expression":"${x}/sum(${x})"}]', 0.8
        ),
        "client_id": f"{rng.getrandbits(100):025x}",
        "share_url": f"{_WEB_ROOT}/x/{slug}",
        "expanded_share_url": f"{_WEB_ROOT}/explore/{explore['model_name']}/{explore['name']}?qid={slug}",
        "url": f"/explore/{explore['model_name']}/{explore['name']}?qid={slug}",
        "query_timezone": rng.choice(_TIMEZONES),
        "has_table_calculations": False,
    }


@dataclass
class _LookmlBundle:
    models: dict[str, JsonObject]
    explores: dict[str, JsonObject]
    queries: list[JsonObject]


def _generate_lookml(seed: int, n_models: int, per_model: int) -> _LookmlBundle:
    rng = _rng(seed, "lookml_models")
    vis_rng = _rng(seed, "vis_configs")
    visuals = [_vis_config(vis_rng) for _ in range(_VIS_CONFIGS)]
    bundle = _LookmlBundle({}, {}, [])
    for index in range(1, n_models + 1):
        name, project = _model_name(index), f"project_{(index - 1) // 3 + 1}"
        explores = [_build_explore(rng, name, e, project) for e in _explore_names(rng, per_model)]
        bundle.models[name] = _build_lookml_model(name, project, explores)
        for explore in explores:
            bundle.explores[explore["id"]] = explore
            for _ in range(_QUERIES_PER_EXPLORE):
                query_id = len(bundle.queries) + 1
                bundle.queries.append(_build_query(rng, query_id, explore, rng.choice(visuals)))
    return bundle
