"""Requests counted per content type, and the request budget (`--max-requests`) they spend.

Looker editions allow a fixed number of API calls a month, so every run records what each
content type cost. The type is read from a context variable that a type's job sets once: tasks
it starts inherit it, so the hot path pays one lookup and one counter bump per request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from contextvars import ContextVar

from lookervault.errors import RequestBudgetError
from lookervault.metrics import REQUESTS_PREFIX, Metrics

__all__ = [
    "SESSION",
    "RequestCounter",
    "counted_as",
]

# What requests outside any content type's job count as: login, /versions, the pre-flight.
SESSION = "session"
_counted_as: ContextVar[str] = ContextVar("lookervault_counted_as", default=SESSION)


@contextlib.contextmanager
def counted_as(name: str) -> Generator[None]:
    """Count the requests made inside this block (and tasks started in it) for `name`."""
    token = _counted_as.set(name)
    try:
        yield
    finally:
        _counted_as.reset(token)


class RequestCounter:
    """Counts every request the client sends, in all and per content type; refuses past a budget."""

    def __init__(self, metrics: Metrics, max_requests: int | None = None) -> None:
        self.metrics = metrics
        self.max_requests = max_requests
        self._sent = 0

    def count(self) -> None:
        """Count one request about to be sent.

        Raises:
            RequestBudgetError: `max_requests` were sent already; this one must not go.
        """
        if self.max_requests is not None and self._sent >= self.max_requests:
            raise RequestBudgetError(self.max_requests)
        self._sent += 1
        self.metrics.add("requests")
        self.metrics.add(REQUESTS_PREFIX + _counted_as.get())

    def may_send(self) -> bool:
        """Whether one more request stays within the budget."""
        return self.max_requests is None or self._sent < self.max_requests

    @property
    def sent(self) -> int:
        """Requests counted so far."""
        return self._sent
