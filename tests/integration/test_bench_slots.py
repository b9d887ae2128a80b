"""benchmarks.slots: occupancy and the summary computed from requests noted by hand."""

from __future__ import annotations

import pytest

from benchmarks.slots import Trace, occupancy, summary, timeline

pytestmark = pytest.mark.integration


def test_occupancy_counts_the_share_of_each_step_a_request_was_in_flight() -> None:
    """Two requests over the first half second, one of them a quarter second longer."""
    requests = [(0.0, 0.5, "/a"), (0.0, 0.25, "/b"), (0.5, 0.75, "/c")]
    assert occupancy(requests, step=0.25) == [2.0, 1.0, 1.0, 0.0]


def test_summary_sets_the_run_against_the_ideal_and_names_each_endpoint() -> None:
    """Four 100 ms requests on two slots take 0.2 s ideally; these took 0.4 s: 0.5."""
    trace = Trace(
        requests=[
            (0.0, 0.1, "/api/4.0/looks/1"),
            (0.1, 0.2, "/api/4.0/looks/2"),
            (0.2, 0.3, "/api/4.0/looks/3"),
            (0.3, 0.4, "/api/4.0/dashboards/search"),
        ],
        stalls=[(0.15, 0.03)],
    )
    lines = summary(trace, latency_s=0.1, concurrency=2)
    assert lines[0] == "requests 4, last answer at 0.40 s, ideal 0.20 s: 0.500"
    assert lines[1] == "time in flight: mean 100.0 ms against 100 ms"
    assert "0.500" in lines[2] and "stalls over 20 ms: 1, 0.03 s" in lines[3]
    looks = next(line for line in lines if line.startswith("/looks/{}"))
    assert "n=    3" in looks and "first   0.00" in looks and "last answer   0.30" in looks


def test_timeline_lists_requests_and_milestones_in_the_order_they_happened() -> None:
    """Milestones and requests interleave by time; a request names its job and its span."""
    trace = Trace(
        marks=[(0.25, "pipeline starts"), (-0.05, "process start")],
        detail=[
            (0.3, 0.4, "dashboards", "GET /dashboards/search?offset=0"),
            (0.1, 0.2, "session", "POST /login"),
        ],
    )
    lines = timeline(trace)
    assert [line.split()[-1] for line in lines] == [
        "start",
        "/login",
        "starts",
        "/dashboards/search?offset=0",
    ]
    assert lines[1].split()[:3] == ["0.100", "0.200", "session"]
