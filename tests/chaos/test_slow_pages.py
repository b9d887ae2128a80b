"""Chaos with a slow Looker: big pages answer 504, some answers stall past the timeout, some
explores are missing. The vault still equals the truth; missing explores are unavailable."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from tests.chaos.conftest import TALLY, trials
from tests.chaos.support import failures_of_last_run, integrity, run_cli, set_connection_env
from tests.chaos.test_faults import MAX_RESUMES, STALL_S, TIMEOUT_S, lost_items

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("real_retry_count", "keep_logging")]


def schedule(seed: int) -> MockOptions:
    """A slow Looker drawn from the seed: which pages are too big, how often answers stall."""
    rng = random.Random(f"chaos-slow:{seed}")
    return MockOptions(
        preset="tiny",
        seed=seed,
        counts={"dashboards": rng.randint(40, 80), "looks": rng.randint(20, 60)},
        page_timeout_above=rng.randint(1, 12),
        stall_rate=rng.uniform(0.0, 0.03),
        stall_s=STALL_S,
        missing_explores=rng.randint(1, 2),
        merge_queries=rng.randint(2, 6),
        lookml_dashboards=rng.randint(1, 3),
    )


@pytest.mark.parametrize("seed", trials(fast=1, long=10))
def test_slow_pages_shrink_and_the_backup_is_whole(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 0 (after resumes if a stall outlasted every retry); nothing lost, explores spared."""
    mock = MockLooker(schedule(seed))
    truth = mock.ground_truth_hashes()
    missing = mock.related.missing_explores
    truth["explores"] = {k: v for k, v in truth["explores"].items() if k not in missing}
    db = tmp_path / "v.db"
    args = ("extract", "--db", str(db), "--json", "--quiet", "--workers", "2")
    resumes = 0
    with serve_in_thread(mock) as base_url:
        set_connection_env(monkeypatch, base_url, LOOKERSDK_TIMEOUT=TIMEOUT_S)
        outcome = run_cli(capsys, *args)
        while outcome.code == 4 and resumes < MAX_RESUMES:
            outcome = run_cli(capsys, *args, "--resume")
            resumes += 1
    assert outcome.code == 0, outcome.err
    report = json.loads(outcome.out)
    assert report["status"] == "complete" and failures_of_last_run(db) == set()
    if resumes == 0:
        assert report["unavailable"] == {"explores": len(missing)}
    lost, extra = lost_items(db, truth)
    TALLY.update(
        {
            "slow trials": 1,
            "slow: 504 pages": mock.stats.by_status.get(504, 0),
            "slow: stalls": mock.stats.stalls,
            "slow: items lost": lost,
        }
    )
    assert (lost, extra) == (0, 0)
    assert mock.stats.by_status.get(504, 0) > 0
    assert integrity(db) == "ok"
