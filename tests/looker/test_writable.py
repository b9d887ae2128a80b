"""looker/writable.py against the API description: only fields Looker's request schemas accept."""

from __future__ import annotations

import orjson
import pytest

from lookervault.looker.writable import REQUIRED, SENT_THOUGH_READ_ONLY, WRITABLE, writable_body
from tests.conftest import SPEC_PATH

_CREATE_PATHS = {
    "folders": "/folders", "queries": "/queries", "looks": "/looks", "dashboards": "/dashboards",
    "dashboard_filters": "/dashboard_filters", "dashboard_elements": "/dashboard_elements",
    "boards": "/boards", "board_sections": "/board_sections", "board_items": "/board_items",
    "scheduled_plans": "/scheduled_plans", "alerts": "/alerts",
    "dashboard_layout_components": "/dashboard_layout_components/{dashboard_layout_component_id}",
    "content_metadata_access": "/content_metadata_access",
    "group_users": "/groups/{group_id}/users",
    "merge_queries": "/merge_queries",
    "user_attribute_group_values": "/groups/{group_id}/attribute_values/{user_attribute_id}",
    "user_attribute_values": "/users/{user_id}/attribute_values/{user_attribute_id}",
    **{kind: f"/{kind}" for kind in (
        "permission_sets", "model_sets", "roles", "groups", "user_attributes", "themes",
    )},
}  # fmt: skip


def _schema(kind: str) -> dict:
    spec = orjson.loads(SPEC_PATH.read_bytes())
    operations = spec["paths"][_CREATE_PATHS[kind]]
    operation = operations.get("post") or operations["patch"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return spec["components"]["schemas"][ref.split("/")[-1]]


@pytest.mark.parametrize("kind", sorted(WRITABLE))
def test_writable_fields_are_writable_in_the_request_schema(kind: str) -> None:
    """Every field sent is a property of the request schema and not read-only."""
    properties = _schema(kind)["properties"]
    assert set(WRITABLE[kind]) <= set(properties)
    assert not [name for name in WRITABLE[kind] if properties[name].get("readOnly")]


@pytest.mark.parametrize("kind", sorted(SENT_THOUGH_READ_ONLY))
def test_read_only_fields_sent_are_properties(kind: str) -> None:
    """The read-only fields Looker nevertheless reads are real properties of the schema."""
    assert set(SENT_THOUGH_READ_ONLY[kind]) <= set(_schema(kind)["properties"])


@pytest.mark.parametrize("kind", sorted(REQUIRED))
def test_required_covers_the_schema_required(kind: str) -> None:
    """Fields the request schema requires are required by the mock too."""
    assert set(_schema(kind).get("required") or ()) <= set(REQUIRED[kind])


def test_writable_body_keeps_only_accepted_fields() -> None:
    """Read-only fields (id, can, created_at) never reach a body."""
    body = writable_body("folders", {"id": "3", "name": "n", "parent_id": "1", "can": {}})
    assert body == {"name": "n", "parent_id": "1"}
