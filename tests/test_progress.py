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


def test_rich_progress_count_reads_done_until_the_total_is_known() -> None:
    """Before the id listing ends a row reads "3", never "3/?"; then "3/5"."""
    progress = RichProgress()
    try:
        progress.advance("looks", 3)
        before = progress._bar.tasks[0].fields["count"]
        progress.add_total("looks", 5)
        assert (before, progress._bar.tasks[0].fields["count"]) == ("3", "3/5")
    finally:
        progress.close()


def test_rich_progress_leaves_one_line_per_finished_type(capsys: pytest.CaptureFixture) -> None:
    """A finished type prints one plain line; one with nothing new (already done) prints none."""
    progress = RichProgress()
    try:
        progress.add_total("looks", 2)
        progress.advance("looks", 2)
        progress.finish("looks")
        progress.add_total("themes", 0)
        progress.finish("themes")
    finally:
        progress.close()
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert [line.split() for line in lines] == [["looks", "2", "items"]]


def test_rich_progress_shows_no_rate_for_a_type_under_a_second() -> None:
    """A type that ran for less than a second shows no items/s (a rate there means nothing)."""
    progress = RichProgress()
    try:
        progress.add_total("themes", 4)
        progress.advance("themes", 4)
        assert progress._bar.tasks[0].fields["rate"] == ""
    finally:
        progress.close()


def test_rich_progress_starts_a_resumed_type_from_what_was_committed(
    capsys: pytest.CaptureFixture,
) -> None:
    """A resumed run's row counts the earlier attempts' items, so its line equals the vault's."""
    progress = RichProgress()
    try:
        progress.resume("looks", 115)
        progress.add_total("looks", 300)
        progress.advance("looks", 185)
        count = progress._bar.tasks[0].fields["count"]
        progress.resume("themes", 0)  # nothing committed before: no row at all
        rows = len(progress._bar.tasks)
        progress.finish("looks")
    finally:
        progress.close()
    assert (count, rows) == ("300/300", 1)
    assert capsys.readouterr().err.split() == ["looks", "300", "items"]


def test_rich_progress_close_leaves_a_line_for_a_stopped_type(
    capsys: pytest.CaptureFixture,
) -> None:
    """A type still running at Ctrl-C leaves one line saying it stopped, with what was listed."""
    progress = RichProgress()
    progress.add_total("looks", 300)
    progress.advance("looks", 115)
    progress.close()
    assert capsys.readouterr().err.split() == [
        "looks",
        "115",
        "items",
        "(stopped,",
        "300",
        "listed)",
    ]


def test_log_progress_counts_resumed_items(caplog: pytest.LogCaptureFixture) -> None:
    """The log renderer's finished line includes what earlier attempts committed."""
    progress = LogProgress()
    progress.resume("looks", 2)
    progress.advance("looks", 3)
    with caplog.at_level(logging.INFO, logger="lookervault.progress"):
        progress.finish("looks")
    assert "looks: 5 items backed up" in caplog.text


def test_rich_progress_keeps_the_live_region_small_with_many_types(
    capsys: pytest.CaptureFixture,
) -> None:
    """24 types in flight show at most 8 bars plus a "+N more" row; each leaves one line."""
    progress = RichProgress()
    names = [f"type_{n:02}" for n in range(24)]
    for name in names:
        progress.add_total(name, 5)
    visible = [t.description for t in progress._bar.tasks if t.visible]
    rows = progress._rows()
    assert visible == names[:rows] and rows <= 8
    assert progress._bar.more == 24 - rows
    for name in names[:3]:
        progress.advance(name, 5)
        progress.finish(name)
    visible = [t.description for t in progress._bar.tasks if t.visible]
    assert visible[:rows] == names[3 : 3 + rows]
    for name in names[3:]:
        progress.advance(name, 5)
        progress.finish(name)
    assert not [t for t in progress._bar.tasks if t.visible] and progress._bar.more == 0
    progress.close()
    lines = capsys.readouterr().err.splitlines()
    for name in names:
        assert sum(line.split()[:1] == [name] for line in lines) == 1, (name, lines)
