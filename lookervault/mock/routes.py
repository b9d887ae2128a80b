"""What the mock serves: the route table below /api/4.0, path matching and query parsing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from lookervault.config import parse_bool

__all__ = ["API_PREFIX", "RELATED_ROUTES", "ROUTES", "Route", "match_route"]

API_PREFIX = "/api/4.0"
# looker-sdk logs out through the version-less path, which Looker also serves.
_UNVERSIONED_LOGOUT = "/api/logout"
_TRUE_WORDS = frozenset({"true", "1"})
_FALSE_WORDS = frozenset({"false", "0"})
_PAGED = ("fields", "page", "per_page", "limit", "offset", "sorts")
_SEARCH = ("fields", "limit", "offset", "sorts")


@dataclass(frozen=True)
class Route:
    """One operation the mock serves: method, spec path template (below /api/4.0), query params read."""

    method: str
    path: str
    params: tuple[str, ...] = ()
    kind: str = "list"
    content_type: str | None = None


def _list(path: str, content_type: str, *params: str) -> Route:
    return Route("GET", path, params, "list", content_type)


def _get(path: str, content_type: str, *params: str) -> Route:
    return Route("GET", path, params, "get", content_type)


# Endpoints of objects the content types only point to, answered by mock/related.py.
RELATED_ROUTES = (
    "/merge_queries/{merge_query_id}",
    "/queries/{query_id}",
    "/roles/{role_id}/groups",
    "/roles/{role_id}/users",
    "/groups/{group_id}/groups",
    "/user_attributes/{user_attribute_id}/group_values",
    "/users/{user_id}/attribute_values",
    "/content_metadata/{content_metadata_id}",
)

ROUTES: tuple[Route, ...] = (
    Route("POST", "/login", ("client_id", "client_secret"), "login"),
    Route("DELETE", "/logout", (), "logout"),
    Route("GET", "/user", ("fields",), "me", "users"),
    Route("GET", "/versions", ("fields",), "versions"),
    Route("GET", "/content_metadata_access", ("content_metadata_id", "fields"), "access"),
    _list("/dashboards/search", "dashboards", *_PAGED, "deleted", "folder_id"),
    _list("/dashboards", "dashboards", "fields"),
    _list("/looks/search", "looks", *_PAGED, "deleted", "folder_id"),
    _list("/looks", "looks", "fields"),
    _list("/folders/search", "folders", *_PAGED),
    _list("/folders", "folders", "fields"),
    _list("/boards/search", "boards", *_PAGED),
    _list("/boards", "boards", "fields"),
    _list("/users/search", "users", *_PAGED),
    _list("/users", "users", *_PAGED, "ids"),
    _list("/groups/search", "groups", *_SEARCH),
    _list("/groups", "groups", *_PAGED, "ids"),
    _list("/roles/search", "roles", *_SEARCH),
    _list("/roles", "roles", "fields", "ids"),
    _list("/permission_sets/search", "permission_sets", *_SEARCH),
    _list("/permission_sets", "permission_sets", "fields"),
    _list("/model_sets/search", "model_sets", *_SEARCH),
    _list("/model_sets", "model_sets", "fields"),
    _list("/scheduled_plans/search", "scheduled_plans", *_SEARCH, "user_id", "all_users"),
    _list("/scheduled_plans", "scheduled_plans", "fields", "user_id", "all_users"),
    _list("/lookml_models", "lookml_models", "fields", "limit", "offset", "include_self_service"),
    _list("/alerts/search", "alerts", "fields", "limit", "offset", "all_owners"),
    _list("/user_attributes", "user_attributes", "fields", "sorts"),
    _list("/themes/search", "themes", *_SEARCH),
    _list("/themes", "themes", "fields"),
    _get("/dashboards/{dashboard_id}", "dashboards", "fields"),
    _get("/looks/{look_id}", "looks", "fields"),
    _get("/folders/{folder_id}", "folders", "fields"),
    _get("/boards/{board_id}", "boards", "fields"),
    _get("/users/{user_id}", "users", "fields"),
    Route("GET", "/users/{user_id}/roles", ("fields",), "user_roles", "roles"),
    _get("/groups/{group_id}", "groups", "fields"),
    _get("/roles/{role_id}", "roles"),
    _get("/permission_sets/{permission_set_id}", "permission_sets", "fields"),
    _get("/model_sets/{model_set_id}", "model_sets", "fields"),
    _get("/scheduled_plans/{scheduled_plan_id}", "scheduled_plans", "fields"),
    _get("/lookml_models/{lookml_model_name}", "lookml_models", "fields"),
    _get("/lookml_models/{lookml_model_name}/explores/{explore_name}", "explores", "fields"),
    _get("/alerts/{alert_id}", "alerts"),
    _get("/user_attributes/{user_attribute_id}", "user_attributes", "fields"),
    _get("/themes/{theme_id}", "themes", "fields"),
    *(Route("GET", path, ("fields",), "related") for path in RELATED_ROUTES),
)


class _BadRequestError(Exception):
    """A query parameter value Looker would refuse with 400."""


def _id_key(item_id: str) -> tuple[int, int, str]:
    """Looker's ids are integers: sort "10" after "9"; names (lookml models) after numbers."""
    return (0, int(item_id), "") if item_id.isdigit() else (1, 0, item_id)


