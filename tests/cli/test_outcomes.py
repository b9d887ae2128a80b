"""Outcome lines and notes as extract and runs print them; --exclude's usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.cli.app import app
from lookervault.cli.extract import continue_command
from lookervault.cli.outcomes import outcome_lines, outcome_note

_OUTCOMES = {
    "roles": {"outcome": "complete", "reason": None},
    "themes": {"outcome": "skipped (forbidden)", "reason": "403 Forbidden"},
    "folders": {"outcome": "skipped (excluded)", "reason": "--exclude"},
    "users": {"outcome": "partial", "reason": "listed 5 items, 50 in run 1"},
}


def test_lines_name_only_what_was_not_complete() -> None:
    """One line per type not complete, with its reason; complete types are not repeated."""
    assert outcome_lines(_OUTCOMES) == [
        "themes: skipped (forbidden): 403 Forbidden",
        "folders: skipped (excluded): --exclude",
        "users: partial: listed 5 items, 50 in run 1",
    ]


def test_note_counts_skipped_types() -> None:
    """`runs` notes how many types a run skipped; nothing when none (runs of older releases)."""
    assert outcome_note(_OUTCOMES) == "2 skipped"
    assert outcome_note({}) == ""


def test_unknown_excluded_type_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--exclude with a misspelt type: exit 2, one line naming the nearest type."""
    monkeypatch.setenv("LOOKERSDK_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LOOKERSDK_CLIENT_ID", "x")
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", "y")
    code = app(
        ["extract", "--db", str(tmp_path / "v.db"), "--exclude", "themez"],
        exit_on_error=False,
        print_error=False,
        result_action="return_value",
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "did you mean 'themes'" in err and "Traceback" not in err


def test_continue_command_keeps_the_exclusions() -> None:
    """A partial run's resume hint leaves out the same types."""
    command = continue_command(
        Path("v.db"), (), config=None, section=None, exclude=("themes", "alerts")
    )
    assert command.endswith(" --exclude themes --exclude alerts")
