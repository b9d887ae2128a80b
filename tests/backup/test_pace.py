"""Tests for lookervault.backup.pace: what the last run learned, read back for the next one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lookervault.backup.pace import describe, recall, recall_before, remember
from lookervault.config import RATE_MEMORY_MAX_AGE_DAYS
from lookervault.learned_rate import LearnedRate
from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.metrics import PACE_KEY
from lookervault.vault.store import Vault

URL = "https://looker.example.com"


def _finished_run(vault: Vault, stats: dict, url: str = URL) -> int:
    run_id = vault.start_run(
        options={}, looker_url=url, looker_release=None, api_version=None, tool_version="0"
    )
    vault.finish_run(run_id, status="complete", counts={}, stats=stats)
    return run_id


@pytest.fixture
def vault(tmp_path: Path):
    with Vault(tmp_path / "v.db") as opened:
        yield opened


def test_the_last_runs_memory_is_recalled(vault: Vault) -> None:
    _finished_run(vault, {PACE_KEY: {"rate": 10.0, "ceiling": 12.0}})
    _finished_run(vault, {PACE_KEY: {"rate": 36.0, "ceiling": 40.0}})
    assert recall(vault, URL) == LearnedRate(36.0, 40.0)


@pytest.mark.parametrize(
    "stats",
    [
        {},  # a run of an earlier release, or one with a configured rate
        {PACE_KEY: "fast"},
        {PACE_KEY: {"rate": -1}},
    ],
)
def test_a_run_without_a_readable_memory_gives_none(vault: Vault, stats: dict) -> None:
    _finished_run(vault, {PACE_KEY: {"rate": 36.0, "ceiling": 40.0}})
    _finished_run(vault, stats)  # the latest run counts, even when it has nothing to say
    assert recall(vault, URL) is None


def test_another_lookers_memory_is_not_recalled(vault: Vault) -> None:
    _finished_run(vault, {PACE_KEY: {"rate": 36.0, "ceiling": 40.0}}, url="https://other.example")
    assert recall(vault, URL) is None


def test_an_old_memory_is_not_trusted(vault: Vault) -> None:
    _finished_run(vault, {PACE_KEY: {"rate": 36.0, "ceiling": 40.0}})
    soon = datetime.now(UTC) + timedelta(days=RATE_MEMORY_MAX_AGE_DAYS - 1)
    later = datetime.now(UTC) + timedelta(days=RATE_MEMORY_MAX_AGE_DAYS, hours=1)
    assert recall(vault, URL, now=soon) == LearnedRate(36.0, 40.0)
    assert recall(vault, URL, now=later) is None


def test_remember_keeps_what_the_limiter_learned_and_nothing_for_a_configured_rate() -> None:
    assert remember(AdaptiveLimiter(per_second=20)) == {}
    limiter = AdaptiveLimiter()
    limiter.resume(LearnedRate(36.0, 40.0))
    entry = remember(limiter)
    assert LearnedRate.from_dict(entry[PACE_KEY]) == limiter.learned()


def test_describe_says_the_pace_and_the_limit_in_words() -> None:
    assert describe(LearnedRate(36.44, 40.25)) == (
        "36.4 requests/s at its end, Looker's limit about 40.2/s"
    )
    assert describe(LearnedRate(1200.0, None)) == "1200.0 requests/s at its end, no limit met"


def test_recall_before_reads_a_vault_that_exists_and_creates_nothing(tmp_path: Path) -> None:
    """The CLI reads the memory before the login, so it must not create a vault that a refused
    login would leave behind; a file that is no vault is left for the run to report."""
    missing = tmp_path / "new.db"
    assert recall_before(missing, URL) is None
    assert not missing.exists()
    with Vault(tmp_path / "v.db") as vault:
        _finished_run(vault, {PACE_KEY: {"rate": 36.0, "ceiling": 40.0}})
    assert recall_before(tmp_path / "v.db", URL) == LearnedRate(36.0, 40.0)
    (tmp_path / "notes.db").write_text("not a vault")
    assert recall_before(tmp_path / "notes.db", URL) is None
