"""Progress reporting: a small protocol the pipeline calls, with rich, log-line and null renderers."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.progress import TaskID

__all__ = ["LogProgress", "NullProgress", "Progress", "RichProgress", "make_progress"]

logger = logging.getLogger(__name__)

_LOG_EVERY_S = 10.0


class Progress(Protocol):
    """What the pipeline reports while it runs; every call comes from the event loop thread."""

    def add_total(self, name: str, n: int) -> None: ...
    def advance(self, name: str, n: int) -> None: ...
    def finish(self, name: str) -> None: ...
    def close(self) -> None: ...


class NullProgress:
    """Reports nothing (tests, --quiet)."""

    def add_total(self, name: str, n: int) -> None:
        pass

    def advance(self, name: str, n: int) -> None:
        pass

    def finish(self, name: str) -> None:
        pass

    def close(self) -> None:
        pass


class LogProgress:
    """Plain log lines, for when stderr is not a terminal (cron, CI)."""

    def __init__(self) -> None:
        self._done: dict[str, int] = {}
        self._total: dict[str, int] = {}
        self._last = time.monotonic()

    def add_total(self, name: str, n: int) -> None:
        self._total[name] = self._total.get(name, 0) + n

    def advance(self, name: str, n: int) -> None:
        self._done[name] = self._done.get(name, 0) + n
        now = time.monotonic()
        if now - self._last >= _LOG_EVERY_S:
            self._last = now
            logger.info("progress: %s", self._summary())

    def finish(self, name: str) -> None:
        logger.info("%s: %d items backed up", name, self._done.get(name, 0))

    def close(self) -> None:
        pass

    def _summary(self) -> str:
        return ", ".join(
            f"{name} {done}/{self._total[name]}" if name in self._total else f"{name} {done}"
            for name, done in self._done.items()
        )


class RichProgress:
    """One rich progress bar per content type on stderr: items, rate and ETA where the total is known."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as _RichProgress,
        )

        self._bar = _RichProgress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8} items/s"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._started = time.monotonic()
        self._bar.start()

    def _task(self, name: str) -> TaskID:
        if name not in self._tasks:
            self._tasks[name] = self._bar.add_task(name, total=None, rate="-")
        return self._tasks[name]

    def add_total(self, name: str, n: int) -> None:
        task = self._task(name)
        current = self._bar.tasks[task].total or 0
        self._bar.update(task, total=current + n)

    def advance(self, name: str, n: int) -> None:
        task = self._task(name)
        completed = self._bar.tasks[task].completed + n
        rate = completed / max(time.monotonic() - self._started, 1e-6)
        self._bar.update(task, advance=n, rate=f"{rate:,.0f}")

    def finish(self, name: str) -> None:
        task = self._task(name)
        completed = self._bar.tasks[task].completed
        self._bar.update(task, total=completed, completed=completed)

    def close(self) -> None:
        self._bar.stop()


def make_progress(*, quiet: bool, is_terminal: bool) -> Progress:
    """The renderer that suits where stderr goes."""
    if quiet:
        return NullProgress()
    return RichProgress() if is_terminal else LogProgress()
