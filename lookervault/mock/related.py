"""What the mock serves beside its content types: memberships, metadata, merge queries, LookML dashboards.

A restore needs objects the backed-up content only points to. Memberships (role groups and users,
nested groups, attribute group values, users' attribute values) and content metadata are served always, derived from the
generated instance (so mutations keep them consistent); they only answer endpoints that were 404
before. Merge queries and LookML dashboards change what dashboards or `GET /dashboards` answer, so
they exist only when their knobs ask for them. `missing_explores` makes listed explores answer 404
(hidden or broken on a real Looker), `page_timeout_above` makes list pages larger than N answer 504.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from lookervault.mock.data import MockData
from lookervault.mock.options import MockOptions
from lookervault.mock.responses import _error, _not_found, _Response
from lookervault.mock.routes import _id_key, _parse_fields, _project
from lookervault.mock.world import _CAN, JsonObject, _rng

__all__ = ["Related", "group_value", "too_big_page"]

_LOOKML_FOLDER_ID = "lookml"
_NESTED_GROUP_SHARE = 0.3
_GROUP_VALUE_SHARE = 0.4
_ROLE_GROUP_SHARE = 0.2
_USER_VALUE_SHARE = 0.1


class Related:
    """The related objects of one mock instance, and the answers of their endpoints."""

    def __init__(self, data: MockData, options: MockOptions) -> None:
        rng = _rng(options.seed, "related")
        self.data = data
        groups = sorted(data.objects["groups"], key=_id_key)
        self.role_groups = {
            role: [g for g in groups if rng.random() < _ROLE_GROUP_SHARE]
            for role in sorted(data.objects["roles"], key=_id_key)
        }
        self.group_groups = {
            group: [g for g in groups if g != group and rng.random() < _NESTED_GROUP_SHARE / 3]
            for group in groups
        }
        self.group_values = {
            attr: [
                group_value(attr, group, rank)
                for rank, group in enumerate(g for g in groups if rng.random() < _GROUP_VALUE_SHARE)
            ]
            for attr in sorted(data.objects["user_attributes"], key=_id_key)
        }
        self.merge_queries = _add_merge_queries(data, options.merge_queries, rng)
        # Users' own attribute values (user id -> attribute id -> value), from their own seed.
        self.user_values = _own_values(data, options.seed)
        # What the writable mock was sent (mock/related_writes.py, mock/writes.py).
        self.inherits: dict[str, bool] = {}  # content metadata id -> inherits, as PATCHed
        self.written_queries: dict[str, JsonObject] = {}  # queries POSTed, by id
        self.lookml_dashboards = _lookml_dashboards(data, options.lookml_dashboards)
        explores = sorted(data.objects["explores"], key=_id_key)
        self.missing_explores = frozenset(explores[: options.missing_explores])

    # ----- answers ------------------------------------------------------------------------------

    def serve(self, path: str, args: list[str], query: dict[str, str]) -> _Response:
        """Answer one of RELATED_ROUTES."""
        fields = _parse_fields(query.get("fields", ""))
        found = self._lookup(path, args[0])
        if found is None:
            return _not_found()
        if isinstance(found, list):
            return _Response(200, orjson.dumps([_project(item, fields) for item in found]))
        return _Response(200, orjson.dumps(_project(found, fields)))

    def _lookup(self, path: str, key: str) -> JsonObject | list[JsonObject] | None:
        objects = self.data.objects
        if path == "/merge_queries/{merge_query_id}":
            return self.merge_queries.get(key)
        if path == "/queries/{query_id}":
            return self._query(key)
        if path == "/content_metadata/{content_metadata_id}":
            return self.content_metadata().get(key)
        if path == "/user_attributes/{user_attribute_id}/group_values":
            return self._group_values(key) if key in objects["user_attributes"] else None
        if path == "/users/{user_id}/attribute_values":
            return self.user_attribute_values(key) if key in objects["users"] else None
        if path == "/roles/{role_id}/users":
            return self._role_users(key) if key in objects["roles"] else None
        if key not in objects["roles" if path.startswith("/roles/") else "groups"]:
            return None
        table = self.role_groups if path.startswith("/roles/") else self.group_groups
        return [objects["groups"][g] for g in table.get(key, ()) if g in objects["groups"]]

    def _query(self, key: str) -> JsonObject | None:
        queries = self.data._queries
        if key.isdigit() and 0 < int(key) <= len(queries):
            return queries[int(key) - 1]
        return self.written_queries.get(key)

    def _role_users(self, role: str) -> list[JsonObject]:
        users = self.data.objects["users"]
        return [users[u] for u in sorted(users, key=_id_key) if role in users[u]["role_ids"]]

    def _group_values(self, attr: str) -> list[JsonObject]:
        """As Looker serves them: the values of a hidden attribute are never given out."""
        groups = self.data.objects["groups"]
        rows = [v for v in self.group_values.get(attr, ()) if v["group_id"] in groups]
        if self.data.objects["user_attributes"][attr].get("value_is_hidden"):
            return [{**v, "value_is_hidden": True, "value": None} for v in rows]
        return rows

    def user_attribute_values(self, user_id: str) -> list[JsonObject]:
        """What user_attribute_user_values answers: per attribute the value that applies, the
        user's own first, then the lowest-ranked of their groups', then the default (hidden:
        null)."""
        objects = self.data.objects
        groups = set(objects["users"][user_id].get("group_ids") or ())
        rows = []
        for attr_id in sorted(objects["user_attributes"], key=_id_key):
            attr = objects["user_attributes"][attr_id]
            own = self.user_values.get(user_id, {}).get(attr_id)
            by_group = [v for v in self.group_values.get(attr_id, ()) if v["group_id"] in groups]
            if own is not None:
                value, source, rank = own, "user", None
            elif by_group:
                best = min(by_group, key=lambda v: v["rank"])
                value, source, rank = best["value"], "group", best["rank"]
            elif attr.get("default_value") is not None:
                value, source, rank = attr["default_value"], "default", None
            else:
                continue
            hidden = bool(attr.get("value_is_hidden"))
            rows.append({
                "can": _CAN, "name": attr["name"], "label": attr["label"], "rank": rank,
                "value": None if hidden else value, "user_id": user_id,
                "user_can_edit": attr["user_can_edit"], "value_is_hidden": hidden,
                "user_attribute_id": attr_id, "source": source,
                "hidden_value_domain_whitelist": attr.get("hidden_value_domain_whitelist"),
            })  # fmt: skip
        return rows

    def content_metadata(self) -> dict[str, JsonObject]:
        folders = self.data.objects["folders"]
        metas = {}
        for folder in folders.values():
            parent = folders.get(folder.get("parent_id") or "")
            meta = _content_meta(folder, "space", parent, self.inherits)
            metas[meta["id"]] = {**meta, "folder_id": folder["id"]}
        for board in self.data.objects["boards"].values():
            meta = _content_meta(board, "board", None, self.inherits)
            metas[meta["id"]] = {**meta, "homepage_id": board["id"]}
        return metas

    def list_dashboards(self, body: bytes, query: dict[str, str]) -> bytes:
        """`GET /dashboards` lists LookML dashboards too (search_dashboards never does)."""
        if not self.lookml_dashboards:
            return body
        fields = _parse_fields(query.get("fields", ""))
        extra = [orjson.dumps(_project(d, fields)) for d in self.lookml_dashboards.values()]
        inner = body[1:-1]
        return b"[" + b",".join([inner, *extra] if inner else extra) + b"]"

    def get_dashboard(self, item_id: str, query: dict[str, str]) -> _Response | None:
        """A LookML dashboard by its `model::name` id; None for any other id."""
        if "::" not in item_id:
            return None
        found = self.lookml_dashboards.get(item_id)
        if found is None:
            return _not_found()
        return _Response(200, orjson.dumps(_project(found, _parse_fields(query.get("fields", "")))))

    def explore_missing(self, model: str, name: str) -> bool:
        """Whether this listed explore answers 404 (the `missing_explores` knob)."""
        return f"{model}::{name}" in self.missing_explores

    # ----- ground truth -------------------------------------------------------------------------

    def ground_truth(self) -> dict[str, dict[str, Any]]:
        """Each new type as the backup must store it: item id -> the object or list served."""
        objects = self.data.objects
        dashboards = [*objects["dashboards"].values()]
        merge_ids = {
            str(e["merge_result_id"])
            for d in dashboards
            for e in d.get("dashboard_elements") or ()
            if e.get("merge_result_id")
        }
        merged = {k: v for k, v in self.merge_queries.items() if k in merge_ids}
        query_ids = {s["query_id"] for m in merged.values() for s in m["source_queries"]}
        return {
            "lookml_dashboards": dict(self.lookml_dashboards),
            "merge_queries": merged,
            "queries": {q: found for q in query_ids if (found := self._query(q)) is not None},
            "role_groups": {
                r: self._lookup("/roles/{role_id}/groups", r) for r in objects["roles"]
            },
            "role_users": {r: self._role_users(r) for r in objects["roles"]},
            "group_groups": {
                g: self._lookup("/groups/{group_id}/groups", g) for g in objects["groups"]
            },
            "user_attribute_group_values": {
                a: self._group_values(a) for a in objects["user_attributes"]
            },
            "content_metadata": self.content_metadata(),
            "user_attribute_values": {u: self.user_attribute_values(u) for u in objects["users"]},
        }


def group_value(attr: str, group: str, rank: int) -> JsonObject:
    return {
        "can": _CAN,
        "id": f"{attr}{group:0>4}",
        "group_id": group,
        "user_attribute_id": attr,
        "value_is_hidden": False,
        "rank": rank + 1,
        "value": f"value for group {group}",
    }


def _own_values(data: MockData, seed: int) -> dict[str, dict[str, str]]:
    """Some users' own values of some attributes (their own random stream: nothing else moves)."""
    rng = _rng(seed, "user values")
    attributes = sorted(data.objects["user_attributes"], key=_id_key)
    values: dict[str, dict[str, str]] = {}
    for user_id in sorted(data.objects["users"], key=_id_key):
        own = {
            a: f"value of user {user_id}" for a in attributes if rng.random() < _USER_VALUE_SHARE
        }
        if own:
            values[user_id] = own
    return values


