"""Per-type outcomes as the report and `runs --run N` print them: only what was not complete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["outcome_lines", "outcome_note"]

_COMPLETE = "complete"


def outcome_lines(outcomes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per type that was skipped, failed or held: `themes: skipped (forbidden): why`."""
    lines = []
    for name, outcome in outcomes.items():
        if outcome.get("outcome") == _COMPLETE:
            continue
        reason = outcome.get("reason")
        lines.append(f"{name}: {outcome.get('outcome')}" + (f": {reason}" if reason else ""))
    return lines


def outcome_note(outcomes: Mapping[str, Mapping[str, Any]]) -> str:
    """A short note for a run's status: how many types were not complete, e.g. `2 skipped`."""
    skipped = sum(
        1 for o in outcomes.values() if str(o.get("outcome", _COMPLETE)).startswith("skipped")
    )
    return f"{skipped} skipped" if skipped else ""
