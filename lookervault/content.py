"""The content-type registry: every kind of Looker object LookerVault backs up, as data.

Each entry says where the objects come from (a paged list endpoint, a single-page list, or a child endpoint
fed by items of parent types), how they are identified, which list variants exist (Looker's trash), and
whether each item needs a per-item fetch because the list schema gives less than the get-by-id schema.
The pipeline has no branch per type: it reads these specs.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lookervault.config import DASHBOARDS_PAGE_SIZE, EXPLORES_IN_FLIGHT, EXPLORES_TIMEOUT_S
from lookervault.errors import UsageError

__all__ = [
    "CONTENT_TYPES",
    "ChildSource",
    "ContentType",
    "ListSource",
    "Metadata",
    "canonical_name",
    "check_names",
    "content_type",
    "id_sort_key",
    "resolve_content_types",
    "telemetry_fields",
]

Params = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ListSource:
    """A list or search endpoint.

    `paged` types are read with limit/offset; `variants` are separate passes with extra parameters
    (dashboards and looks: live content and Looker's trash, `deleted=true`). `sort` is the stable sort the
    endpoint accepts (None where the spec has no `sorts` parameter).
    """

    path: str
    params: Params = field(default_factory=dict)
    variants: tuple[Params, ...] = ({},)
    paged: bool = True
    sort: str | None = "id"
    # Most items per page (None: --page-size); big items make slow pages on a real Looker.
    page_size: int | None = None
    # Which listed ids belong to the type (GET /dashboards lists user-defined dashboards too).
    accepts: Callable[[str], bool] = lambda item_id: True


@dataclass(frozen=True, slots=True)
class ChildSource:
    """One request per key derived from items of parent types (explores of models, access of folders)."""

    parents: tuple[str, ...]
    keys: Callable[[str, Any], Iterable[tuple[str, ...]]]
    path: str
    params: Callable[[tuple[str, ...]], Params] = lambda key: {}
    # (key, the answer's indexed fields or None when gone) -> the vault id of the child item
    item_id: Callable[[tuple[str, ...], Any], str] = lambda key, fields: "::".join(key)
    answer: str = "object"  # the JSON each request answers: "object", or "list" of objects
    ids_in_answer: bool = True  # each object answered has an id (UserAttributeWithValue has none)
    in_flight: int | None = None  # most requests in flight (None: --concurrency)
    timeout_s: float | None = None  # per-request timeout (None: the connection's)
    # What a 404 means: "gone" (deleted), or "unavailable" (listed but not served: kept as is).
    not_found: str = "gone"


@dataclass(frozen=True, slots=True)
class Metadata:
    """Which fields of an item fill the vault's indexed metadata columns."""

    title: tuple[str, ...] = ("title", "name")
    folder: str | None = "folder_id"
    owner: str | None = "user_id"
    created_at: str | None = "created_at"
    updated_at: str | None = "updated_at"


@dataclass(frozen=True, slots=True)
class ContentType:
    """One backed-up content type, named as on the command line."""

    name: str
    source: ListSource | ChildSource
    detail_path: str | None = None
    fetch_detail: bool = False
    id_key: str = "id"
    metadata: Metadata = Metadata()
    # Fields that change when the content is merely used (viewed, run, logged into), as paths
    # of keys with `*` for every element of a list: ignored when deciding whether it changed.
    telemetry: tuple[str, ...] = ()

    def item_path(self, item_id: str) -> str | None:
        """The get-by-id path of one item, used for per-item fetches and reconciliation."""
        return self.detail_path.format(id=item_id) if self.detail_path else None


def _model_explores(parent: str, model: Any) -> Iterable[tuple[str, ...]]:
    for explore in model.get("explores") or ():
        if isinstance(explore, dict) and explore.get("name"):
            yield (str(model["name"]), str(explore["name"]))


def _content_metadata_ids(parent: str, item: Any) -> Iterable[tuple[str, ...]]:
    cmid = item.get("content_metadata_id")
    if cmid is not None:
        yield (str(cmid),)


def _is_lookml(item_id: str) -> bool:
    return "::" in item_id


def _merge_result_ids(parent: str, dashboard: Any) -> Iterable[tuple[str, ...]]:
    for element in dashboard.get("dashboard_elements") or ():
        if isinstance(element, dict) and element.get("merge_result_id"):
            yield (str(element["merge_result_id"]),)


def _source_query_ids(parent: str, merge_query: Any) -> Iterable[tuple[str, ...]]:
    for source in merge_query.get("source_queries") or ():
        if isinstance(source, dict) and source.get("query_id"):
            yield (str(source["query_id"]),)


def _own_id(parent: str, item: Any) -> Iterable[tuple[str, ...]]:
    if item.get("id") is not None:
        yield (str(item["id"]),)


def _members(parents: tuple[str, ...], path: str, *, ids: bool = True) -> ChildSource:
    """A membership list fetched per parent item, stored under the parent's id."""
    return ChildSource(
        parents, _own_id, path, item_id=lambda key, fields: key[0], answer="list", ids_in_answer=ids
    )


def _explore_id(key: tuple[str, ...], fields: Any) -> str:
    explore_id = getattr(fields, "id", None)
    return str(explore_id) if explore_id else "::".join(key)


_TRASH = ({"deleted": "false"}, {"deleted": "true"})
_USE = (
    "view_count",
    "last_viewed_at",
    "last_accessed_at",
    "favorite_count",
    "usage_count",
    "content_favorite_id",
)
_DASHBOARD_USE = (*_USE, *(f"dashboard_elements/*/look/{name}" for name in _USE))
_LOGINS = tuple(
    f"{credential}/logged_in_at"
    for credential in (
        "credentials_email",
        "credentials_google",
        "credentials_ldap",
        "credentials_looker_openid",
        "credentials_oidc",
        "credentials_saml",
        "credentials_workforce",
        "credentials_embed/*",
    )
)
_NAMED = Metadata(title=("name",), folder=None, owner=None)
_UNTITLED = Metadata(title=(), folder=None, owner=None, created_at=None, updated_at=None)

CONTENT_TYPES: tuple[ContentType, ...] = (
    ContentType(
        "dashboards",
        ListSource("/dashboards/search", variants=_TRASH, page_size=DASHBOARDS_PAGE_SIZE),
        detail_path="/dashboards/{id}",
        telemetry=_DASHBOARD_USE,
    ),
    ContentType(
        "looks",
        ListSource("/looks/search", variants=_TRASH),
        detail_path="/looks/{id}",
        # search_looks returns Look; GET /looks/{id} returns LookWithQuery, with the query a restore needs.
        fetch_detail=True,
        telemetry=_USE,
    ),
    ContentType(
        "folders",
        ListSource("/folders/search"),
        detail_path="/folders/{id}",
        metadata=Metadata(title=("name",), folder="parent_id", owner="creator_id"),
        telemetry=(
            "dashboards/*/content_favorite_id",
            *(f"looks/*/{name}" for name in _USE),
            "looks/*/dashboards/*/content_favorite_id",
        ),
    ),
    ContentType(
        "boards",
        ListSource("/boards/search"),
        detail_path="/boards/{id}",
        metadata=Metadata(folder=None, owner="creator_id"),
        telemetry=tuple(
            f"board_sections/*/board_items/*/{name}"
            for name in ("view_count", "favorite_count", "content_favorite_id")
        ),
    ),
    ContentType(
        "users",
        ListSource("/users/search"),
        detail_path="/users/{id}",
        metadata=Metadata(
            title=("display_name", "email"),
            folder="personal_folder_id",
            owner=None,
            updated_at=None,
        ),
        telemetry=("sessions", *_LOGINS),
    ),
    ContentType(
        "groups", ListSource("/groups/search"), detail_path="/groups/{id}", metadata=_NAMED
    ),
    ContentType("roles", ListSource("/roles/search"), detail_path="/roles/{id}", metadata=_NAMED),
    ContentType(
        "permission_sets",
        ListSource("/permission_sets/search"),
        detail_path="/permission_sets/{id}",
        metadata=_NAMED,
    ),
    ContentType(
        "model_sets",
        ListSource("/model_sets/search"),
        detail_path="/model_sets/{id}",
        metadata=_NAMED,
    ),
    ContentType(
        "scheduled_plans",
        ListSource("/scheduled_plans/search", params={"all_users": "true"}),
        detail_path="/scheduled_plans/{id}",
        metadata=Metadata(title=("name",), folder=None),
        telemetry=("last_run_at", "next_run_at"),
    ),
    ContentType(
        "lookml_models",
        # all_lookml_models pages with limit/offset but has no `sorts` parameter.
        ListSource("/lookml_models", sort=None),
        detail_path="/lookml_models/{id}",
        id_key="name",
        metadata=Metadata(title=("label", "name"), folder=None, owner=None),
    ),
    ContentType(
        "explores",
        ChildSource(
            parents=("lookml_models",),
            keys=_model_explores,
            path="/lookml_models/{0}/explores/{1}",
            item_id=_explore_id,
            in_flight=EXPLORES_IN_FLIGHT,
            timeout_s=EXPLORES_TIMEOUT_S,
            not_found="unavailable",
        ),
        metadata=Metadata(title=("label", "name"), folder=None, owner=None),
    ),
    ContentType(
        "alerts",
        # search_alerts pages with limit/offset but has no `sorts` parameter.
        ListSource("/alerts/search", params={"all_owners": "true"}, sort=None),
        detail_path="/alerts/{id}",
        metadata=Metadata(
            title=("custom_title", "lookml_field_name"), folder=None, owner="owner_id"
        ),
    ),
    ContentType(
        "user_attributes",
        ListSource("/user_attributes", paged=False),
        detail_path="/user_attributes/{id}",
        metadata=_NAMED,
    ),
    ContentType(
        "themes",
        ListSource("/themes/search"),
        detail_path="/themes/{id}",
        metadata=Metadata(title=("name",), folder=None, owner=None, created_at=None),
    ),
    ContentType(
        "content_metadata_access",
        ChildSource(
            parents=("folders", "boards"),
            keys=_content_metadata_ids,
            path="/content_metadata_access",
            params=lambda key: {"content_metadata_id": key[0]},
            item_id=lambda key, fields: key[0],
            answer="list",
        ),
        metadata=_UNTITLED,
    ),
    ContentType(
        "lookml_dashboards",
        # Never returned by search_dashboards; GET /dashboards lists them (ids `model::name`)
        # beside the user-defined ones, which have numeric ids and are left to `dashboards`.
        ListSource(
            "/dashboards", params={"fields": "id"}, paged=False, sort=None, accepts=_is_lookml
        ),
        detail_path="/dashboards/{id}",
        fetch_detail=True,
        telemetry=_DASHBOARD_USE,
    ),
    ContentType(
        "merge_queries",
        ChildSource(("dashboards",), _merge_result_ids, "/merge_queries/{0}"),
        metadata=_UNTITLED,
    ),
    ContentType(
        "queries",
        # The queries merge queries name (looks and dashboard tiles embed theirs).
        ChildSource(("merge_queries",), _source_query_ids, "/queries/{0}"),
        metadata=_UNTITLED,
    ),
    ContentType("role_groups", _members(("roles",), "/roles/{0}/groups"), metadata=_UNTITLED),
    ContentType("role_users", _members(("roles",), "/roles/{0}/users"), metadata=_UNTITLED),
    ContentType("group_groups", _members(("groups",), "/groups/{0}/groups"), metadata=_UNTITLED),
    ContentType(
        "user_attribute_group_values",
        _members(("user_attributes",), "/user_attributes/{0}/group_values"),
        metadata=_UNTITLED,
    ),
    ContentType(
        "user_attribute_values",
        # Per user every attribute's value and its source: the user's own ones a restore sets.
        _members(("users",), "/users/{0}/attribute_values", ids=False),
        metadata=_UNTITLED,
    ),
    ContentType(
        "content_metadata",
        ChildSource(
            ("folders", "boards"),
            _content_metadata_ids,
            "/content_metadata/{0}",
            item_id=lambda key, fields: key[0],
        ),
        metadata=Metadata(title=("name",), folder=None, owner=None, created_at=None),
    ),
)

_BY_NAME = {ct.name: ct for ct in CONTENT_TYPES}


def telemetry_fields(name: str) -> tuple[str, ...]:
    """The telemetry paths of a content type (none for an unknown name)."""
    known = _BY_NAME.get(name)
    return known.telemetry if known is not None else ()


def id_sort_key(item_id: str) -> tuple[int, int | str]:
    """Sort ids as Looker numbers them: numeric ids by value, before any other id."""
    return (0, int(item_id)) if item_id.isdigit() else (1, item_id)


def content_type(name: str) -> ContentType:
    """The registered content type called `name` (KeyError when unknown)."""
    return _BY_NAME[name]


def canonical_name(name: str) -> str | None:
    """The registered name a user meant: any case, singular or plural (None when unknown)."""
    key = name.strip().casefold().replace("-", "_")
    for candidate in (key, key + "s"):
        if candidate in _BY_NAME:
            return candidate
    return None


def _suggestion(name: str) -> str | None:
    key = name.strip().casefold().replace("-", "_")
    choices = {**{n[:-1]: n for n in _BY_NAME if n.endswith("s")}, **{n: n for n in _BY_NAME}}
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    return choices[close[0]] if close else None


def check_names(names: Iterable[str]) -> tuple[str, ...]:
    """The registered names of ``names`` (any case, singular or plural), duplicates dropped.

    The one place that says which names are valid.

    Raises:
        UsageError: a name is not a content type; the message suggests the nearest name and
            lists the valid ones.
    """
    given = list(dict.fromkeys(names))
    unknown = [n for n in given if canonical_name(n) is None]
    if unknown:
        noun = "content type" if len(unknown) == 1 else "content types"
        hints = list(dict.fromkeys(s for n in unknown if (s := _suggestion(n)) is not None))
        hint = f" did you mean {', '.join(map(repr, hints))}?" if hints else ""
        raise UsageError(
            f"unknown {noun} {', '.join(map(repr, unknown))};{hint} valid: {', '.join(_BY_NAME)}"
        )
    return tuple(dict.fromkeys(name for n in given if (name := canonical_name(n)) is not None))


def resolve_content_types(names: Iterable[str]) -> tuple[ContentType, ...]:
    """The requested types in registry order, plus the parents their child endpoints need.

    Raises:
        UsageError: a name is not a content type; the message lists the valid names.
    """
    wanted = check_names(names) or tuple(_BY_NAME)
    selected, todo = set(wanted), list(wanted)
    while todo:  # parents of parents too (queries <- merge_queries <- dashboards)
        source = _BY_NAME[todo.pop()].source
        if isinstance(source, ChildSource):
            todo.extend(p for p in source.parents if p not in selected)
            selected.update(source.parents)
    return tuple(ct for ct in CONTENT_TYPES if ct.name in selected)