def _content_meta(
    item: JsonObject, kind: str, parent: JsonObject | None, patched: dict[str, bool]
) -> JsonObject:
    cmid = str(item["content_metadata_id"])
    inherits = parent is not None and patched.get(cmid, int(cmid) % 3 != 0)
    return {
        "can": _CAN,
        "id": cmid,
        "name": item.get("name") or item.get("title"),
        "parent_id": str(parent["content_metadata_id"]) if parent is not None else None,
        "dashboard_id": None,
        "look_id": None,
        "folder_id": None,
        "homepage_id": None,
        "content_type": kind,
        "inherits": inherits,
        "inheriting_id": str(parent["content_metadata_id"]) if inherits and parent else None,
        "slug": None,
    }


def _add_merge_queries(data: MockData, count: int, rng: Any) -> dict[str, JsonObject]:
    """Turn `count` dashboard tiles into merged-results tiles, each with its merge query."""
    merges: dict[str, JsonObject] = {}
    if count <= 0:
        return merges
    queries = data._queries
    dashboards = data.objects["dashboards"]
    tiles = [
        (dash_id, index)
        for dash_id in sorted(dashboards, key=_id_key)
        for index, element in enumerate(dashboards[dash_id]["dashboard_elements"])
        if element.get("query_id") and not element.get("look_id")
    ]
    for dash_id, index in sorted(rng.sample(tiles, min(count, len(tiles)))):
        dash = dashboards[dash_id] = copy.deepcopy(dashboards[dash_id])
        element = dash["dashboard_elements"][index]
        merge_id = str(len(merges) + 1)
        other = queries[int(rng.random() * len(queries))]
        merges[merge_id] = _merge_query(merge_id, element, other)
        element["merge_result_id"] = merge_id
    return merges


