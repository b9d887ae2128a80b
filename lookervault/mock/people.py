"""Generators of access control, users, folders and the access lists of folders and boards."""

from __future__ import annotations

import random

from lookervault.mock.world import (
    _ACCESS_ID_STRIDE,
    _CAN,
    _PALETTE,
    _SHARED_ROOT_ID,
    _WEB_ROOT,
    ME_ID,
    JsonObject,
    _cmd_id,
    _iso,
    _maybe,
    _moments,
    _title,
    _World,
)

__all__: list[str] = []

_USERS_ROOT_ID = "2"
_ADMIN_ROLE_ID = "1"
_API_ROOT = "https://mock.looker.example/api/4.0"
_FIRST_NAMES = (
    "Ada", "Grace", "Linus", "Émile", "E\u0301lodie", "Zoë", "Björn", "Ngozi", "Wei", "Yuki",
    "Олег", "محمد", "Noa", "Priya", "José", "Mateo", "Aisha", "Kenji", "Ines", "Sam",
)  # fmt: skip
_LAST_NAMES = (
    "Lovelace", "Hopper", "Torvalds", "Müller", "Mu\u0308ller", "García", "佐藤", "李", "Okafor",
    "Smith", "O'Brien", "Nguyễn", "Kowalski", "Haddad", "Cohen", "Rossi", "Silva", "Kim",
)  # fmt: skip
_PERMISSIONS = (
    "access_data", "see_lookml_dashboards", "see_looks", "see_user_dashboards", "explore",
    "create_table_calculations", "save_content", "create_public_looks", "download_with_limit",
    "schedule_look_emails", "send_to_s3", "see_sql", "see_drill_overlay", "manage_spaces",
)  # fmt: skip


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
