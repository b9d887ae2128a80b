"""Mock writes of folders, queries and looks: create, update, trash and undelete as Looker does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lookervault.mock.people import _folder_base
from lookervault.mock.world import _CAN, _WEB_ROOT, _cmd_id, _iso
from lookervault.mock.write_support import (
    IdSource,
    accepted,
    must_exist,
    refuse,
    require,
    title_taken,
    validation_failed,
)

if TYPE_CHECKING:
    from lookervault.mock.data import MockData

__all__: list[str] = []

_QUERY_SERVER_FIELDS = ("slug", "client_id", "share_url", "expanded_share_url", "url")


def stamp(data: MockData) -> str:
    """A fresh server timestamp."""
    return _iso(data._tick())


def owner_fields(data: MockData, user_id: Any) -> dict[str, Any]:
    """The read-only fields Looker derives from the owner."""
    user = data.objects["users"].get(str(user_id))
    return {
        "user_name": user["display_name"] if user else None,
        "is_owner_disabled": bool(user and user["is_disabled"]),
    }


def folder_fields(data: MockData, folder_id: Any) -> dict[str, Any]:
    """folder_id plus the embedded folder Looker returns with content."""
    folder = data.objects["folders"].get(str(folder_id))
    return {"folder_id": str(folder_id), **({"folder": _folder_base(folder)} if folder else {})}


def create_folder(data: MockData, ids: IdSource, body: dict[str, Any]) -> dict[str, Any]:
    """POST /folders: name and parent required, the parent must exist, names unique per parent."""
    require("folders", body)
    folders = data.objects["folders"]
    must_exist(folders, body["parent_id"], "parent_id")
    parent_id = str(body["parent_id"])
    if any(f["parent_id"] == parent_id and f["name"] == body["name"] for f in folders.values()):
        raise refuse(409, "Folder with this name already exists in the parent")
    number = IdSource.next_id(data, "folders")
    parent = folders[parent_id]
    folder = {
        "name": body["name"],
        "parent_id": parent_id,
        "id": number,
        "content_metadata_id": _cmd_id("folders", int(number)),
        "created_at": stamp(data),
        "creator_id": data.me_id,
        "child_count": 0,
        "external_id": None,
        "is_embed": False,
        "is_embed_shared_root": False,
        "is_embed_users_root": False,
        "is_personal": False,
        "is_personal_descendant": bool(parent["is_personal"] or parent["is_personal_descendant"]),
        "is_shared_root": False,
        "is_users_root": False,
        "can": _CAN,
    }
    folders[number] = folder
    data._adjust_child_count(parent_id, 1)
    data.content_metadata_access[folder["content_metadata_id"]] = []
    return folder


def update_folder(data: MockData, folder_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """PATCH /folders/{id}: rename or move; names stay unique per parent, no folder under itself."""
    folders = data.objects["folders"]
    if folder_id not in folders:
        raise refuse(404, "Not found")
    old = folders[folder_id]
    folder = {**old, **accepted("folders", body)}
    folder["parent_id"] = str(folder["parent_id"]) if folder["parent_id"] is not None else None
    if folder["parent_id"] != old["parent_id"]:
        must_exist(folders, folder["parent_id"], "parent_id")
        ancestor = folder["parent_id"]
        while ancestor is not None:
            if ancestor == folder_id:
                raise validation_failed("parent_id", "invalid", "a folder cannot move under itself")
            ancestor = folders[ancestor]["parent_id"]
    if any(
        f["parent_id"] == folder["parent_id"] and f["name"] == folder["name"] and key != folder_id
        for key, f in folders.items()
    ):
        raise refuse(409, "Folder with this name already exists in the parent")
    folders[folder_id] = folder
    return folder


def create_query(data: MockData, queries: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """POST /queries: model and view required and must exist; an old client_id is refused."""
    require("queries", body)
    if body.get("client_id") and any(
        q.get("client_id") == body["client_id"] for q in queries.values()
    ):
        raise validation_failed("client_id", "invalid", "client_id already in use")
    model, view = str(body["model"]), str(body["view"])
    if (
        model not in data.objects["lookml_models"]
        or f"{model}::{view}" not in data.objects["explores"]
    ):
        raise validation_failed(
            "model", "invalid", f"model {model!r} or explore {view!r} not found"
        )
    number = IdSource.next_of(queries)
    slug = f"q{number:>09}"
    query = {"can": _CAN, "id": number, **accepted("queries", body)}
    query.update(
        slug=slug,
        client_id=f"c{number:>24}",
        share_url=f"{_WEB_ROOT}/x/{slug}",
        expanded_share_url=f"{_WEB_ROOT}/explore/{model}/{view}?qid={slug}",
        url=f"/explore/{model}/{view}?qid={slug}",
        has_table_calculations=False,
    )
    queries[number] = query
    return query


def _look_checks(
    data: MockData, queries: dict[str, Any], look: dict[str, Any], *, but: str | None
) -> None:
    must_exist(data.objects["folders"], look.get("folder_id"), "folder_id")
    must_exist(queries, look.get("query_id"), "query_id")
    if not look.get("deleted") and title_taken(
        data.objects["looks"].values(), str(look["folder_id"]), look.get("title"), but=but
    ):
        raise validation_failed("title", "already_exists", "Look with this title already exists")


def _look_derived(data: MockData, queries: dict[str, Any], look: dict[str, Any]) -> None:
    query = queries[str(look["query_id"])]
    look_id = look["id"]
    look.update(
        query_id=str(look["query_id"]),
        query=query,
        model={"id": query["model"], "label": query["model"].replace("_", " ").title()},
        **owner_fields(data, look.get("user_id")),
        **folder_fields(data, look["folder_id"]),
        updated_at=stamp(data),
        last_updater_id=data.me_id,
        embed_url=f"{_WEB_ROOT}/embed/looks/{look_id}",
        excel_file_url=f"{_WEB_ROOT}/looks/{look_id}.xlsx",
        google_spreadsheet_formula=f'=IMPORTDATA("{_WEB_ROOT}/looks/{look_id}.csv")',
        image_embed_url=f"{_WEB_ROOT}/looks/{look_id}.png",
        short_url=f"/x/l{look_id}",
        url=f"/looks/{look_id}",
    )


def create_look(data: MockData, queries: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """POST /looks: title, folder and query required; titles unique among live looks of a folder."""
    require("looks", body)
    fields = accepted("looks", body)
    fields["folder_id"] = str(fields["folder_id"])
    _look_checks(data, queries, fields, but=None)
    looks = data.objects["looks"]
    number = IdSource.next_id(data, "looks")
    look = {
        "can": _CAN,
        "content_favorite_id": None,
        "content_metadata_id": _cmd_id("looks", int(number)),
        "id": number,
        "user_id": data.me_id,
        "description": None,
        "created_at": stamp(data),
        "last_accessed_at": None,
        "last_viewed_at": None,
        "favorite_count": 0,
        "view_count": 0,
        "usage_count": 0,
        "certification_metadata": None,
        "is_run_on_load": False,
        "public": False,
        "public_slug": None,
        "public_url": None,
        **fields,
        "deleted": False,
        "deleted_at": None,
        "deleter_id": None,
    }
    _look_derived(data, queries, look)
    looks[number] = look
    return look


def update_look(
    data: MockData, queries: dict[str, Any], look_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """PATCH /looks/{id}: writable fields only; deleted=false brings a look back from the trash."""
    looks = data.objects["looks"]
    if look_id not in looks:
        raise refuse(404, "Not found")
    look = {**looks[look_id], **accepted("looks", body)}
    look["folder_id"] = str(look["folder_id"])
    _look_checks(data, queries, look, but=look_id)
    trash(data, look, looks[look_id])
    _look_derived(data, queries, look)
    looks[look_id] = look
    return look


def trash(data: MockData, new: dict[str, Any], old: dict[str, Any]) -> None:
    """Stamp a move into or out of Looker's trash."""
    if new.get("deleted") and not old.get("deleted"):
        new.update(deleted=True, deleted_at=stamp(data), deleter_id=data.me_id)
    elif not new.get("deleted"):
        new.update(deleted=False, deleted_at=None, deleter_id=None)


