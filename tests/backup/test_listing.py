"""Id listings follow capped, ignored and repeated paging; failed listings stop their type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from lookervault.backup.run import ExtractOptions, ExtractResult, extract
from lookervault.looker import listing
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.store import Vault
from tests.support import assert_vault_equals

pytestmark = pytest.mark.anyio

_MOCK = MockOptions()
_SETTINGS = ConnectionSettings(
    base_url="http://mock", client_id=_MOCK.client_id, client_secret=_MOCK.client_secret
)


async def _extract(db: Path, app: Any, types: tuple[str, ...], **options: Any) -> ExtractResult:
    with Vault(db) as vault:
        return await extract(
            _SETTINGS,
            vault,
            ExtractOptions(content_types=types, workers=2, concurrency=8, **options),
            transport=httpx.ASGITransport(app=app),
        )


def _mock(**knobs: Any) -> MockLooker:
    counts = {"dashboards": 1000, "users": 700, "looks": 40}
    return MockLooker(MockOptions(preset="tiny", counts=counts, **knobs))


@pytest.mark.parametrize(("total_count", "page_size"), [(False, 100), (True, 100), (False, 500)])
async def test_capped_limit_backs_up_every_item(
    tmp_path: Path, total_count: bool, page_size: int
) -> None:
    """A server capping limit at 300 still yields every dashboard and user, item by item.

    With pages of 500, every content page is cut short too: reconciliation fetches the rest.
    """
    mock = _mock(max_limit=300, total_count=total_count)
    result = await _extract(tmp_path / "v.db", mock, ("dashboards", "users"), page_size=page_size)
    truth = mock.ground_truth_hashes()
    assert result.status == "complete" and not result.failures
    assert result.items == {"dashboards": 1000, "users": 700}
    assert any(o.get("deleted") for o in mock.data.objects["dashboards"].values())  # trash too
    # Offsets step by the cap the first page revealed: no item-by-item catch-up (579 requests).
    assert mock.stats.requests < 80
    assert_vault_equals(tmp_path / "v.db", truth, ["dashboards", "users"])
    assert result.outcomes["users"] == {"outcome": "complete", "reason": None}


async def test_total_count_spares_the_empty_page(tmp_path: Path) -> None:
    """With X-Total-Count the listing ends without asking for the empty page after the last."""
    requests = []
    for total_count in (False, True):
        mock = _mock(max_limit=300, total_count=total_count)
        await _extract(tmp_path / f"{total_count}.db", mock, ("users",))
        requests.append(mock.stats.requests)
    assert requests[1] < requests[0]


async def test_ignored_limit_fails_the_type_cleanly_and_quickly(tmp_path: Path) -> None:
    """A server answering more than the limit asked fails the type with one clear failure."""
    mock = _mock(ignore_limit=True)
    result = await _extract(tmp_path / "v.db", mock, ("users",))
    assert result.status == "partial"
    assert len(result.failures) == 1
    assert "ignores limit" in result.failures[0].error
    assert result.outcomes["users"]["outcome"] == "failed"
    assert mock.stats.requests <= 8  # versions, login, a page, the listing; no loop


async def test_forbidden_type_is_skipped_in_a_few_requests(tmp_path: Path) -> None:
    """403 on themes: skipped (forbidden), no failure, the run complete, other types whole."""
    mock = _mock(forbid=("themes",))
    result = await _extract(tmp_path / "v.db", mock, ("themes", "roles"))
    assert result.status == "complete" and not result.failures and result.skipped
    assert result.outcomes["themes"]["outcome"] == "skipped (forbidden)"
    assert "403" in result.outcomes["themes"]["reason"]
    assert mock.stats.by_status[403] <= 3
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["roles"])


async def test_missing_list_endpoint_is_one_failure_not_a_loop(tmp_path: Path) -> None:
    """404 on a list endpoint (a release without it) fails the type once, in a few requests."""
    mock = _mock(missing=("scheduled_plans",))
    result = await _extract(tmp_path / "v.db", mock, ("scheduled_plans",))
    assert result.status == "partial"
    assert len(result.failures) == 1 and "404" in result.failures[0].error
    assert result.outcomes["scheduled_plans"]["outcome"] == "failed"
    assert mock.stats.by_status[404] <= 2


async def test_forbidden_trash_skips_only_the_trash(tmp_path: Path) -> None:
    """403 on deleted=true skips that listing; live dashboards are all backed up, none gone."""
    db = tmp_path / "v.db"
    full = _mock()
    await _extract(db, full, ("dashboards",))
    mock = _mock(forbid=("trash",))
    result = await _extract(db, mock, ("dashboards",))
    outcome = result.outcomes["dashboards"]["outcome"]
    assert result.status == "complete" and result.skipped
    assert outcome == "complete except deleted=true (forbidden)"
    live = {i: o for i, o in mock.data.objects["dashboards"].items() if not o.get("deleted")}
    with Vault(db) as vault:
        assert vault.item_ids("dashboards", run_id=result.run_id) == set(live)
        assert vault.item_ids("dashboards") == set(mock.data.objects["dashboards"])  # none gone


async def test_forbidden_child_type_is_skipped(tmp_path: Path) -> None:
    """A child type whose requests all answer 403 is skipped (forbidden), not 30 failures."""
    mock = _mock(forbid=("content_metadata_access",))
    result = await _extract(tmp_path / "v.db", mock, ("content_metadata_access",))
    assert result.status == "complete" and not result.failures
    assert result.outcomes["content_metadata_access"]["outcome"] == "skipped (forbidden)"
    assert result.outcomes["folders"]["outcome"] == "complete"


def _ignoring_offset(app: MockLooker) -> Any:
    """The mock, but every id listing's offset reads as 0: the same page again and again."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        query = scope.get("query_string", b"")
        if scope["type"] == "http" and b"fields=id" in query:
            parts = [p for p in query.split(b"&") if not p.startswith(b"offset=")]
            scope = {**scope, "query_string": b"&".join([*parts, b"offset=0"])}
        await app(scope, receive, send)

    return wrapped


