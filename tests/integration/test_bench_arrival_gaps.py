"""benchmarks.arrival_gaps: which stage of a request's path brings two requests closer than 1/R."""

from __future__ import annotations

import pytest

from benchmarks.arrival_gaps import _report

pytestmark = pytest.mark.integration

_STARTED = "http11.send_request_headers.started"
_WRITTEN = "http11.send_request_headers.complete"


def test_a_late_arrival_is_told_apart_from_the_permits() -> None:
    """Permits 6 ms apart against a bucket of 200/s: one request the mock saw 1.5 ms late makes
    the next gap at the mock 4.5 ms (under 1/R); the permits and the writes show none."""
    count, late = 20, 7
    stamps = {
        i: {"permit": 10 + i * 0.006, _STARTED: 10.0005 + i * 0.006, _WRITTEN: 10.0006 + i * 0.006}
        for i in range(count)
    }
    seen = [
        [i, stamps[i][_STARTED] + 0.0002 + (0.0015 if i == late else 0.0)] for i in range(count)
    ]
    mock = {"seen": seen, "judged": [[at, True] for _, at in seen]}
    report = {"ok": count, "seconds": 1.0}
    result = _report(200.0, stamps, mock, report, {"rate_limited": 1, "requests": count}, 0.5)
    lines = result["lines"]
    assert lines["gap permit"][1] == 0.0
    assert lines["gap headers started"][1] == 0.0
    assert lines["gap mock app"][1] == pytest.approx(1 / (count - 1), abs=1e-4)
    assert lines["gap mock bucket"][1] == pytest.approx(1 / (count - 1), abs=1e-4)
    assert result["share_429"] == pytest.approx(1 / count, abs=1e-4)
    assert "max 1.50 ms" in lines["mock gap minus headers started gap"][0]
