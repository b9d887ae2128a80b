"""Tests for lookervault.backup.pages: offsets up to the short page, pages ahead of the listing,
the listing after the pages beside their commits."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import httpx
import pytest

from lookervault.backup.pages import PageCursor
from lookervault.backup.run import ExtractOptions, extract
from lookervault.config import STREAM_BATCHES_PER_WORKER
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.records import Batch
from lookervault.vault.store import Vault
from lookervault.vault.writer import VaultWriter
from tests.backup.test_listing import extract_users
from tests.support import assert_vault_equals

_MOCK = MockOptions()
_SETTINGS = ConnectionSettings(
    base_url="http://mock", client_id=_MOCK.client_id, client_secret=_MOCK.client_secret
)


def test_cursor_without_an_end_hands_out_offsets_until_told() -> None:
    """Offsets step by the page size; a short page stops the offsets after it."""
    cursor = PageCursor(5, None)
    assert [cursor.next(), cursor.next(), cursor.next()] == [0, 5, 10]
    assert cursor.pages_left() is None
    cursor.short_page_at(10)
    assert cursor.next() is None


def test_cursor_with_a_known_end_stops_there() -> None:
    """A resumed end (or the listing's count) bounds the pages; the earliest end wins."""
    cursor = PageCursor(5, 10)
    assert cursor.pages_left() == 3
    assert cursor.next() == 0
    cursor.short_page_at(20)  # a later end does not extend it
    cursor.short_page_at(5)
    assert cursor.pages_left() == 1
    assert cursor.next() == 5
    assert cursor.next() is None
    assert cursor.pages_left() == 0


def test_follow_cap_steps_by_the_cap_after_the_first_page() -> None:
    """A first page cut to 3 items: offsets step by 3 from there; later calls change nothing."""
    cursor = PageCursor(5, None)
    assert cursor.next() == 0
    cursor.follow_cap(3)
    cursor.short_page_at(9)
    assert [cursor.next(), cursor.next(), cursor.next(), cursor.next()] == [3, 6, 9, None]
    cursor.follow_cap(2)  # too late: offsets were handed out at the cap already
    assert cursor.page_size == 3


class _HoldListingEnd(httpx.AsyncBaseTransport):
    """The mock, except that the id listing at offset 2000 waits for a page at offset 1900."""

    def __init__(self, app: MockLooker) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._page_1900 = anyio.Event()
        self.listing_held = False
        self.pages_while_held: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        offset = int(params.get("offset", -1))
        if params.get("fields") == "id" and offset == 2000:
            self.listing_held = True
            await self._page_1900.wait()  # pages waiting for the whole listing never get there
            self.listing_held = False
        elif "/users/search" in request.url.path and offset >= 0:
            if self.listing_held:
                self.pages_while_held.append(offset)
            if offset == 1900:
                self._page_1900.set()
        return await self._inner.handle_async_request(request)


@pytest.mark.anyio
async def test_pages_go_ahead_of_the_listing_only_as_far_as_it_counted(tmp_path: Path) -> None:
    """Counted at the server: pages the listing counted go before it ends, none beyond them."""
    mock = MockLooker(MockOptions(preset="tiny", counts={"users": 2500}))
    transport = _HoldListingEnd(mock)
    result = await extract_users(tmp_path / "v.db", transport)
    assert result.status == "complete" and not result.failures
    assert 1900 in transport.pages_while_held
    assert max(transport.pages_while_held) < 2000
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["users"])


class _Recorder(httpx.AsyncBaseTransport):
    """The mock, noting the pages answered when the listing after them begins, and the logout."""

    def __init__(self, app: MockLooker, writes: list[float]) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._writes = writes
        self._listings_at_0 = 0
        self.pages_answered = 0
        self.uncommitted_at_second_listing: int | None = None
        self.logout_at: float | None = None
        self.logouts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if request.method == "DELETE" and request.url.path.endswith("/logout"):
            self.logout_at = time.monotonic()
            self.logouts += 1
        elif params.get("fields") == "id" and params.get("offset") == "0":
            self._listings_at_0 += 1
            if self._listings_at_0 == 2:  # the listing after the pages
                self.uncommitted_at_second_listing = self.pages_answered - len(self._writes)
        response = await self._inner.handle_async_request(request)
        if "offset" in params and "fields" not in params:
            self.pages_answered += 1
        return response


def _slow_writes(monkeypatch: pytest.MonkeyPatch, seconds: float) -> list[float]:
    """Every vault batch takes `seconds` longer; the list gets each write's end time."""
    ends: list[float] = []
    write = VaultWriter.write

    def slow(self: VaultWriter, batch: Batch) -> None:
        time.sleep(seconds)
        write(self, batch)
        ends.append(time.monotonic())

    monkeypatch.setattr(VaultWriter, "write", slow)
    return ends


@pytest.mark.anyio
async def test_the_listing_after_the_pages_does_not_wait_for_their_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slow writers: the second listing goes once the pages are answered, not committed.

    Pages waiting to be committed are bounded by the page slots (8 here); before, the last page
    waited for room in the writers' stream, so at most 2 writers + 2 queued were left.
    """
    writes = _slow_writes(monkeypatch, 0.03)
    mock = MockLooker(MockOptions(preset="tiny", counts={"users": 2500}))
    transport = _Recorder(mock, writes)
    result = await extract_users(tmp_path / "v.db", transport)
    assert result.status == "complete" and not result.failures
    assert transport.uncommitted_at_second_listing is not None
    assert transport.uncommitted_at_second_listing > 2 * (1 + STREAM_BATCHES_PER_WORKER)
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["users"])


@pytest.mark.anyio
async def test_logout_goes_beside_the_last_commits_not_after_the_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slow writers: the session ends before the run is recorded as finished, once, complete."""
    _slow_writes(monkeypatch, 0.03)
    finished: list[float] = []
    finish_run = Vault.finish_run

    def noted(self: Vault, *args: object, **kwargs: object) -> None:
        finished.append(time.monotonic())
        finish_run(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Vault, "finish_run", noted)
    mock = MockLooker(MockOptions(preset="tiny", counts={"users": 2500}))
    transport = _Recorder(mock, [])
    result = await extract_users(tmp_path / "v.db", transport)
    assert result.status == "complete"
    assert transport.logout_at is not None and len(finished) == 1
    assert transport.logout_at < finished[0]
    assert transport.logouts == 1


@pytest.mark.anyio
async def test_a_new_run_asks_the_vault_for_no_earlier_checkpoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a resumed run has earlier attempts: a new one starts its types without asking."""
    asked: list[str] = []
    checkpoints = Vault.checkpoints

    def noted(self: Vault, run_id: int, content_type: str) -> set[str]:
        asked.append(content_type)
        return checkpoints(self, run_id, content_type)

    monkeypatch.setattr(Vault, "checkpoints", noted)
    mock = MockLooker(MockOptions(preset="tiny", counts={"users": 300}))
    result = await extract_users(tmp_path / "v.db", httpx.ASGITransport(app=mock))
    assert result.status == "complete" and asked == []
    with Vault(tmp_path / "v.db") as vault:
        resumed = await extract(
            _SETTINGS,
            vault,
            ExtractOptions(content_types=("users",), workers=2, resume=True),
            transport=httpx.ASGITransport(app=mock),
        )
    assert resumed.status == "complete" and asked == ["users"]
