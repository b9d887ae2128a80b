"""The benchmark harness: completeness verdicts, and one smoke scenario end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.completeness import check_vault, compare
from benchmarks.datasets import dataset
from benchmarks.process import run_measured

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_compare_counts_missing_extra_and_changed_items() -> None:
    """A missing, an extra and a changed item each make the backup incomplete."""
    truth = {"looks": {"1": "a", "2": "b", "3": "c"}}
    got: dict[str, dict[str, str | None]] = {"looks": {"1": "a", "3": "x", "4": "d"}}
    result = compare(truth, got)
    assert (result.ok, result.missing, result.extra, result.changed) == (False, 1, 1, 1)
    assert compare(truth, {"looks": {"1": None, "2": None, "3": None}}).ok


def test_an_empty_vault_is_incomplete(tmp_path: Path) -> None:
    """check_vault reports every expected item of an empty vault as missing."""
    result = check_vault(tmp_path / "v.db", {"users": {"1": "h"}})
    assert not result.ok and result.missing == 1 and result.found == 0


def test_datasets_scale_the_m_preset() -> None:
    """M/10 has a tenth of M's dashboards and keeps explores per model."""
    m, tenth = dataset("M").counts(), dataset("M/10").counts()
    assert tenth["dashboards"] * 10 == m["dashboards"]
    assert tenth["explores"] == m["explores"]


def test_smoke_s1_writes_a_complete_result(tmp_path: Path) -> None:
    """`python -m benchmarks --smoke --scenarios S1` exits 0 with a complete vault on record."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--smoke",
            "--scenarios",
            "S1",
            "--output",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(next(tmp_path.glob("*.json")).read_text())
    s1 = results["scenarios"]["S1"]
    assert s1["extract"]["complete"] and not results["incomplete"]
    assert s1["drain"]["requests"] > 0
    # the next night: two more extracts per round into copies of the first night's vault
    for arm in ("resumed", "relearned"):
        assert s1["second_night"][arm]["complete"]
        assert len(s1["second_night"][arm]["runs"]) == len(s1["runs"]["extract"])


def test_peak_rss_is_the_childs_own(tmp_path: Path) -> None:
    """A small child of a big parent reports its own peak, not the parent's (rusage would)."""
    ballast = bytearray(200 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(ballast[::4096])  # touch every page: really resident
    # The harness samples VmHWM while the child runs: the child holds its memory long enough
    # to be sampled (a child that exits within one poll interval could be missed).
    code = (
        "import time; x = bytearray(40 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096]); "
        "time.sleep(0.5)"
    )
    measured = run_measured([sys.executable, "-c", code], os.environ, tmp_path)
    del ballast
    assert measured.returncode == 0
    assert 40 < measured.peak_rss_mb < 150
