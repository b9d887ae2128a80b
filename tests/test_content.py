"""The content-type registry agrees with the real Looker API description."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from lookervault.content import (
    CONTENT_TYPES,
    ChildSource,
    ListSource,
    canonical_name,
    check_names,
    content_type,
    resolve_content_types,
)
from lookervault.errors import UsageError
from tests.conftest import SPEC_PATH


@cache
def _spec() -> dict:
    return json.loads(SPEC_PATH.read_text())


def _operation(path: str) -> dict:
    """The spec's GET operation whose template matches a registry path ({0}, {id} -> any name)."""
    pattern = re.sub(r"\\\{[^}]*\\\}", r"\\{[^}]+\\}", re.escape(path))
    matches = [p for p in _spec()["paths"] if re.fullmatch(pattern, p)]
    assert len(matches) == 1, f"{path} matches {matches}"
    return _spec()["paths"][matches[0]]["get"]


def _param_names(operation: dict) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if "name" in p}


def _schema_name(operation: dict) -> str:
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    return (schema.get("items") or schema)["$ref"].rsplit("/", 1)[1]


@pytest.mark.parametrize(
    "ct", [c for c in CONTENT_TYPES if isinstance(c.source, ListSource)], ids=lambda c: c.name
)
def test_list_endpoint_and_parameters_exist_in_spec(ct) -> None:
    """Every list path and every parameter the pipeline sends to it is in the spec."""
    source = ct.source
    names = _param_names(_operation(source.path))
    sent = set(source.params) | {k for v in source.variants for k in v} | {"fields"}
    if source.paged:
        sent |= {"limit", "offset"}
    if source.sort:
        sent.add("sorts")
    assert sent <= names, f"{ct.name}: {sorted(sent - names)} not parameters of {source.path}"


@pytest.mark.parametrize("ct", [c for c in CONTENT_TYPES if c.detail_path], ids=lambda c: c.name)
def test_detail_fetch_exactly_where_the_list_schema_gives_less(ct) -> None:
    """Per-item fetches happen exactly for the types whose list schema differs from get-by-id."""
    list_schema = _schema_name(_operation(ct.source.path))
    detail_schema = _schema_name(_operation(ct.detail_path))
    assert ct.fetch_detail == (list_schema != detail_schema), (ct.name, list_schema, detail_schema)


def test_child_endpoints_exist_in_spec() -> None:
    """Explores and content access come from real endpoints with the parameters we send."""
    explores = content_type("explores").source
    access = content_type("content_metadata_access").source
    assert isinstance(explores, ChildSource) and isinstance(access, ChildSource)
    _operation(explores.path)
    assert set(access.params(("7",))) <= _param_names(_operation(access.path))


def test_resolve_adds_parents_and_keeps_registry_order() -> None:
    """Asking for a child type also backs up the parents it is derived from."""
    names = [ct.name for ct in resolve_content_types(["content_metadata_access", "looks"])]
    assert names == ["looks", "folders", "boards", "content_metadata_access"]
    assert len(resolve_content_types([])) == len(CONTENT_TYPES)


def test_unknown_name_lists_the_valid_ones() -> None:
    """A name that is no type, not even approximately, is rejected with the list of valid names."""
    with pytest.raises(
        UsageError, match="unknown content type 'widgets'; valid: dashboards, looks"
    ):
        resolve_content_types(["widgets"])


def test_typo_suggests_the_nearest_name() -> None:
    """A typo names the nearest content type, then the valid ones."""
    with pytest.raises(UsageError) as info:
        check_names(["dashbords"])
    assert str(info.value).startswith(
        "unknown content type 'dashbords'; did you mean 'dashboards'? valid: dashboards, looks, "
    )


