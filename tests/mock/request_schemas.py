"""Checks of write bodies against the API description, and a logged-in client of a writable mock,
shared by the tests of the mock's writes and of restore."""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
from jsonschema import Draft202012Validator

from lookervault.mock.app import MockLooker, MockOptions
from tests.conftest import SPEC_PATH
from tests.mock.test_data import _components

__all__ = [
    "logged_in",
    "read_only_fields",
    "request_errors",
    "request_schema_name",
    "request_validator",
    "spec",
]


@functools.cache
def spec() -> dict[str, Any]:
    """The API description the project carries."""
    return orjson.loads(SPEC_PATH.read_bytes())


@functools.cache
def _template(method: str, path: str) -> str:
    """The path template of the operation serving ``path`` (below /api/4.0)."""
    for template, operations in spec()["paths"].items():
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return template
    raise AssertionError(f"no operation {method} {path} in the API description")


def _request_schema(method: str, template: str) -> dict[str, Any]:
    operation = spec()["paths"][template][method.lower()]
    return operation["requestBody"]["content"]["application/json"]["schema"]


def request_schema_name(method: str, path: str) -> str:
    """The name of the request schema of the operation serving ``path``."""
    return _request_schema(method, _template(method, path))["$ref"].split("/")[-1]


def read_only_fields(schema_name: str) -> set[str]:
    """The fields the schema marks read-only (a write should not send them)."""
    props = spec()["components"]["schemas"][schema_name].get("properties", {})
    return {name for name, prop in props.items() if prop.get("readOnly")}


@functools.cache
def request_validator(method: str, template: str) -> Draft202012Validator:
    """A validator of the request body of the operation at ``template``."""
    return Draft202012Validator({**_request_schema(method, template), "components": _components()})


def request_errors(method: str, path: str, body: Any) -> list[str]:
    """What is wrong with a body sent to ``path`` (below /api/4.0) per its request schema."""
    validator = request_validator(method, _template(method, path))
    return [e.message for e in validator.iter_errors(body)]


@asynccontextmanager
async def logged_in(mock: MockLooker) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``mock`` (in-process) carrying a fresh access token."""
    options = MockOptions()
    transport = httpx.ASGITransport(app=mock)
    async with httpx.AsyncClient(transport=transport, base_url="http://m/api/4.0") as http:
        form = {"client_id": options.client_id, "client_secret": options.client_secret}
        token = (await http.post("/login", data=form)).json()["access_token"]
        http.headers["Authorization"] = f"token {token}"
        yield http
