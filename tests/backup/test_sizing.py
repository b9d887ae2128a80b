"""Adaptive page sizes: halve on a timeout or 504 down to one item, double back after successes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from lookervault.backup.run import ExtractOptions, extract
from lookervault.backup.sizing import PageSizer, fetch_sized_page
from lookervault.errors import ApiError
from lookervault.looker.deadline import SPLITTABLE
from lookervault.looker.listing import ListPage
from lookervault.looker.payload import split_page
from lookervault.looker.retry import IDEMPOTENT
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.store import Vault
from tests.support import assert_vault_equals


class _SlowLooker:
    """Answers a page of up to `fits` items; larger ones fail as Looker's proxy does (504)."""

    def __init__(self, items: int, fits: int, *, timeout: bool = False) -> None:
        self.items, self.fits, self.timeout = items, fits, timeout
        self.asked: list[tuple[int, int, str]] = []

    async def get_page(self, path: str, params: Any, *, retry: Any) -> ListPage:
        limit, offset = int(params["limit"]), int(params["offset"])
        self.asked.append((offset, limit, retry.name))
        if limit > self.fits:
            error = ApiError("GET", path, None if self.timeout else 504, "too slow")
            if self.timeout:
                error.__cause__ = httpx.ReadTimeout("read timed out")
            raise error
        ids = range(offset, min(offset + limit, self.items))
        return ListPage(split_page(orjson.dumps([{"id": str(i)} for i in ids])))


def test_sizer_halves_down_to_one_and_doubles_back_after_four_successes() -> None:
    """25 -> 12 -> 6 -> 3 -> 1 -> 1; then four successes per doubling, never past 25."""
    sizer = PageSizer(25)
    sizes = []
    for _ in range(5):
        sizer.shrink()
        sizes.append(sizer.size)
    assert sizes == [12, 6, 3, 1, 1]
    grown = []
    for _ in range(24):
        sizer.succeeded()
        grown.append(sizer.size)
    assert grown[3::4] == [2, 4, 8, 16, 25, 25]
    assert grown[:3] == [1, 1, 1]


@pytest.mark.anyio
@pytest.mark.parametrize("times_out", [False, True])
async def test_a_slow_page_is_fetched_in_smaller_chunks_without_a_gap(times_out: bool) -> None:
    """A page of 25 that Looker cannot build whole comes back complete, in chunks that fit."""
    looker = _SlowLooker(items=100, fits=5, timeout=times_out)
    sizer = PageSizer(25)
    page = await fetch_sized_page(looker, "/x", {"limit": 25, "offset": 25}, sizer)  # type: ignore[arg-type]
    assert [orjson.loads(item)["id"] for item in page] == [str(i) for i in range(25, 50)]
    # 25 -> 12 -> 6 -> 3, then every fourth success probes 6 again (and halves back)
    assert sizer.shrinks >= 3 and sizer.size in (3, 6)
    assert len(looker.asked) < 25  # never one item at a time when 3 fit
    # a size that can still shrink is not retried on 504; the smallest one is
    assert all(policy == SPLITTABLE.name for _, limit, policy in looker.asked if limit > 1)


@pytest.mark.anyio
async def test_one_item_too_slow_fails_the_page_with_the_usual_retries() -> None:
    """At one item per page there is nothing left to halve: the error propagates."""
    looker = _SlowLooker(items=10, fits=0)
    with pytest.raises(ApiError):
        await fetch_sized_page(looker, "/x", {"limit": 4, "offset": 0}, PageSizer(4))  # type: ignore[arg-type]
    assert looker.asked[-1] == (0, 1, IDEMPOTENT.name)


@pytest.mark.anyio
async def test_a_short_chunk_ends_the_page() -> None:
    """The last items of a list: a chunk shorter than asked is the end, nothing more is asked."""
    looker = _SlowLooker(items=7, fits=5)
    sizer = PageSizer(25)
    page = await fetch_sized_page(looker, "/x", {"limit": 25, "offset": 0}, sizer)  # type: ignore[arg-type]
    assert len(page) == 7
    assert looker.asked[-1][0] + looker.asked[-1][1] >= 7


@pytest.mark.anyio
async def test_a_backup_under_504s_for_big_pages_is_complete(tmp_path: Path) -> None:
    """A mock answering 504 to pages over 10 items: every dashboard and look is still stored."""
    mock = MockLooker(MockOptions(preset="demo", page_timeout_above=10))
    settings = ConnectionSettings(
        base_url="http://mock",
        client_id=mock.options.client_id,
        client_secret=mock.options.client_secret,
    )
    with Vault(tmp_path / "v.db") as vault:
        result = await extract(
            settings,
            vault,
            ExtractOptions(content_types=("dashboards", "looks"), workers=2),
            transport=httpx.ASGITransport(app=mock),
        )
    assert result.status == "complete", result.failures
    assert mock.stats.by_status.get(504, 0) > 0
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["dashboards", "looks"])
