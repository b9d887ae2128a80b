"""What became of each content type in a run: complete, partial, failed or skipped, and why.

A type the API user may not read (403 on its listing: an edition without custom themes, a
non-admin user and the trash) is skipped, not failed, so a nightly run is not "partial" for
ever; a type left out with --exclude is skipped too. A type whose listing failed or paged in
a way we cannot trust stops at once, with one recorded failure. Only a type whose outcome is
"complete" may have its unseen items marked gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lookervault.vault.records import Failure

__all__ = [
    "COMPLETE",
    "EXCLUDED",
    "FAILED",
    "FORBIDDEN",
    "PARTIAL",
    "RunOutcomes",
    "TypeOutcome",
    "is_skipped",
]

COMPLETE = "complete"
PARTIAL = "partial"
FAILED = "failed"
FORBIDDEN = "skipped (forbidden)"
EXCLUDED = "skipped (excluded)"
_SKIPPED = (FORBIDDEN, EXCLUDED)


def is_skipped(outcome: str) -> bool:
    """Whether an outcome left something out on purpose: a skipped type or variant."""
    return outcome in _SKIPPED or outcome.startswith(f"{COMPLETE} except ")


@dataclass
class TypeOutcome:
    """What happened to one type beyond its recorded failures."""

    skipped: str | None = None  # FORBIDDEN or EXCLUDED: the whole type
    failed: bool = False  # stopped at once (listing failed, untrusted paging)
    reason: str | None = None
    skipped_variants: dict[str, str] = field(default_factory=dict)  # variant key -> why
    held: str | None = None  # why unseen items are not marked gone (shrink guard)

    @property
    def stopped(self) -> bool:
        """The type fetches nothing more: skipped or failed."""
        return self.skipped is not None or self.failed


class RunOutcomes:
    """The outcome of every type of a run, filled in by the jobs, read at the close-out."""

    def __init__(self) -> None:
        self._types: dict[str, TypeOutcome] = {}

    def of(self, name: str) -> TypeOutcome:
        """The (mutable) outcome of type `name`."""
        return self._types.setdefault(name, TypeOutcome())

    def skip(self, name: str, why: str, reason: str) -> bool:
        """Skip the whole type; False when it was already stopped (nothing new to say)."""
        outcome = self.of(name)
        if outcome.stopped:
            return False
        outcome.skipped, outcome.reason = why, reason
        return True

    def fail(self, name: str, reason: str) -> bool:
        """Stop the type as failed; False when it was already stopped (its failure is recorded)."""
        outcome = self.of(name)
        if outcome.stopped:
            return False
        outcome.failed, outcome.reason = True, reason
        return True

    def skip_variant(self, name: str, variant: str, reason: str) -> None:
        """One listing variant (Looker's trash, `deleted=true`) may not be read."""
        self.of(name).skipped_variants.setdefault(variant, reason)

    def hold(self, name: str, reason: str) -> None:
        """Keep the type's unseen items (not marked gone), making the run partial."""
        self.of(name).held = reason

    def stopped(self, name: str, variant: str | None = None) -> bool:
        """Whether the type, or this variant of it, fetches nothing more."""
        outcome = self.of(name)
        return outcome.stopped or (variant is not None and variant in outcome.skipped_variants)

    def may_mark_gone(self, name: str) -> bool:
        """Only a type read whole, with nothing skipped or held, may mark unseen items gone."""
        outcome = self.of(name)
        return not (outcome.stopped or outcome.skipped_variants or outcome.held)

    def summary(self, name: str, failures: list[Failure]) -> dict[str, Any]:
        """{"outcome", "reason"} of one type, its recorded failures taken into account."""
        outcome = self.of(name)
        if outcome.skipped is not None:
            return {"outcome": outcome.skipped, "reason": outcome.reason}
        if outcome.failed:
            return {"outcome": FAILED, "reason": outcome.reason}
        if outcome.held is not None:
            return {"outcome": PARTIAL, "reason": outcome.held}
        if failures:
            return {"outcome": PARTIAL, "reason": f"{len(failures)} failures recorded"}
        if outcome.skipped_variants:
            parts = ", ".join(sorted(outcome.skipped_variants))
            return {"outcome": f"{COMPLETE} except {parts} (forbidden)", "reason": None}
        return {"outcome": COMPLETE, "reason": None}

    def report(self, names: list[str], failures: list[Failure]) -> dict[str, dict[str, Any]]:
        """Every type's summary, for the run's stats, the report and --json."""
        return {
            name: self.summary(name, [f for f in failures if f.content_type == name])
            for name in names
        }

    def held_any(self) -> bool:
        """Whether some type kept its unseen items (the run is then partial)."""
        return any(o.held is not None or o.failed for o in self._types.values())

    def skipped_any(self) -> bool:
        """Whether some type, or a variant of one, was skipped (exit status 6 when complete)."""
        return any(o.skipped in _SKIPPED or o.skipped_variants for o in self._types.values())