def _sort_value(value: Any) -> tuple[int, Any]:
    if value is None:
        return (3, "")
    if isinstance(value, bool | int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, orjson.dumps(value, option=orjson.OPT_SORT_KEYS))


def _parse_sorts(raw: str) -> tuple[tuple[str, bool], ...]:
    """ "title desc, id" -> (("title", True), ("id", False)); "desc" flags descending order."""
    keys = []
    for part in raw.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise _BadRequestError(f"Invalid sorts: {raw}")
        keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return tuple(keys)


def _parse_fields(raw: str) -> tuple[str, ...] | None:
    """Top-level names of a Looker fields list ("id,title,dashboard_elements(id,title)")."""
    names, depth, current = [], 0, []
    for char in raw + ",":
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            name = "".join(current).strip()
            if name:
                names.append(name)
            current = []
        elif depth == 0:
            current.append(char)
    return tuple(names) or None


def _parse_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise _BadRequestError(f"{name} must be an integer") from None
    if value < 0:
        raise _BadRequestError(f"{name} must not be negative")
    return value


def _parse_bool(name: str, raw: str) -> bool:
    try:
        return parse_bool(raw, true=_TRUE_WORDS, false=_FALSE_WORDS)
    except ValueError:
        raise _BadRequestError(f"{name} must be true or false") from None


def _project(obj: dict[str, Any], fields: tuple[str, ...] | None) -> dict[str, Any]:
    return obj if fields is None else {name: obj[name] for name in fields if name in obj}


def _compile_routes() -> tuple[dict[tuple[str, str], Route], list[tuple[Route, list[str]]]]:
    static, templated = {}, []
    for route in ROUTES:
        if "{" in route.path:
            templated.append((route, route.path.strip("/").split("/")))
        else:
            static[(route.method, route.path)] = route
    return static, templated


_STATIC_ROUTES, _TEMPLATED_ROUTES = _compile_routes()


def match_route(method: str, path: str) -> tuple[Route, list[str]] | None:
    """The route serving method + path (below the API prefix) and its path arguments, if any."""
    route = _STATIC_ROUTES.get((method, path))
    if route is not None:
        return route, []
    segments = path.strip("/").split("/")
    for candidate, pattern in _TEMPLATED_ROUTES:
        if candidate.method != method or len(pattern) != len(segments):
            continue
        args = []
        for want, got in zip(pattern, segments, strict=True):
            if want.startswith("{"):
                if not got:
                    break
                args.append(got)
            elif want != got:
                break
        else:
            return candidate, args
    return None


class _Reader:
    """Reads only the query parameters the route's spec operation declares; ignores the rest."""

    def __init__(self, route: Route, query: dict[str, str]) -> None:
        self._params, self._query = route.params, query

    def text(self, name: str) -> str | None:
        return self._query.get(name) if name in self._params else None

    def flag(self, name: str) -> bool | None:
        raw = self.text(name)
        return None if raw is None or raw == "" else _parse_bool(name, raw)

    def number(self, name: str) -> int | None:
        raw = self.text(name)
        return None if raw is None or raw == "" else _parse_int(name, raw)

    def window(self) -> tuple[int, int | None]:
        """(offset, limit); limit/offset win over the deprecated page/per_page."""
        limit, offset = self.number("limit"), self.number("offset")
        page, per_page = self.number("page"), self.number("per_page")
        if limit is None and offset is None and per_page is not None:
            return max(0, (page or 1) - 1) * per_page, per_page
        return offset or 0, limit