def create_access(data: MockData, ids: IdSource, body: dict[str, Any]) -> dict[str, Any]:
    """POST /content_metadata_access: one group or one user gets view or edit on a folder or board."""
    require("content_metadata_access", body)
    fields = accepted("content_metadata_access", body)
    cmid = str(fields["content_metadata_id"])
    if cmid not in data.content_metadata_access:
        raise validation_failed(
            "content_metadata_id", "invalid", f"content metadata {cmid} does not exist"
        )
    if fields["permission_type"] not in ("view", "edit"):
        raise validation_failed("permission_type", "invalid", "must be view or edit")
    group, user = fields.get("group_id"), fields.get("user_id")
    if (group is None) == (user is None):
        raise validation_failed("group_id", "invalid", "give exactly one of group_id and user_id")
    if group is not None:
        must_exist(data.objects["groups"], group, "group_id")
    else:
        must_exist(data.objects["users"], user, "user_id")
    rules = data.content_metadata_access[cmid]
    same = (fields["permission_type"], group, user)
    if any((r.get("permission_type"), r.get("group_id"), r.get("user_id")) == same for r in rules):
        raise refuse(409, "Access for this group or user already exists")
    rule = {"can": _CAN, "id": ids.next_child(), "content_metadata_id": cmid,
            "permission_type": fields["permission_type"],
            "group_id": None if group is None else str(group),
            "user_id": None if user is None else str(user)}  # fmt: skip
    data.content_metadata_access[cmid] = [*rules, rule]
    return rule


def create_merge_query(
    queries: dict[str, Any], merges: dict[str, Any], body: dict[str, Any]
) -> dict[str, Any]:
    """POST /merge_queries: every source query must exist."""
    fields = accepted("merge_queries", body)
    sources = fields.get("source_queries") or []
    if not sources:
        raise validation_failed("source_queries", "missing_field", "This field is required.")
    for source in sources:
        must_exist(queries, source.get("query_id"), "source_queries.query_id")
    number = IdSource.next_of(merges)
    merge = {"can": _CAN, "id": number, "column_limit": None, "dynamic_fields": None,
             "pivots": None, "sorts": None, "total": None, "limit": None, "vis_config": None,
             **fields, "result_maker_id": None}  # fmt: skip
    merges[number] = merge
    return merge