async def test_repeated_pages_fail_after_a_few_retries(tmp_path: Path) -> None:
    """The same ids at two offsets are asked again three times, then fail the type."""
    mock = MockLooker(MockOptions(preset="tiny", counts={"users": 2500}))
    result = await _extract(tmp_path / "v.db", _ignoring_offset(mock), ("users",))
    assert result.status == "partial" and len(result.failures) == 1
    assert "same ids" in result.failures[0].error
    assert mock.stats.requests <= 12


async def test_listing_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_LISTED_ITEMS ids a listing stops and fails its type: no loop is unbounded."""
    monkeypatch.setattr(listing, "MAX_LISTED_ITEMS", 50)
    mock = _mock(max_limit=30)
    result = await _extract(tmp_path / "v.db", mock, ("users",))
    assert result.status == "partial" and "paging never ends" in result.failures[0].error


async def test_excluded_types_are_skipped_with_their_children(tmp_path: Path) -> None:
    """--exclude folders leaves folders and access rules out, on purpose, without failures."""
    mock = _mock()
    result = await _extract(
        tmp_path / "v.db", mock, ("content_metadata_access", "roles"), exclude=("folders",)
    )
    assert result.status == "complete" and result.skipped
    assert result.outcomes["folders"]["outcome"] == "skipped (excluded)"
    assert result.outcomes["content_metadata_access"]["outcome"] == "skipped (excluded)"
    assert set(result.items) == {"boards", "roles"}


class _LiveAfterTrash(httpx.AsyncBaseTransport):
    """The mock, except that the live id listing is answered only once the trash's has arrived."""

    def __init__(self, app: MockLooker) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._trash = anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if params.get("fields") == "id" and params.get("deleted") == "true":
            self._trash.set()
        if params.get("fields") == "id" and params.get("deleted") == "false":
            await self._trash.wait()  # listed one variant after the other, this never answers
        return await self._inner.handle_async_request(request)


async def test_variants_are_listed_at_once(tmp_path: Path) -> None:
    """The live and the trash listings are in flight together; the vault equals the server."""
    mock = _mock()
    with anyio.fail_after(30), Vault(tmp_path / "v.db") as vault:
        result = await extract(
            _SETTINGS,
            vault,
            ExtractOptions(content_types=("dashboards",), workers=2, concurrency=8),
            transport=_LiveAfterTrash(mock),
        )
    assert result.status == "complete" and not result.failures
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["dashboards"])


class _SecondListingAtOnce(httpx.AsyncBaseTransport):
    """The mock, except that the second listing's first page waits for its page at 1000."""

    def __init__(self, app: MockLooker) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self.seen: dict[int, int] = {}
        self._second_1000 = anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if params.get("fields") == "id":
            offset = int(params["offset"])
            seen = self.seen[offset] = self.seen.get(offset, 0) + 1
            if offset == 1000 and seen == 2:
                self._second_1000.set()
            if offset == 0 and seen == 2:
                await self._second_1000.wait()  # one page after the other never gets there
        return await self._inner.handle_async_request(request)


async def extract_users(db: Path, transport: httpx.AsyncBaseTransport) -> ExtractResult:
    """Back up users alone at 8 in flight through `transport`, within 30 s (no hang)."""
    with anyio.fail_after(30), Vault(db) as vault:
        return await extract(
            _SETTINGS,
            vault,
            ExtractOptions(content_types=("users",), workers=2, concurrency=8),
            transport=transport,
        )


async def test_the_listing_after_the_pages_asks_its_predicted_pages_at_once(
    tmp_path: Path,
) -> None:
    """The second listing asks the pages the first one read together."""
    mock = MockLooker(MockOptions(preset="tiny", counts={"users": 2500}))
    transport = _SecondListingAtOnce(mock)
    result = await extract_users(tmp_path / "v.db", transport)
    assert result.status == "complete" and not result.failures
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["users"])
    # 0, 1000, 2000 and the empty page at 2500, each twice: nothing asked ahead went to waste
    assert transport.seen == {0: 2, 1000: 2, 2000: 2, 2500: 2}
