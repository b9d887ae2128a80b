"""Deterministic generator of Looker-shaped content for the mock Looker server."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["CONTENT_TYPES", "PRESETS", "MockData", "canonical_hash", "generate"]

CONTENT_TYPES: tuple[str, ...] = (
    "dashboards",
    "looks",
    "folders",
    "boards",
    "users",
    "groups",
    "roles",
    "permission_sets",
    "model_sets",
    "scheduled_plans",
    "lookml_models",
    "explores",
    "alerts",
    "user_attributes",
    "themes",
)

# Objects per type in each preset: (tiny, demo, M). "explores" is per model (it varies by +-3).
_PRESET_COUNTS = {
    "dashboards": (12, 300, 20_000),
    "looks": (12, 300, 20_000),
    "folders": (8, 40, 1_000),
    "boards": (3, 10, 200),
    "users": (6, 100, 5_000),
    "groups": (3, 15, 300),
    "roles": (3, 8, 50),
    "permission_sets": (3, 6, 40),
    "model_sets": (3, 6, 40),
    "scheduled_plans": (5, 50, 2_000),
    "lookml_models": (2, 5, 20),
    "explores": (3, 6, 8),
    "alerts": (4, 30, 1_000),
    "user_attributes": (3, 10, 60),
    "themes": (2, 4, 20),
}
PRESETS: dict[str, dict[str, int]] = {
    preset: {name: counts[index] for name, counts in _PRESET_COUNTS.items()}
    for index, preset in enumerate(("tiny", "demo", "M"))
}

# Smallest counts that keep the object graph consistent: the API user, the two root folders,
# and one model with one explore so every query has somewhere to point.
_MINIMUM_COUNTS = {"users": 1, "folders": 2, "lookml_models": 1, "explores": 1}

ME_ID = "1"
_SHARED_ROOT_ID = "1"
_USERS_ROOT_ID = "2"
_ADMIN_ROLE_ID = "1"
_API_ROOT = "https://mock.looker.example/api/4.0"
_WEB_ROOT = "https://mock.looker.example"

_BASE_EPOCH = 1_577_836_800  # 2020-01-01T00:00:00Z: generated history starts here
_HISTORY_SECONDS = 5 * 365 * 86_400
_CLOCK_START = _BASE_EPOCH + _HISTORY_SECONDS + 86_400  # mutations happen after all history
_CLOCK_STEP = 60

# Every 20th dashboard and look (ids 10, 30, ...) is in the trash: 5%, and even tiny has one.
_SOFT_DELETED_EVERY = 20
_SOFT_DELETED_OFFSET = 10
_UNICODE_TITLE_SHARE = 0.45
_NULL_DESCRIPTION_SHARE = 0.4
_PERSONAL_FOLDER_SHARE = 3  # one folder in this many is a user's personal folder
_QUERIES_PER_EXPLORE = 6
_VIS_CONFIGS = 24
_TEXT_POOL_SIZE = 4_096
_ELEMENT_ID_STRIDE = 1_000  # element/filter/layout ids are dashboard_id * stride + n
_BOARD_ID_STRIDE = 100
_CMD_KINDS = {"looks": 0, "folders": 1, "boards": 2, "dashboards": 3}  # cmd id = id * 4 + kind
_ACCESS_ID_STRIDE = 10

# Dashboard size: most have a few tiles, a long tail has very many (100-500 KB of JSON).
_SMALL_DASHBOARD_TILES = (1, 4)
_HUGE_DASHBOARD_TILES = (35, 150)
_HUGE_DASHBOARD_SHARE = 0.02
_LOOK_TILE_SHARE = 0.2

_CAN = {"show": True, "update": True, "destroy": True, "index": True, "show_for_pdf": True}

_WORDS = (
    "Sales", "Revenue", "Pipeline", "Marketing", "Churn", "Weekly", "Executive", "Overview",
    "KPIs", "Retention", "Funnel", "Inventory", "Support", "Finance", "Ops", "Growth", "Cohort",
    "Regional", "Daily", "Forecast", "Orders", "Customers", "Margin", "Trends", "Summary",
)  # fmt: skip
# Titles exercise every Unicode trap a backup must survive byte for byte.
_UNICODE_WORDS = (
    "Café", "Résumé", "Zürich", "São Paulo", "naïve",  # NFC (composed)
    "Cafe\u0301", "Re\u0301sume\u0301", "Zu\u0308rich", "Sa\u0303o Paulo",  # NFD (decomposed)
    "売上", "ダッシュボード", "销售额", "매출 보고서",  # CJK
    "📊", "🚀", "👩\u200d💻", "🏳️\u200d🌈", "👨\u200d👩\u200d👧",  # emoji, ZWJ sequences
    "مبيعات", "לוח מחוונים", "تقرير شهري",  # RTL
    "Q1/Q2", "..", "in/out", "../archive",  # path-like
)  # fmt: skip
_FIRST_NAMES = (
    "Ada", "Grace", "Linus", "Émile", "E\u0301lodie", "Zoë", "Björn", "Ngozi", "Wei", "Yuki",
    "Олег", "محمد", "Noa", "Priya", "José", "Mateo", "Aisha", "Kenji", "Ines", "Sam",
)  # fmt: skip
_LAST_NAMES = (
    "Lovelace", "Hopper", "Torvalds", "Müller", "Mu\u0308ller", "García", "佐藤", "李", "Okafor",
    "Smith", "O'Brien", "Nguyễn", "Kowalski", "Haddad", "Cohen", "Rossi", "Silva", "Kim",
)  # fmt: skip
_MODEL_STEMS = ("ecommerce", "finance", "marketing", "support", "product", "hr", "supply_chain")
_VIEW_STEMS = ("orders", "users", "products", "events", "sessions", "invoices", "tickets")
_DIMENSIONS = ("id", "created_date", "status", "country", "city", "category", "channel", "tier")
_MEASURES = ("count", "total_revenue", "average_value", "count_distinct_users", "sum_margin")
_VIS_TYPES = ("looker_line", "looker_column", "looker_bar", "table", "single_value", "looker_pie")
_PALETTE = ("#1A73E8", "#12B5CB", "#E52592", "#E8710A", "#F9AB00", "#7CB342", "#9334E6")
_TIMEZONES = ("America/Los_Angeles", "Europe/Paris", "Asia/Tokyo", "UTC", None)
_PERMISSIONS = (
    "access_data", "see_lookml_dashboards", "see_looks", "see_user_dashboards", "explore",
    "create_table_calculations", "save_content", "create_public_looks", "download_with_limit",
    "schedule_look_emails", "send_to_s3", "see_sql", "see_drill_overlay", "manage_spaces",
)  # fmt: skip

JsonObject = dict[str, Any]


def canonical_hash(obj: Any) -> str:
    """Hash an object's canonical JSON (sorted keys) so a backup can be compared item by item."""
    return hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _rng(seed: int, *parts: object) -> random.Random:
    # str seeds are hashed with SHA-512 by random, so they are stable across runs and hosts.
    return random.Random(":".join([str(seed), *map(str, parts)]))


