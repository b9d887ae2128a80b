"""benchmarks.transport_cpu: both transports fetch every look against a real mock, side by side."""

from __future__ import annotations

import pytest

from benchmarks import transport_cpu

pytestmark = pytest.mark.integration


def test_both_transports_fetch_every_look_and_report_medians(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A round each of 40 look fetches: both children answer 200 for all of them (the tool
    checks it) and the summary names both transports' CPU per request and their ratio."""
    assert transport_cpu.main(["--requests", "40", "--rounds", "1", "--dataset", "M/100"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("round 1: anyio ") and ", asyncio " in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("medians of 1 rounds, 40 requests each: CPU ms/request anyio ")
    assert "asyncio / anyio round by round" in summary
