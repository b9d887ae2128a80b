"""How many requests of a child type go at once, and how long each may take.

Explores are slow and heavy to render on a real Looker (public tools wait 300 s for them): the
registry gives them fewer requests in flight and a longer timeout, and `--explores-in-flight` /
`--explores-timeout` override both. Other child types use `--concurrency` and the connection's
timeout.
"""

from __future__ import annotations

from lookervault.backup.options import ExtractOptions
from lookervault.content import ChildSource

__all__ = ["child_timeout", "in_flight"]


def in_flight(options: ExtractOptions, name: str, source: ChildSource) -> int:
    """Most requests of the child type in flight at once."""
    if name == "explores" and options.explores_in_flight is not None:
        return options.explores_in_flight
    return min(source.in_flight or options.concurrency, options.concurrency)


def child_timeout(options: ExtractOptions, name: str, source: ChildSource) -> float | None:
    """Per-request timeout of the child type (None: the connection's)."""
    if name == "explores" and options.explores_timeout_s is not None:
        return options.explores_timeout_s
    return source.timeout_s