def _merge_query(merge_id: str, element: JsonObject, other: JsonObject) -> JsonObject:
    first = element["query"]
    sources = [
        {
            "name": f"Source {n}",
            "query_id": query["id"],
            "query_slug": query["slug"],
            "merge_fields": []
            if n == 1
            else [{"field_name": first["fields"][0], "source_field_name": other["fields"][0]}],
        }
        for n, query in enumerate((first, other), start=1)
    ]
    return {
        "can": _CAN,
        "id": merge_id,
        "column_limit": None,
        "dynamic_fields": None,
        "pivots": None,
        "result_maker_id": element["result_maker_id"],
        "sorts": list(first["sorts"]),
        "source_queries": sources,
        "total": False,
        "limit": "500",
        # MergeQuery's vis_config holds strings only (Query's holds any JSON)
        "vis_config": {"type": str(first["vis_config"].get("type") or "looker_grid")},
    }


def _lookml_dashboards(data: MockData, count: int) -> dict[str, JsonObject]:
    """`count` LookML dashboards with `model::name` ids, shaped as Looker's Dashboard."""
    found: dict[str, JsonObject] = {}
    models = sorted(data.objects["lookml_models"])
    templates = sorted(data.objects["dashboards"], key=_id_key)
    for n in range(min(count, len(templates))):
        model = models[n % len(models)]
        dash_id = f"{model}::lookml_dashboard_{n + 1}"
        dash = _relabel(copy.deepcopy(data.objects["dashboards"][templates[n]]), dash_id)
        dash.update(
            id=dash_id,
            title=f"LookML dashboard {n + 1} of {model}",
            folder_id=_LOOKML_FOLDER_ID,
            folder=None,
            readonly=True,
            deleted=False,
            deleted_at=None,
            deleter_id=None,
            content_metadata_id=None,
            url=f"/dashboards/{dash_id}",
            edit_uri=None,
        )
        found[dash_id] = dash
    return found


def _relabel(node: Any, dash_id: str) -> Any:
    """Point every `dashboard_id` inside a copied dashboard at its new id."""
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = dash_id if key == "dashboard_id" else _relabel(value, dash_id)
    elif isinstance(node, list):
        node[:] = [_relabel(value, dash_id) for value in node]
    return node


def too_big_page(
    options: MockOptions, limit: int | None, fields: str | None, items: int
) -> _Response | None:
    """A 504 for a full page of more than `page_timeout_above` items (the proxy gave up on it).

    Only paged requests (with `limit`): a client can ask for less. Id listings (`fields=`) are
    cheap to build and spared.
    """
    above = options.page_timeout_above
    if above and limit is not None and not fields and items > above:
        return _error(504, "Gateway Timeout")
    return None
