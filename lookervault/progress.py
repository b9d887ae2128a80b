"""Progress reporting: a small protocol the pipeline calls, with rich, log-line and null renderers."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rich.progress import TaskID

__all__ = ["LogProgress", "NullProgress", "Progress", "RichProgress", "make_progress"]

logger = logging.getLogger(__name__)

_LOG_EVERY_S = 10.0
# Bars shown at once (the rest wait behind one "+N more" row): a live region taller than the
# terminal cannot be redrawn in place, and the lines printed above it got lost (24 types).
_MAX_LIVE_ROWS = 8
_DRAWS_PER_S = 10
# A type's rate means something only after it has run this long (tiny types finish in 50 ms).
_RATE_AFTER_S = 1.0


class Progress(Protocol):
    """What the pipeline reports while it runs; every call comes from the event loop thread."""

    def resume(self, name: str, n: int) -> None: ...
    def add_total(self, name: str, n: int) -> None: ...
    def advance(self, name: str, n: int) -> None: ...
    def finish(self, name: str) -> None: ...
    def close(self) -> None: ...


class NullProgress:
    """Reports nothing (tests, --quiet)."""

    def resume(self, name: str, n: int) -> None:
        pass

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

    def resume(self, name: str, n: int) -> None:
        self._done[name] = self._done.get(name, 0) + n

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
    """Live bars on stderr for the types in flight; a finished type leaves one plain line above them.

    The live region stays small whatever the number of types: at most `_MAX_LIVE_ROWS` bars (fewer
    on a short terminal), the other types in flight counted on one more row. Finished types are
    printed as permanent lines above it, so each shows once, with its final count.

    A row appears with a type's first total or items; its count reads "done/total" once the id
    listing knows the total, "done" before, and starts from what earlier attempts of a resumed
    run committed (so no 0/N bar for a type they finished). Rates show once a type has run a
    second, counting only this attempt's items; a type with no items leaves no line.
    """

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, TextColumn, TimeRemainingColumn

        self._bar = _bars_class()(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            TextColumn("{task.fields[count]:>15}"),
            TextColumn("{task.fields[rate]:>14}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
            # Drawn only from the event loop thread (see _draw): rich's refresh thread and a
            # print from this one each buffer their output per thread, and when they interleave
            # the live region's cursor arithmetic goes wrong and printed lines get overwritten.
            auto_refresh=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._active: list[str] = []  # types in flight, in the order they appeared
        self._started: dict[str, float] = {}
        self._resumed: dict[str, int] = {}  # committed before this attempt: not in the rate
        self._finished: set[str] = set()
        self._drawn = -math.inf
        self._bar.start()

    def _task(self, name: str) -> TaskID:
        if name not in self._tasks:
            self._tasks[name] = self._bar.add_task(
                name, total=None, count="0", rate="", visible=False
            )
            self._started[name] = time.monotonic()
            self._active.append(name)
            self._layout()
        return self._tasks[name]

    def _rows(self) -> int:
        """Bars that fit: a third of the terminal, at most `_MAX_LIVE_ROWS`, at least one."""
        return max(1, min(_MAX_LIVE_ROWS, self._bar.console.height // 3))

    def _layout(self) -> None:
        """Show the first types in flight; count the others on the "+N more" row."""
        rows = self._rows()
        for index, name in enumerate(self._active):
            self._bar.update(self._tasks[name], visible=index < rows)
        self._bar.more = max(0, len(self._active) - rows)
        self._draw(now=True)

    def _refresh(self, name: str) -> None:
        task = self._bar.tasks[self._task(name)]
        done = int(task.completed)
        count = f"{done:,}" if task.total is None else f"{done:,}/{int(task.total):,}"
        self._bar.update(task.id, count=count, rate=self._rate(name, done))
        self._draw()

    def _draw(self, *, now: bool = False) -> None:
        """Redraw the live region, at most `_DRAWS_PER_S` times a second unless `now`."""
        moment = time.monotonic()
        if now or moment - self._drawn >= 1 / _DRAWS_PER_S:
            self._drawn = moment
            self._bar.refresh()

    def _rate(self, name: str, done: int) -> str:
        elapsed, new = time.monotonic() - self._started[name], done - self._resumed.get(name, 0)
        return f"{new / elapsed:,.0f} items/s" if elapsed >= _RATE_AFTER_S and new else ""

    def resume(self, name: str, n: int) -> None:
        if n:
            self._resumed[name] = self._resumed.get(name, 0) + n
            self._bar.update(self._task(name), advance=n)
            self._refresh(name)

    def add_total(self, name: str, n: int) -> None:
        task = self._task(name)
        current = self._bar.tasks[task].total or 0
        self._bar.update(task, total=current + n)
        self._refresh(name)

    def advance(self, name: str, n: int) -> None:
        self._bar.update(self._task(name), advance=n)
        self._refresh(name)

    def finish(self, name: str) -> None:
        task = self._task(name)
        completed = int(self._bar.tasks[task].completed)
        self._bar.update(task, total=completed, completed=completed, visible=False)
        self._finished.add(name)
        if name in self._active:
            self._active.remove(name)
            self._layout()
        self._print(name, completed, "")

    def _print(self, name: str, done: int, note: str) -> None:
        if done:
            rate = self._rate(name, done)
            line = f"{name:<24} {done:>9,} items" + (f"  {rate}" if rate else "") + note
            self._bar.console.print(line, highlight=False)

    def close(self) -> None:
        """Stop the display; types stopped before their end (Ctrl-C) leave their line too."""
        for name, task_id in self._tasks.items():
            if name not in self._finished:
                task = self._bar.tasks[task_id]
                listed = "" if task.total is None else f", {int(task.total):,} listed"
                self._print(name, int(task.completed), f"  (stopped{listed})")
        self._bar.stop()


def _bars_class() -> type[Any]:
    """rich's Progress with one more row under the bars: the types in flight not shown."""
    from rich.progress import Progress as _RichProgress
    from rich.text import Text

    class _Bars(_RichProgress):
        more = 0

        def get_renderables(self) -> Iterator[Any]:
            yield self.make_tasks_table(self.tasks)
            if self.more:
                yield Text(f"+{self.more} more type{'s' if self.more > 1 else ''} in flight")

    return _Bars


def make_progress(*, quiet: bool, is_terminal: bool) -> Progress:
    """The renderer that suits where stderr goes."""
    if quiet:
        return NullProgress()
    return RichProgress() if is_terminal else LogProgress()