def _iso(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat(timespec="milliseconds")


def _below(rng: random.Random, bound: int) -> int:
    # random() is several times cheaper than randrange(), and its bias is irrelevant here.
    return int(rng.random() * bound)


def _moments(rng: random.Random) -> tuple[int, int]:
    """A creation time and a later update time, both inside the generated history."""
    created = _BASE_EPOCH + _below(rng, _HISTORY_SECONDS)
    return created, created + _below(rng, _BASE_EPOCH + _HISTORY_SECONDS - created + 1)


def _compose_title(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=2 + _below(rng, 3))
    if rng.random() < _UNICODE_TITLE_SHARE:
        words[_below(rng, len(words))] = _UNICODE_WORDS[_below(rng, len(_UNICODE_WORDS))]
    return " ".join(words)


def _compose_description(rng: random.Random) -> str:
    return f"{_compose_title(rng)}: {' '.join(rng.choices(_WORDS, k=4 + _below(rng, 13)))}."


# Titles and descriptions are drawn from fixed pools: composing each one is the hot spot of
# large generations, and a few thousand distinct strings are plenty of variety.
_POOL_RNG = random.Random("lookervault-mock-text-pool")
_TITLE_POOL = tuple(_compose_title(_POOL_RNG) for _ in range(_TEXT_POOL_SIZE))
_DESCRIPTION_POOL = tuple(_compose_description(_POOL_RNG) for _ in range(_TEXT_POOL_SIZE))


def _title(rng: random.Random) -> str:
    return _TITLE_POOL[_below(rng, _TEXT_POOL_SIZE)]


def _maybe(rng: random.Random, value: Any, share_null: float = _NULL_DESCRIPTION_SHARE) -> Any:
    return None if rng.random() < share_null else value


def _description(rng: random.Random) -> str | None:
    return _maybe(rng, _DESCRIPTION_POOL[_below(rng, _TEXT_POOL_SIZE)])


def _cmd_id(content_type: str, item_id: int) -> str:
    return str(item_id * len(_CMD_KINDS) + _CMD_KINDS[content_type])


@dataclass
class _World:
    """What builders may reference: the ids and objects that already exist."""

    objects: dict[str, dict[str, JsonObject]]
    queries: list[JsonObject]
    personal_count: int
    ids: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, objects: dict[str, dict[str, JsonObject]], queries: list[JsonObject], personal: int
    ) -> _World:
        ids = {name: list(items) for name, items in objects.items()}
        return cls(objects=objects, queries=queries, personal_count=personal, ids=ids)

    def pick(self, rng: random.Random, content_type: str) -> str | None:
        choices = self.ids.get(content_type)
        return choices[_below(rng, len(choices))] if choices else None

    def folder_owner(self, folder_id: str, rng: random.Random) -> str:
        """Personal folders hold their owner's content; shared folders anyone's."""
        folder = self.objects["folders"].get(folder_id)
        creator = folder and folder.get("creator_id")
        if folder and folder["is_personal"] and creator in self.objects["users"]:
            return creator
        return self.pick(rng, "users") or ME_ID


