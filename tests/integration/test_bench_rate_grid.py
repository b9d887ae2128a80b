"""The S9 rate grid's cells, selection and plot (no servers: the grid itself runs in make bench)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchmarks.rate_driver import FixedLimiter
from benchmarks.rate_grid import grid_cells, render_grid
from benchmarks.svgplot import write_rate_plot

pytestmark = pytest.mark.integration


def test_grid_has_every_cell_of_the_issue() -> None:
    """24 token-bucket cells, 2 sliding windows and the faulty short-token cell, each long enough."""
    cells = grid_cells(30)
    assert len(cells) == 27
    assert len({c.name for c in cells}) == 27
    for cell in cells:
        assert cell.seconds >= 30
        burst = cell.knobs.rate_limit_burst
        if burst is not None:
            assert cell.seconds * cell.allowed_per_s >= 20 * burst
    faulty = next(c for c in cells if c.name == "R40-B10-T3-F5")
    assert (faulty.knobs.token_ttl_s, faulty.knobs.fault_rate) == (3, 0.05)
    assert (
        "--rate-limit-per-minute" in next(c for c in cells if c.name == "W300").knobs.serve_args()
    )


def test_plot_is_valid_svg_with_the_rate_line(tmp_path: Path) -> None:
    """The hand-written SVG parses and draws one point per second."""
    path = write_rate_plot(tmp_path / "p.svg", "R5 <test>", [1, 4, 5, 5], 5, 80, [4, 6, 5, 5])
    root = ET.parse(path).getroot()
    lines = root.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 2  # successes, and the limiter's rate
    assert all(len(line.attrib["points"].split()) == 4 for line in lines)


def test_table_marks_cells_that_miss_the_goal() -> None:
    """A cell under 0.9 of the allowed rate or at 2 % 429s or more is marked NO."""
    cell = {
        "cell": "R5-B1", "allowed_per_s": 5, "seconds": 30, "requests": 160, "admitted_per_s": 4.6,
        "achieved_over_allowed": 0.92, "achieved_over_min_allowed_capacity": 0.92,
        "share_429": 0.01, "rate_limited": 2, "limited_in_start": 1, "load_average": [4.0, 4.1],
        "met": True,
    }  # fmt: skip
    figures = {"started": "now", "capacity_per_s": 80, "plots": [], "cells": [cell]}
    assert "| yes |" in render_grid(figures)
    assert "| 2 (1) |" in render_grid(figures)
    assert "1 of 1 cells meet the goal" in render_grid(figures)


def test_table_lists_the_fixed_pace_sweep() -> None:
    """A missed cell's fixed paces are listed, one row per fraction tried."""
    runs = [
        {"fraction": 1.0, "achieved_over_allowed": 0.7, "share_429": 0.2, "load_average": 1.0},
        {"fraction": 0.9, "achieved_over_allowed": 0.85, "share_429": 0.01, "load_average": 1.0},
    ]
    figures = {"started": "now", "capacity_per_s": 80, "plots": [], "cells": []}
    figures["fixed_sweeps"] = {"R40-B1": runs}
    table = render_grid(figures)
    assert "| R40-B1 | 0.9 | 0.85 | 1.00% | 1.0 |" in table
    assert table.count("| R40-B1 |") == 2


def test_fixed_limiter_learns_nothing_from_answers() -> None:
    """The sweep's limiter keeps its configured pace through 429s and successes."""
    limiter = FixedLimiter(per_second=40)
    for _ in range(20):
        limiter.on_rate_limited(None, sent_at=limiter.now())
    limiter.on_success(sent_at=limiter.now())
    assert limiter.current_rate == 40
    assert limiter.paused_until < limiter.now()


def test_rate_nights_names_the_cells_it_knows() -> None:
    from benchmarks.rate_nights import run_nights

    with pytest.raises(SystemExit, match="no grid cell 'R9-B9'; one of R5-B1"):
        run_nights("R9-B9", 1, 8.0)
