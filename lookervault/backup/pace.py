"""The pace a run starts at: what the last run against the same Looker learned.

A nightly backup meets the same Looker with the same limits every night; starting each run
from slow start again costs seconds and 429s the last run already paid for. Its limiter's
`LearnedRate` is kept in the run's stats, and the next run's limiter resumes from it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from lookervault.config import RATE_MEMORY_MAX_AGE_DAYS
from lookervault.errors import LookerVaultError
from lookervault.learned_rate import LearnedRate
from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.metrics import PACE_KEY
from lookervault.vault.store import Vault

__all__ = ["describe", "recall", "recall_before", "remember"]


def recall(vault: Vault, looker_url: str, *, now: datetime | None = None) -> LearnedRate | None:
    """What the last finished run against *looker_url* learned, unless it is too old to trust."""
    run = vault.last_finished_run(looker_url)
    if run is None or run.finished_at is None:
        return None
    try:
        finished = datetime.fromisoformat(run.finished_at)
    except ValueError:
        return None
    if finished.tzinfo is None:
        finished = finished.replace(tzinfo=UTC)
    if (now or datetime.now(UTC)) - finished > timedelta(days=RATE_MEMORY_MAX_AGE_DAYS):
        return None
    return LearnedRate.from_dict(run.stats.get(PACE_KEY))


def recall_before(db: Path, looker_url: str) -> LearnedRate | None:
    """`recall` from the vault at *db* before the run opens it (so before the login), creating
    nothing: no file, no memory. A vault that cannot be read is left for the run to report."""
    if not db.is_file():
        return None
    try:
        with Vault(db) as vault:
            return recall(vault, looker_url)
    except (LookerVaultError, OSError):
        return None


def remember(limiter: AdaptiveLimiter) -> dict[str, object]:
    """The stats entry that keeps what *limiter* learned ({}: nothing, a configured rate)."""
    learned = limiter.learned()
    return {} if learned is None else {PACE_KEY: learned.as_dict()}


def describe(learned: LearnedRate) -> str:
    """The memory in words, for the log."""
    if learned.ceiling is None:
        return f"{learned.rate:.1f} requests/s at its end, no limit met"
    return f"{learned.rate:.1f} requests/s at its end, Looker's limit about {learned.ceiling:.1f}/s"
