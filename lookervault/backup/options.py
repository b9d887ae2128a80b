"""What a run is asked to back up and how hard to push, apart from the run so every job can read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lookervault.config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    DEFAULT_SHRINK_THRESHOLD,
    DEFAULT_WORKERS,
)

__all__ = ["ExtractOptions"]


@dataclass(frozen=True)
class ExtractOptions:
    """What to back up and how hard to push."""

    content_types: tuple[str, ...] = ()
    workers: int = DEFAULT_WORKERS
    concurrency: int = DEFAULT_CONCURRENCY
    page_size: int = DEFAULT_PAGE_SIZE
    rate_limit_per_second: float | None = None
    rate_limit_per_minute: float | None = None
    resume: bool = False
    allow_other_instance: bool = False
    max_requests: int | None = None  # stop cleanly (partial, resumable) at this many requests
    skip_personal_folder_access: bool = False  # no access rules of users' personal folders
    explores_in_flight: int | None = None  # None: the registry's (4)
    explores_timeout_s: float | None = None  # None: the registry's (300 s)
    exclude: tuple[str, ...] = ()  # types left out on purpose (--exclude)
    shrink_threshold: float = DEFAULT_SHRINK_THRESHOLD  # see backup/shrink.py
    accept_shrink: bool = False  # a listing that shrank past the threshold marks items gone
    relearn_rate: bool = False  # slow start afresh, not from the last run's pace (backup/pace.py)

    def as_dict(self) -> dict[str, Any]:
        """The options as recorded in the vault's runs table (no secrets here)."""
        return {
            "content_types": list(self.content_types),
            "workers": self.workers,
            "concurrency": self.concurrency,
            "page_size": self.page_size,
            "rate_limit_per_second": self.rate_limit_per_second,
            "rate_limit_per_minute": self.rate_limit_per_minute,
            "resume": self.resume,
            "max_requests": self.max_requests,
            "skip_personal_folder_access": self.skip_personal_folder_access,
            "explores_in_flight": self.explores_in_flight,
            "explores_timeout_s": self.explores_timeout_s,
            "exclude": list(self.exclude),
            "shrink_threshold": self.shrink_threshold,
            "accept_shrink": self.accept_shrink,
            "relearn_rate": self.relearn_rate,
        }
