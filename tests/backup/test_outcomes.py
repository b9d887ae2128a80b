"""Per-type outcomes: what a skipped, failed, held or complete type reports, and gone-marking."""

from __future__ import annotations

from lookervault.backup.outcomes import EXCLUDED, FORBIDDEN, RunOutcomes, is_skipped
from lookervault.cli.outcomes import outcome_lines
from lookervault.vault.records import Failure


def test_first_stop_wins_and_only_complete_types_mark_gone() -> None:
    """A type stopped once is not stopped again; skipped, failed, held types never mark gone."""
    outcomes = RunOutcomes()
    assert outcomes.skip("themes", FORBIDDEN, "403")
    assert not outcomes.fail("themes", "later")  # already stopped: no second outcome
    assert outcomes.fail("alerts", "404")
    outcomes.skip_variant("dashboards", "deleted=true", "403")
    outcomes.hold("users", "shrank")
    for name in ("themes", "alerts", "dashboards", "users"):
        assert not outcomes.may_mark_gone(name)
    assert outcomes.may_mark_gone("roles")
    assert outcomes.stopped("dashboards", "deleted=true")
    assert not outcomes.stopped("dashboards", "deleted=false")


def test_report_names_each_outcome() -> None:
    """The report says complete, partial, failed, skipped and complete-except per type."""
    outcomes = RunOutcomes()
    outcomes.skip("themes", FORBIDDEN, "403 Forbidden")
    outcomes.skip("folders", EXCLUDED, "--exclude")
    outcomes.fail("alerts", "cannot list ids: 404")
    outcomes.skip_variant("dashboards", "deleted=true", "403")
    failures = [Failure("looks", "item:1", "500")]
    names = ["themes", "folders", "alerts", "dashboards", "looks", "roles"]
    report = outcomes.report(names, failures)
    assert {n: o["outcome"] for n, o in report.items()} == {
        "themes": "skipped (forbidden)",
        "folders": "skipped (excluded)",
        "alerts": "failed",
        "dashboards": "complete except deleted=true (forbidden)",
        "looks": "partial",
        "roles": "complete",
    }
    assert [is_skipped(o["outcome"]) for o in report.values()] == [
        True, True, False, True, False, False,
    ]  # fmt: skip
    lines = outcome_lines(report)
    assert "themes: skipped (forbidden): 403 Forbidden" in lines
    assert not any(line.startswith("roles") for line in lines)