# --- access control -----------------------------------------------------------------------


def _build_permission_set(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    admin = item_id == 1
    perms = list(_PERMISSIONS) if admin else sorted(rng.sample(_PERMISSIONS, rng.randint(2, 9)))
    return {
        "can": _CAN,
        "all_access": admin,
        "built_in": admin,
        "id": str(item_id),
        "name": "Admin" if admin else f"{_title(rng)} permissions",
        "permissions": perms,
        "url": f"{_API_ROOT}/permission_sets/{item_id}",
    }


def _build_model_set(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    names = world.ids.get("lookml_models") or []
    admin = item_id == 1
    models = (
        names if admin else sorted(rng.sample(names, rng.randint(min(1, len(names)), len(names))))
    )
    return {
        "can": _CAN,
        "all_access": admin,
        "built_in": admin,
        "id": str(item_id),
        "models": list(models),
        "name": "All" if admin else f"{_title(rng)} models",
        "url": f"{_API_ROOT}/model_sets/{item_id}",
    }


def _build_role(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    admin = item_id == 1
    ps_id = "1" if admin else world.pick(rng, "permission_sets")
    ms_id = "1" if admin else world.pick(rng, "model_sets")
    role: JsonObject = {
        "can": _CAN,
        "id": str(item_id),
        "name": "Admin" if admin else f"{_title(rng)} role",
        "permission_set_id": ps_id,
        "model_set_id": ms_id,
        "internal": False,
        "url": f"{_API_ROOT}/roles/{item_id}",
        "users_url": f"{_API_ROOT}/roles/{item_id}/users",
    }
    if ps_id in world.objects["permission_sets"]:
        role["permission_set"] = dict(world.objects["permission_sets"][ps_id])
    if ms_id in world.objects["model_sets"]:
        role["model_set"] = dict(world.objects["model_sets"][ms_id])
    return role


def _build_group(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    external = rng.random() < 0.2
    return {
        "can": _CAN,
        "can_add_to_content_metadata": True,
        "contains_current_user": False,
        "external_group_id": f"ext-{item_id}" if external else None,
        "externally_managed": external,
        "id": str(item_id),
        "include_by_default": item_id == 1,
        "name": "All Users" if item_id == 1 else f"{_title(rng)} team",
        "user_count": 0,
    }


def _build_user_attribute(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    kind = rng.choice(
        ("string", "number", "datetime", "yesno", "zipcode", "advanced_filter_string")
    )
    hidden = rng.random() < 0.2
    return {
        "can": _CAN,
        "id": str(item_id),
        "name": f"attribute_{item_id}",
        "label": _title(rng),
        "type": kind,
        "default_value": _maybe(rng, "1" if kind == "number" else "default"),
        "is_system": item_id <= 2,
        "is_permanent": item_id <= 2,
        "value_is_hidden": hidden,
        "user_can_view": not hidden,
        "user_can_edit": rng.random() < 0.5,
        "hidden_value_domain_whitelist": "https://*.example.com/*" if hidden else None,
        "needed_for_ci_run": False,
        "value_for_ci_run": None,
    }


def _build_theme(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    colors = rng.sample(_PALETTE, 6)
    flags = {name: rng.random() < 0.8 for name in _THEME_FLAGS}
    settings = {
        "background_color": colors[0],
        "base_font_size": _maybe(rng, "12px"),
        "color_collection_id": rng.choice(("legacy", "looker", "vivid", "dashboard")),
        "font_color": _maybe(rng, colors[1]),
        "font_family": rng.choice(("Roboto", "Open Sans, Helvetica", "Noto Sans JP")),
        "font_source": None,
        "info_button_color": colors[2],
        "primary_button_color": colors[3],
        "text_tile_text_color": colors[4],
        "tile_background_color": "#FFFFFF",
        "text_tile_background_color": "#FFFFFF",
        "tile_text_color": colors[5],
        "title_color": colors[1],
        "warn_button_color": "#980c11",
        "tile_title_alignment": rng.choice(("left", "center", "right")),
        **flags,
        **_THEME_SIZES,
    }
    start, _ = _moments(rng)
    return {
        "can": _CAN,
        "begin_at": _maybe(rng, _iso(start), 0.7),
        "end_at": None,
        "id": str(item_id),
        "name": f"theme_{item_id}",
        "settings": settings,
    }


_THEME_FLAGS = (
    "show_filters_bar", "show_title", "tile_shadow", "show_last_updated_indicator",
    "show_reload_data_icon", "show_dashboard_menu", "show_filters_toggle", "show_dashboard_header",
    "center_dashboard_title", "show_explore_header", "show_explore_title", "show_explore_last_run",
    "show_explore_timezone", "show_explore_run_stop_button", "show_explore_actions_button",
    "show_look_header", "show_look_title", "show_look_last_run", "show_look_timezone",
    "show_look_run_stop_button", "show_look_actions_button",
)  # fmt: skip
_THEME_SIZES = {
    "dashboard_title_font_size": "24px",
    "box_shadow": "0 1px 2px rgba(0,0,0,.1)",
    "page_margin_top": "12px",
    "page_margin_bottom": "12px",
    "page_margin_sides": "16px",
    "tile_title_font_size": "16px",
    "column_gap_size": "8px",
    "row_gap_size": "8px",
    "border_radius": "4px",
}


# --- users and folders --------------------------------------------------------------------


def _credentials_email(rng: random.Random, uid: int, email: str) -> JsonObject | None:
    if uid != 1 and rng.random() < 0.1:
        return None
    created, seen = _moments(rng)
    return {
        "can": _CAN,
        "created_at": _iso(created),
        "email": email,
        "forced_password_reset_at_next_login": False,
        "user_id": str(uid),
        "is_disabled": False,
        "logged_in_at": _maybe(rng, _iso(seen), 0.2),
        "password_reset_url": None,
        "account_setup_url": None,
        "password_reset_url_expired": False,
        "account_setup_url_expired": False,
        "type": "email",
        "url": f"{_API_ROOT}/users/{uid}/credentials_email",
        "user_url": f"{_API_ROOT}/users/{uid}",
    }


def _credentials_api3(rng: random.Random, uid: int) -> list[JsonObject]:
    count = 1 if uid == 1 else int(rng.random() < 0.1)
    return [
        {
            "can": _CAN,
            "id": str(uid * _ACCESS_ID_STRIDE + n),
            "client_id": f"{rng.getrandbits(80):020x}",
            "created_at": _iso(_moments(rng)[0]),
            "is_disabled": False,
            "type": "api3",
            "purpose": _maybe(rng, "automation"),
            "url": f"{_API_ROOT}/users/{uid}/credentials_api3/{uid * _ACCESS_ID_STRIDE + n}",
        }
        for n in range(count)
    ]


_USER_BASE: JsonObject = {
    "can": _CAN,
    "credentials_google": None,
    "credentials_ldap": None,
    "credentials_looker_openid": None,
    "credentials_oidc": None,
    "credentials_saml": None,
    "credentials_totp": None,
    "embed_group_space_id": None,
    "models_dir_validated": None,
    "presumed_looker_employee": False,
    "verified_looker_employee": False,
    "roles_externally_managed": False,
    "allow_direct_roles": True,
    "allow_normal_group_membership": True,
    "allow_roles_from_normal_groups": True,
    "embed_group_folder_id": None,
    "is_iam_admin": False,
    "is_service_account": False,
    "service_account_name": None,
}


def _memberships(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    groups = world.ids.get("groups") or []
    group_ids = sorted(rng.sample(groups, min(len(groups), rng.randint(0, 3))), key=int)
    others = (world.ids.get("roles") or [])[1:]  # role 1 is Admin, kept for the API user
    role_ids = [_ADMIN_ROLE_ID] if item_id == 1 else [rng.choice(others)] if others else []
    return {"group_ids": group_ids, "role_ids": role_ids}


def _build_user(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    email = f"user{item_id}@example.com"
    personal = str(item_id + 2) if item_id <= world.personal_count else None
    return {
        **_USER_BASE,
        "id": str(item_id),
        "avatar_url": f"{_WEB_ROOT}/avatars/{item_id}?s=156",
        "avatar_url_without_sizing": f"{_WEB_ROOT}/avatars/{item_id}",
        "credentials_api3": _credentials_api3(rng, item_id),
        "credentials_email": _credentials_email(rng, item_id, email),
        "credentials_embed": [],
        "display_name": f"{first} {last}",
        "email": email,
        "first_name": first,
        "last_name": last,
        **_memberships(rng, item_id, world),
        "home_folder_id": personal or _SHARED_ROOT_ID,
        "personal_folder_id": personal,
        "is_disabled": item_id != 1 and rng.random() < 0.05,
        "locale": rng.choice(("en", "fr_FR", "ja_JP", None)),
        "looker_versions": ["25.0"],
        "sessions": [],
        "ui_state": _maybe(rng, {"homepageGroupIdPreference": "1"}, 0.8),
        "can_manage_api3_creds": item_id == 1,
        "url": f"{_API_ROOT}/users/{item_id}",
    }


def _folder_place(rng: random.Random, item_id: int, world: _World) -> tuple[str | None, str, str]:
    """Where a folder sits in the tree: (parent_id, name, creator_id)."""
    users = world.objects["users"]
    if item_id == int(_SHARED_ROOT_ID):
        return None, "Shared", ME_ID
    if item_id == int(_USERS_ROOT_ID):
        return None, "Users", ME_ID
    owner = str(item_id - 2)
    if item_id - 2 <= world.personal_count and owner in users:
        return _USERS_ROOT_ID, users[owner]["display_name"], owner
    parents = [fid for fid in world.ids.get("folders", []) if fid != _USERS_ROOT_ID]
    parent = rng.choice(parents) if parents else _SHARED_ROOT_ID
    parent_obj = world.objects["folders"].get(parent)
    creator = parent_obj["creator_id"] if parent_obj and parent_obj["is_personal"] else None
    return parent, _title(rng), creator or world.pick(rng, "users") or ME_ID


def _build_folder(rng: random.Random, item_id: int, world: _World) -> JsonObject:
    parent_id, name, creator = _folder_place(rng, item_id, world)
    parent = world.objects["folders"].get(parent_id or "")
    personal = parent_id == _USERS_ROOT_ID
    in_personal = bool(parent and (parent["is_personal"] or parent["is_personal_descendant"]))
    return {
        "name": name,
        "parent_id": parent_id,
        "id": str(item_id),
        "content_metadata_id": _cmd_id("folders", item_id),
        "created_at": _iso(_moments(rng)[0]),
        "creator_id": creator,
        "child_count": 0,
        "external_id": None,
        "is_embed": False,
        "is_embed_shared_root": False,
        "is_embed_users_root": False,
        "is_personal": personal,
        "is_personal_descendant": in_personal,
        "is_shared_root": item_id == int(_SHARED_ROOT_ID),
        "is_users_root": item_id == int(_USERS_ROOT_ID),
        "can": _CAN,
    }


_FOLDER_BASE_KEYS = (
    "name", "parent_id", "id", "content_metadata_id", "created_at", "creator_id", "child_count",
    "external_id", "is_embed", "is_embed_shared_root", "is_embed_users_root", "is_personal",
    "is_personal_descendant", "is_shared_root", "is_users_root", "can",
)  # fmt: skip


def _folder_base(folder: JsonObject) -> JsonObject:
    return {key: folder[key] for key in _FOLDER_BASE_KEYS}


def _count_children(folders: dict[str, JsonObject]) -> None:
    for folder in folders.values():
        parent = folders.get(folder["parent_id"] or "")
        if parent is not None:
            parent["child_count"] += 1


def _count_group_members(groups: dict[str, JsonObject], users: dict[str, JsonObject]) -> None:
    for user in users.values():
        for group_id in user["group_ids"]:
            if group_id in groups:
                groups[group_id]["user_count"] += 1


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


def _dashboard_settings(rng: random.Random) -> JsonObject:
    return {
        "hidden": rng.random() < 0.05,
        "query_timezone": rng.choice(_TIMEZONES),
        "readonly": False,
        "refresh_interval": _maybe(rng, "1 hour", 0.8),
        "preferred_viewer": "dashboards-next",
        "alert_sync_with_dashboard_filter_enabled": False,
        "chat_enabled": False,
        "background_color": _maybe(rng, rng.choice(_PALETTE), 0.8),
        "crossfilter_enabled": rng.random() < 0.3,
        "enable_viz_full_screen": True,
        "filters_bar_collapsed": False,
        "filters_location_top": True,
        "load_configuration": rng.choice(("wait", "cache_run")),
        "lookml_link_id": None,
        "show_filters_bar": True,
        "show_title": True,
        "text_tile_text_color": None,
        "tile_background_color": None,
        "tile_text_color": None,
        "title_color": None,
        "preserve_desktop_layout": False,
    }


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


# --- content metadata access -------------------------------------------------------------


def _access_list(
    rng: random.Random, cmd_id: str, owner: str | None, world: _World
) -> list[JsonObject]:
    """Who may see or edit a folder or board; some have no explicit grants at all."""
    entries: list[JsonObject] = []
    grants = rng.randint(0, 3)
    for n in range(grants):
        by_group = world.ids.get("groups") and rng.random() < 0.6
        entries.append(
            {
                "can": _CAN,
                "id": str(int(cmd_id) * _ACCESS_ID_STRIDE + n),
                "content_metadata_id": cmd_id,
                "permission_type": rng.choice(("view", "edit")),
                "group_id": world.pick(rng, "groups") if by_group else None,
                "user_id": None
                if by_group
                else (owner if n == 0 and owner else world.pick(rng, "users")),
            }
        )
    return entries


_Builder = Callable[[random.Random, int, _World], JsonObject]
_BUILDERS: dict[str, _Builder] = {
    "permission_sets": _build_permission_set,
    "model_sets": _build_model_set,
    "roles": _build_role,
    "groups": _build_group,
    "user_attributes": _build_user_attribute,
    "themes": _build_theme,
    "users": _build_user,
    "folders": _build_folder,
    "looks": _build_look,
    "dashboards": _build_dashboard,
    "boards": _build_board,
    "scheduled_plans": _build_scheduled_plan,
    "alerts": _build_alert,
}
# Generation order: each type only references types generated before it.
_GENERATION_ORDER = tuple(_BUILDERS)
_RENAMED_FIELD = {
    "dashboards": "title",
    "looks": "title",
    "boards": "title",
    "users": "first_name",
    "lookml_models": "label",
    "explores": "label",
    "alerts": "custom_title",
    "user_attributes": "label",
}
_LOOK_ONLY_FIELDS = frozenset({"query", "url"})  # LookWithQuery minus these is Look


@dataclass
class MockData:
    """A generated Looker instance: every object as its get-by-id endpoint returns it."""

    seed: int
    objects: dict[str, dict[str, dict[str, Any]]]
    content_metadata_access: dict[str, list[dict[str, Any]]]
    me_id: str
    _queries: list[JsonObject] = field(default_factory=list, repr=False)
    _personal_count: int = field(default=0, repr=False)
    _next_ids: dict[str, int] = field(default_factory=dict, repr=False)
    _clock: int = field(default=_CLOCK_START, repr=False)

    def list_item(self, content_type: str, obj: dict) -> dict:
        """The shape the list/search endpoint returns for obj (its list schema)."""
        if content_type == "looks":
            return {key: value for key, value in obj.items() if key not in _LOOK_ONLY_FIELDS}
        return obj

    def create(self, content_type: str) -> dict:
        """Add a new object with the next id (deterministic from the seed) and return it."""
        number = self._next_ids.get(content_type, 1)
        self._next_ids[content_type] = number + 1
        rng = _rng(self.seed, content_type, "create", number)
        if content_type in ("lookml_models", "explores"):
            return self._create_lookml(content_type, number, rng)
        world = _World.of(self.objects, self._queries, self._personal_count)
        obj = _BUILDERS[content_type](rng, number, world)
        self._stamp_new(obj)
        self.objects[content_type][obj["id"]] = obj
        self._after_create(content_type, obj, rng, world)
        return obj

    def update(self, content_type: str, item_id: str) -> dict:
        """Rename an object and move its updated_at forward; returns the new object."""
        obj = dict(self.objects[content_type][item_id])  # embeds elsewhere keep the old copy
        stamp = self._tick()
        rng = _rng(self.seed, content_type, "update", item_id, stamp)
        key = _RENAMED_FIELD.get(content_type, "name")
        obj[key] = (
            f"{_title(rng)} v{stamp - _CLOCK_START}"
            if key != "name"
            else f"{obj[key]}_v{stamp - _CLOCK_START}"
        )
        if content_type == "users":
            obj["display_name"] = f"{obj['first_name']} {obj['last_name']}"
        if "updated_at" in obj:
            obj["updated_at"] = _iso(stamp)
        self.objects[content_type][item_id] = obj
        return obj

    def delete(self, content_type: str, item_id: str) -> None:
        """Hard-delete an object, with its access list and (for models) its explores."""
        obj = self.objects[content_type].pop(item_id)
        if content_type in ("folders", "boards"):
            self.content_metadata_access.pop(obj["content_metadata_id"], None)
        if content_type == "folders" and obj["parent_id"] in self.objects["folders"]:
            self._adjust_child_count(obj["parent_id"], -1)
        if content_type == "lookml_models":
            for explore_id in [e for e in self.objects["explores"] if e.startswith(f"{item_id}::")]:
                del self.objects["explores"][explore_id]
        if content_type == "explores":
            self._unlist_explore(obj)

    def _tick(self) -> int:
        self._clock += _CLOCK_STEP
        return self._clock

    def _stamp_new(self, obj: JsonObject) -> None:
        stamp = self._tick()
        for key in ("created_at", "updated_at"):
            if key in obj:
                obj[key] = _iso(stamp)
        if obj.get("deleted"):
            obj.update(deleted=False, deleted_at=None, deleter_id=None)

    def _after_create(
        self, content_type: str, obj: JsonObject, rng: random.Random, world: _World
    ) -> None:
        if content_type == "folders" and obj["parent_id"] in self.objects["folders"]:
            self._adjust_child_count(obj["parent_id"], 1)
        if content_type in ("folders", "boards"):
            owner = obj.get("creator_id") or obj.get("user_id")
            cmd = obj["content_metadata_id"]
            self.content_metadata_access[cmd] = _access_list(rng, cmd, owner, world)

    def _adjust_child_count(self, folder_id: str, delta: int) -> None:
        parent = dict(self.objects["folders"][folder_id])
        parent["child_count"] += delta
        self.objects["folders"][folder_id] = parent

    def _create_lookml(self, content_type: str, number: int, rng: random.Random) -> JsonObject:
        if content_type == "lookml_models":
            name = f"created_model_{number}"
            model = _build_lookml_model(name, "project_created", [])
            self.objects["lookml_models"][name] = model
            return model
        model = dict(self.objects["lookml_models"][next(reversed(self.objects["lookml_models"]))])
        explore = _build_explore(
            rng, model["name"], f"created_explore_{number}", model["project_name"]
        )
        self.objects["explores"][explore["id"]] = explore
        model.update(explores=[*model["explores"], _nav_explore(explore)], has_content=True)
        self.objects["lookml_models"][model["name"]] = model
        return explore

    def _unlist_explore(self, explore: JsonObject) -> None:
        model = self.objects["lookml_models"].get(explore["model_name"])
        if model is not None:
            kept = [nav for nav in model["explores"] if nav["name"] != explore["name"]]
            self.objects["lookml_models"][model["name"]] = {**model, "explores": kept}


def _resolve_counts(counts: Mapping[str, int] | None, preset: str) -> dict[str, int]:
    resolved = {**PRESETS[preset], **(counts or {})}
    unknown = set(resolved) - set(CONTENT_TYPES)
    if unknown:
        raise ValueError(f"unknown content types: {sorted(unknown)}")
    return {
        name: max(resolved.get(name, 0), _MINIMUM_COUNTS.get(name, 0)) for name in CONTENT_TYPES
    }


def _personal_folder_count(counts: Mapping[str, int]) -> int:
    return min(counts["users"], max(1, (counts["folders"] - 2) // _PERSONAL_FOLDER_SHARE))


def _generate_access(seed: int, world: _World) -> dict[str, list[JsonObject]]:
    rng = _rng(seed, "content_metadata_access")
    access: dict[str, list[JsonObject]] = {}
    for kind, owner_key in (("folders", "creator_id"), ("boards", "user_id")):
        for obj in world.objects[kind].values():
            cmd = obj["content_metadata_id"]
            access[cmd] = _access_list(rng, cmd, obj[owner_key], world)
    return access


def generate(
    seed: int = 0, counts: Mapping[str, int] | None = None, *, preset: str = "tiny"
) -> MockData:
    """Generate a Looker instance; the same seed and counts give byte-identical objects.

    Args:
        seed: Drives every random choice; each content type draws from its own sub-seed.
        counts: Objects per content type, overriding the preset's ("explores" is per model).
        preset: One of PRESETS, the base counts.
    """
    resolved = _resolve_counts(counts, preset)
    lookml = _generate_lookml(seed, resolved["lookml_models"], resolved["explores"])
    objects: dict[str, dict[str, JsonObject]] = {name: {} for name in CONTENT_TYPES}
    objects.update(lookml_models=lookml.models, explores=lookml.explores)
    personal = _personal_folder_count(resolved)
    for content_type in _GENERATION_ORDER:
        world = _World.of(objects, lookml.queries, personal)
        rng, build = _rng(seed, content_type), _BUILDERS[content_type]
        for number in range(1, resolved[content_type] + 1):
            obj = build(rng, number, world)
            objects[content_type][obj["id"]] = obj
            if content_type == "folders":  # parents must be visible to later folders
                world.ids["folders"].append(obj["id"])
    _count_children(objects["folders"])
    _count_group_members(objects["groups"], objects["users"])
    world = _World.of(objects, lookml.queries, personal)
    next_ids = {name: resolved[name] + 1 for name in CONTENT_TYPES}
    next_ids["explores"] = len(lookml.explores) + 1
    return MockData(
        seed=seed,
        objects=objects,
        content_metadata_access=_generate_access(seed, world),
        me_id=ME_ID,
        _queries=lookml.queries,
        _personal_count=personal,
        _next_ids=next_ids,
    )
