"""Tests for lookervault.endpoints: the endpoint each type uses on each Looker release."""

from __future__ import annotations

import pytest

from lookervault.content import CONTENT_TYPES, ListSource, content_type
from lookervault.endpoints import describe_endpoint, for_release, parse_release


@pytest.mark.parametrize(
    ("text", "release"),
    [("24.18.3", (24, 18)), ("25.20", (25, 20)), ("26.0.1-beta", (26, 0)), ("", None), (None, None),
     ("x.y", None), ("25", None)],
)  # fmt: skip
def test_parse_release(text: object, release: tuple[int, int] | None) -> None:
    """Looker's looker_release_version reads as (major, minor); anything else as unknown."""
    assert parse_release(text) == release


def _source(name: str, release: tuple[int, int] | None) -> ListSource:
    (ct,) = for_release([content_type(name)], release)
    assert isinstance(ct.source, ListSource)
    return ct.source


def test_schedules_before_24_18_come_from_one_unpaged_request() -> None:
    """Before 24.18 (no search_scheduled_plans) schedules are GET /scheduled_plans?all_users=true."""
    old = _source("scheduled_plans", (24, 17))
    assert (old.path, dict(old.params), old.paged) == (
        "/scheduled_plans",
        {"all_users": "true"},
        False,
    )
    assert describe_endpoint(content_type("scheduled_plans")) == (
        "GET /scheduled_plans/search?all_users=true"
    )


def test_schedules_from_24_18_are_searched() -> None:
    """From 24.18 the registry's paged search is used."""
    assert _source("scheduled_plans", (24, 18)) == content_type("scheduled_plans").source


def test_models_from_25_20_include_self_service() -> None:
    """From 25.20 all_lookml_models is asked for self-service models; before, it is not."""
    assert _source("lookml_models", (25, 20)).params == {"include_self_service": "true"}
    assert "include_self_service" not in _source("lookml_models", (25, 19)).params


def test_an_unknown_release_uses_the_registry() -> None:
    """Without a readable release every type keeps the registry's endpoint."""
    assert for_release(CONTENT_TYPES, None) == CONTENT_TYPES
