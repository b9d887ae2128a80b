"""The shrink guard: a listing much smaller than last time keeps its items, unless accepted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from lookervault.backup.run import ExtractOptions, ExtractResult, extract
from lookervault.backup.shrink import last_complete_counts, shrink_reason
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.queries import RunRecord
from lookervault.vault.store import Vault

_MOCK = MockOptions()
_SETTINGS = ConnectionSettings(
    base_url="http://mock", client_id=_MOCK.client_id, client_secret=_MOCK.client_secret
)


_SERVED: list[MockLooker] = []


async def _extract(db: Path, users: int, **options: Any) -> ExtractResult:
    mock = MockLooker(MockOptions(preset="tiny", counts={"users": users}))
    _SERVED.append(mock)
    with Vault(db) as vault:
        return await extract(
            _SETTINGS,
            vault,
            ExtractOptions(content_types=("users",), workers=2, **options),
            transport=httpx.ASGITransport(app=mock),
        )


@pytest.mark.anyio
async def test_a_shrunk_listing_marks_nothing_gone_until_accepted(tmp_path: Path) -> None:
    """50 users, then 10: partial with the reason and none gone; --accept-shrink marks 40 gone."""
    db = tmp_path / "v.db"
    assert (await _extract(db, 50)).status == "complete"
    shrunk = await _extract(db, 10)
    assert shrunk.status == "partial" and not shrunk.failures
    assert shrunk.outcomes["users"]["outcome"] == "partial"
    assert "--accept-shrink" in shrunk.outcomes["users"]["reason"]
    with Vault(db) as vault:
        assert vault.count_items("users") == 50  # nothing marked gone
    assert _SERVED[-1].stats.requests < 20  # the 40 unseen users were not asked for one by one
    accepted = await _extract(db, 10, accept_shrink=True)
    assert accepted.status == "complete"
    with Vault(db) as vault:
        assert vault.count_items("users") == 10


@pytest.mark.anyio
async def test_a_lower_threshold_lets_the_shrink_through(tmp_path: Path) -> None:
    """--shrink-threshold 0.1: 30 of 50 is enough, the 20 others are gone."""
    db = tmp_path / "v.db"
    await _extract(db, 50)
    assert (await _extract(db, 30, shrink_threshold=0.1)).status == "complete"
    with Vault(db) as vault:
        assert vault.count_items("users") == 30


def _run(run_id: int, status: str, users: int, outcome: str = "complete") -> RunRecord:
    stats = {"outcomes": {"users": {"outcome": outcome, "reason": None}}}
    return RunRecord(
        run_id, "t", "t", status, {}, {"users": users}, stats, "u", None, None, "0", 0, "full"
    )


def test_last_complete_counts_skips_partial_runs_and_skipped_types() -> None:
    """The reference is the latest earlier complete run that read the type completely."""
    runs = [
        _run(1, "complete", 100),
        _run(2, "partial", 5),
        _run(3, "complete", 0, "skipped (forbidden)"),
        _run(4, "complete", 999),  # the current run itself
    ]
    assert last_complete_counts(runs, 4) == {"users": (1, 100)}


@pytest.mark.parametrize(
    ("count", "before", "held"),
    [(79, 100, True), (80, 100, False), (0, 9, False), (5, 10, True)],
)
def test_shrink_reason_threshold_and_minimum(count: int, before: int, held: bool) -> None:
    """Under 80 % of at least 10 items is held; at 80 %, or from under 10, it is not."""
    assert (shrink_reason(count, (1, before), 0.8) is not None) is held
