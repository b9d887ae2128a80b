"""The types a restore needs beyond the content itself, each checked against the mock's ground truth."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lookervault.backup.run import ExtractOptions, extract
from lookervault.content import resolve_content_types
from lookervault.history import list_runs
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.store import Vault
from tests.support import assert_vault_equals

pytestmark = pytest.mark.anyio

NEW_TYPES = (
    "lookml_dashboards",
    "merge_queries",
    "queries",
    "role_groups",
    "role_users",
    "group_groups",
    "user_attribute_group_values",
    "content_metadata",
)
_RELATED = MockOptions(preset="demo", merge_queries=12, lookml_dashboards=4)


async def _extract(db: Path, mock: MockLooker, *types: str, **options: object):
    settings = ConnectionSettings(
        base_url="http://mock",
        client_id=mock.options.client_id,
        client_secret=mock.options.client_secret,
    )
    with Vault(db) as vault:
        return await extract(
            settings,
            vault,
            ExtractOptions(content_types=types, workers=2, **options),  # type: ignore[arg-type]
            transport=httpx.ASGITransport(app=mock),
        )


async def test_every_new_type_equals_the_ground_truth_item_by_item(tmp_path: Path) -> None:
    """Each new type holds exactly what the mock serves, none empty."""
    mock = MockLooker(_RELATED)
    result = await _extract(tmp_path / "v.db", mock, *NEW_TYPES)
    assert result.status == "complete", result.failures
    truth = mock.ground_truth_hashes()
    assert all(truth[name] for name in NEW_TYPES), {n: len(truth[n]) for n in NEW_TYPES}
    assert_vault_equals(tmp_path / "v.db", truth, list(NEW_TYPES))
    assert result.items["merge_queries"] == 12 and result.items["lookml_dashboards"] == 4


async def test_lookml_dashboards_keep_their_model_name_ids(tmp_path: Path) -> None:
    """`model::name` ids come back from the vault as Looker gave them; numeric ones stay out."""
    mock = MockLooker(_RELATED)
    await _extract(tmp_path / "v.db", mock, "lookml_dashboards")
    with Vault(tmp_path / "v.db") as vault:
        ids = sorted(item_id for _, item_id, _ in vault.iter_items(["lookml_dashboards"]))
    assert ids == sorted(mock.related.lookml_dashboards)
    assert all("::" in i for i in ids)


async def test_queries_follow_the_chain_from_dashboards(tmp_path: Path) -> None:
    """Asking for queries alone brings merge_queries and dashboards along and fills all three."""
    assert [ct.name for ct in resolve_content_types(["queries"])] == [
        "dashboards",
        "merge_queries",
        "queries",
    ]
    mock = MockLooker(_RELATED)
    result = await _extract(tmp_path / "v.db", mock, "queries")
    assert result.status == "complete"
    truth = mock.ground_truth_hashes()
    assert_vault_equals(tmp_path / "v.db", truth, ["dashboards", "merge_queries", "queries"])


async def test_the_default_mock_serves_memberships_but_no_merge_queries(tmp_path: Path) -> None:
    """Without the knobs no dashboard changes: no merge query, no LookML dashboard is stored."""
    mock = MockLooker(MockOptions(preset="tiny"))
    result = await _extract(tmp_path / "v.db", mock, *NEW_TYPES)
    assert result.status == "complete"
    assert result.items["merge_queries"] == 0 and result.items["lookml_dashboards"] == 0
    assert result.items["role_users"] == len(mock.data.objects["roles"])
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), list(NEW_TYPES))


async def test_a_missing_explore_is_unavailable_not_gone_nor_failed(tmp_path: Path) -> None:
    """A listed explore answering 404 is counted unavailable, and its earlier copy stays."""
    db = tmp_path / "v.db"
    first = await _extract(db, MockLooker(MockOptions(preset="tiny")), "explores")
    assert first.status == "complete"
    mock = MockLooker(MockOptions(preset="tiny", missing_explores=2))
    second = await _extract(db, mock, "explores")
    assert second.status == "complete" and not second.failures
    assert second.as_json()["unavailable"] == {"explores": 2}
    with Vault(db) as vault:
        assert [r.unavailable for r in list_runs(vault)] == [{}, {"explores": 2}]
        kept = {item_id for _, item_id, _ in vault.iter_items(["explores"])}
    assert mock.related.missing_explores <= kept
    assert kept == set(mock.data.objects["explores"])


async def test_explores_in_flight_is_bounded(tmp_path: Path) -> None:
    """No more explore requests in flight than asked, whatever --concurrency says."""
    mock = MockLooker(MockOptions(preset="demo", latency_ms=5.0))
    peak, now = 0, 0
    inner = mock.__call__

    async def counting(scope, receive, send):  # type: ignore[no-untyped-def]
        nonlocal peak, now
        explore = "/explores/" in scope.get("path", "")
        now += explore
        peak = max(peak, now)
        try:
            await inner(scope, receive, send)
        finally:
            now -= explore

    settings = ConnectionSettings(
        base_url="http://mock",
        client_id=mock.options.client_id,
        client_secret=mock.options.client_secret,
    )
    with Vault(tmp_path / "v.db") as vault:
        result = await extract(
            settings,
            vault,
            ExtractOptions(
                content_types=("explores",),
                concurrency=32,
                explores_in_flight=2,
                # a fixed high rate: the adaptive limiter's slow start would pace the
                # explores one at a time and hide the bound this test is about
                rate_limit_per_second=10_000,
            ),
            transport=httpx.ASGITransport(app=counting),
        )
    assert result.status == "complete"
    assert peak == 2


async def test_a_resumed_run_still_spares_the_unavailable_explores(tmp_path: Path) -> None:
    """Explores found missing before an interruption are not marked gone when the resume ends."""
    db = tmp_path / "v.db"
    await _extract(db, MockLooker(MockOptions(preset="tiny")), "explores", "looks")
    mock = MockLooker(MockOptions(preset="tiny", missing_explores=2))
    look_down = True  # one look answers 503 until the resume: the first attempt ends partial

    async def flaky(scope, receive, send):  # type: ignore[no-untyped-def]
        if look_down and scope.get("path", "").endswith("/looks/3"):
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})
            return
        await mock(scope, receive, send)

    settings = ConnectionSettings(
        base_url="http://mock",
        client_id=mock.options.client_id,
        client_secret=mock.options.client_secret,
    )

    async def run(resume: bool):  # type: ignore[no-untyped-def]
        with Vault(db) as vault:
            return await extract(
                settings,
                vault,
                ExtractOptions(content_types=("explores", "looks"), workers=1, resume=resume),
                transport=httpx.ASGITransport(app=flaky),
            )

    assert (await run(False)).status == "partial"
    look_down = False
    assert (await run(True)).status == "complete"
    with Vault(db) as vault:
        kept = {item_id for _, item_id, _ in vault.iter_items(["explores"])}
    assert kept == set(mock.data.objects["explores"])
