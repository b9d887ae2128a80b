"""Progress renderers: the null one is silent, the log one reports per type."""

from __future__ import annotations

import logging

import pytest

from lookervault.progress import LogProgress, NullProgress, RichProgress, make_progress


def test_make_progress_picks_by_terminal_and_quiet() -> None:
    """--quiet silences progress; a pipe gets log lines."""
    assert isinstance(make_progress(quiet=True, is_terminal=True), NullProgress)
    assert isinstance(make_progress(quiet=False, is_terminal=False), LogProgress)


def test_log_progress_reports_each_finished_type(caplog: pytest.LogCaptureFixture) -> None:
    """A finished type is logged with its item count."""
    progress = LogProgress()
    progress.add_total("dashboards", 10)
    progress.advance("dashboards", 4)
    progress.advance("dashboards", 6)
    with caplog.at_level(logging.INFO, logger="lookervault.progress"):
        progress.finish("dashboards")
    assert "dashboards: 10 items backed up" in caplog.text


def test_rich_progress_tracks_totals_and_completion() -> None:
    """The rich display counts items per type against the known total."""
    progress = RichProgress()
    try:
        progress.add_total("looks", 5)
        progress.advance("looks", 3)
        progress.finish("looks")
        task = progress._bar.tasks[0]
        assert (task.completed, task.total) == (3, 3)
    finally:
        progress.close()
