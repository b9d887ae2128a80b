"""Chaos trials of real-Looker paging: a capped limit and forbidden types never lose an item.

Each trial first backs up the whole mock, then runs again against the same data served with a
capped `limit` or with forbidden types, under seeded 5xx faults and shifted pages. The vault
must still hold every item the server holds: none missed, and none recorded as gone.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from lookervault.errors import ExitCode
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from tests.chaos.conftest import TALLY, trials
from tests.chaos.support import integrity, run_cli, set_connection_env
from tests.chaos.test_faults import lost_items

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("real_retry_count", "keep_logging")]

MAX_RESUMES = 8
_FORBIDDABLE = ("themes", "alerts", "scheduled_plans", "content_metadata_access", "trash")


def _options(seed: int, **knobs: object) -> MockOptions:
    rng = random.Random(f"real-looker:{seed}")
    return MockOptions(
        preset="tiny",
        seed=seed,
        fault_rate=rng.uniform(0.0, 0.05),
        shift_rate=rng.uniform(0.0, 0.1),
        **knobs,  # type: ignore[arg-type]
    )


def _back_up(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, int]:
    """Run extract, resuming while partial; (final exit status, resumes)."""
    outcome, resumes = run_cli(capsys, *args), 0
    while outcome.code == ExitCode.PARTIAL and resumes < MAX_RESUMES:
        outcome, resumes = run_cli(capsys, *args, "--resume"), resumes + 1
    assert outcome.code in (ExitCode.OK, ExitCode.NOT_EVERYTHING), outcome.err
    assert "Traceback" not in outcome.err
    return outcome.code, resumes


def _trial(
    seed: int,
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    knobs: dict[str, object],
) -> int:
    """A full backup, then one under `knobs` on the same data; the second run's exit status."""
    args = ("extract", "--db", str(db), "--json", "--quiet", "--page-size", "5", "--workers", "3")
    first = MockLooker(_options(seed))
    with serve_in_thread(first) as base_url:
        set_connection_env(monkeypatch, base_url)
        _back_up(capsys, *args, "--allow-other-instance")
    second = MockLooker(_options(seed, **knobs))
    with serve_in_thread(second) as base_url:
        set_connection_env(monkeypatch, base_url)
        code, resumes = _back_up(capsys, *args, "--allow-other-instance")
    truth = second.ground_truth_hashes()
    lost, extra = lost_items(db, truth)
    TALLY.update({"real-looker trials": 1, "items lost": lost, "partial runs resumed": resumes})
    assert (lost, extra) == (0, 0), "an item still on the server is missing or marked gone"
    assert integrity(db) == "ok"
    return code


@pytest.mark.parametrize("seed", trials(fast=2, long=20))
def test_capped_limit_trial(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """limit capped below or above the page size: every item kept, none marked gone."""
    cap = random.Random(f"cap:{seed}").choice((2, 3, 4, 7, 12))
    code = _trial(seed, tmp_path / "v.db", monkeypatch, capsys, {"max_limit": cap})
    assert code == ExitCode.OK


@pytest.mark.parametrize("seed", trials(fast=2, long=20))
def test_forbidden_type_trial(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Types (or the trash) turned forbidden: skipped, exit 6, nothing marked gone."""
    rng = random.Random(f"forbid:{seed}")
    forbid = tuple(rng.sample(_FORBIDDABLE, rng.randint(1, 3)))
    db = tmp_path / "v.db"
    code = _trial(seed, db, monkeypatch, capsys, {"forbid": forbid})
    assert code == ExitCode.NOT_EVERYTHING
    runs = run_cli(capsys, "runs", "--db", str(db), "--json")
    outcomes = json.loads(runs.out)["runs"][-1]["outcomes"]
    assert any(o["outcome"] != "complete" for o in outcomes.values())
