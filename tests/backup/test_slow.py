"""Requests in flight and timeouts per child type: the registry's, overridden for explores only."""

from __future__ import annotations

from lookervault.backup.options import ExtractOptions
from lookervault.backup.slow import child_timeout, in_flight
from lookervault.content import ChildSource, content_type


def _source(name: str) -> ChildSource:
    source = content_type(name).source
    assert isinstance(source, ChildSource)
    return source


def test_explores_use_the_registry_unless_overridden() -> None:
    """4 in flight and 300 s by default; the flags win; never above --concurrency."""
    explores = _source("explores")
    default = ExtractOptions()
    assert (
        in_flight(default, "explores", explores),
        child_timeout(default, "explores", explores),
    ) == (
        4,
        300.0,
    )
    told = ExtractOptions(explores_in_flight=2, explores_timeout_s=30.0)
    assert (in_flight(told, "explores", explores), child_timeout(told, "explores", explores)) == (
        2,
        30.0,
    )
    assert in_flight(ExtractOptions(concurrency=2), "explores", explores) == 2


def test_other_child_types_use_concurrency_and_the_connection_timeout() -> None:
    """Access rules and memberships: --concurrency in flight, no timeout of their own."""
    told = ExtractOptions(concurrency=7, explores_in_flight=1, explores_timeout_s=1.0)
    for name in ("content_metadata_access", "role_users", "content_metadata", "queries"):
        source = _source(name)
        assert (in_flight(told, name, source), child_timeout(told, name, source)) == (7, None)