def test_several_unknown_names_are_listed_together() -> None:
    """Several unknown names are named in one line, with a suggestion for each near one."""
    with pytest.raises(UsageError) as info:
        check_names(["lokos", "users", "grups"])
    assert str(info.value).startswith(
        "unknown content types 'lokos', 'grups'; did you mean 'looks', 'groups'? valid: "
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("dashboard", "dashboards"),
        ("Dashboards", "dashboards"),
        ("DASHBOARD", "dashboards"),
        ("scheduled_plan", "scheduled_plans"),
        ("Scheduled-Plans", "scheduled_plans"),
        ("content_metadata_access", "content_metadata_access"),
        ("lookml_model", "lookml_models"),
    ],
)
def test_names_accept_singular_and_any_case(given: str, expected: str) -> None:
    """Content type names are accepted in any case, singular or plural."""
    assert canonical_name(given) == expected
    assert check_names([given, expected]) == (expected,)


def test_resolve_accepts_singular_names() -> None:
    """resolve_content_types reads singular and capitalised names as the registered ones."""
    names = [ct.name for ct in resolve_content_types(["Explore", "look"])]
    assert names == ["looks", "lookml_models", "explores"]


def test_metadata_and_id_fields_are_decoded_by_the_payload_reader() -> None:
    """Every field the registry names is one the payload reader decodes."""
    from lookervault.looker.payload import ItemFields

    known = set(ItemFields.__struct_fields__)
    for ct in CONTENT_TYPES:
        meta = ct.metadata
        names = {ct.id_key, *meta.title, meta.folder, meta.owner, meta.created_at, meta.updated_at}
        assert names - {None} <= known, ct.name


# The API schema each backed-up type's items follow (looks: the get-by-id answer).
_TELEMETRY_SCHEMAS = {
    "dashboards": "Dashboard",
    "lookml_dashboards": "Dashboard",
    "looks": "LookWithQuery",
    "folders": "Folder",
    "boards": "Board",
    "users": "User",
    "scheduled_plans": "ScheduledPlan",
}


def _schema_has(schemas: dict, name: str, path: list[str]) -> bool:
    """Whether the OpenAPI schema ``name`` has the field at ``path`` (`*`: a list's items)."""
    node = schemas[name]
    for segment in path:
        if "$ref" in node:
            node = schemas[node["$ref"].rsplit("/", 1)[-1]]
        if segment == "*":
            if "items" not in node:
                return False
            node = node["items"]
            continue
        properties = node.get("properties", {})
        if segment not in properties:
            return False
        node = properties[segment]
    return True


def test_every_telemetry_field_exists_in_the_api_schema() -> None:
    """Each telemetry path of the registry names a field of its type's Looker 4.0 schema."""
    import json
    from pathlib import Path

    from lookervault.content import CONTENT_TYPES

    spec = Path(__file__).parent / "looker-api" / "Looker.4.0.oas.json"
    schemas = json.loads(spec.read_text(encoding="utf-8"))["components"]["schemas"]
    with_telemetry = {ct.name: ct.telemetry for ct in CONTENT_TYPES if ct.telemetry}
    assert set(with_telemetry) == set(_TELEMETRY_SCHEMAS)
    for name, paths in with_telemetry.items():
        for path in paths:
            assert _schema_has(schemas, _TELEMETRY_SCHEMAS[name], path.split("/")), (name, path)
    assert {"view_count", "last_viewed_at", "favorite_count"} <= set(with_telemetry["looks"])


def test_registry_pages_dashboards_small_and_spares_explores() -> None:
    """Dashboards page at 25 at most; explores go 4 at a time with 300 s; 404 is unavailable."""
    from lookervault.content import ChildSource, ListSource, content_type

    dashboards, explores = content_type("dashboards").source, content_type("explores").source
    assert isinstance(dashboards, ListSource) and dashboards.page_size is not None
    assert dashboards.page_size <= 25
    assert isinstance(explores, ChildSource)
    assert (explores.in_flight, explores.timeout_s, explores.not_found) == (4, 300.0, "unavailable")
    lookml = content_type("lookml_dashboards").source
    assert isinstance(lookml, ListSource)
    assert lookml.accepts("model::name") and not lookml.accepts("42")
