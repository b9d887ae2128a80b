"""Every route the mock serves, and every query parameter it reads, exists in the Looker 4.0 spec."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from lookervault.mock.routes import ROUTES, Route, match_route
from tests.conftest import SPEC_PATH


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def operation(route: Route) -> dict[str, Any]:
    return spec()["paths"][route.path][route.method.lower()]


def route_id(route: Route) -> str:
    return f"{route.method} {route.path}"


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_route_is_a_spec_operation(route: Route) -> None:
    """The method + path template is an operation of the spec, path parameters included."""
    assert route.path in spec()["paths"], route.path
    op = operation(route)
    declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
    assert set(re.findall(r"{(\w+)}", route.path)) == declared


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_query_parameters_are_declared(route: Route) -> None:
    """Each query parameter the app reads for a route is a query parameter of that operation."""
    declared = {p["name"] for p in operation(route).get("parameters", []) if p["in"] == "query"}
    assert set(route.params) <= declared, set(route.params) - declared


@pytest.mark.parametrize("route", [r for r in ROUTES if r.kind == "list"], ids=route_id)
def test_paging_parameters_are_read_wherever_declared(route: Route) -> None:
    """Where the spec offers limit/offset/page/per_page/sorts/fields on a list, the app honours them."""
    declared = {p["name"] for p in operation(route).get("parameters", []) if p["in"] == "query"}
    wanted = declared & {"limit", "offset", "page", "per_page", "sorts", "fields"}
    assert wanted <= set(route.params)


def test_routes_are_unique_and_reachable() -> None:
    """No two routes share a method and path, and the matcher finds each one."""
    assert len({route_id(r) for r in ROUTES}) == len(ROUTES)
    for route in ROUTES:
        concrete = re.sub(r"{\w+}", "x", route.path)
        matched = match_route(route.method, concrete)
        assert matched is not None and matched[0] == route


def test_list_routes_answer_arrays_of_the_served_type() -> None:
    """Each list route's spec response is an array (so the mock's JSON arrays are faithful)."""
    for route in ROUTES:
        if route.kind == "list":
            schema = operation(route)["responses"]["200"]["content"]["application/json"]["schema"]
            assert schema["type"] == "array", route_id(route)
