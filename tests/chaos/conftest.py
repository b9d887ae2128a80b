"""Chaos-suite plumbing: fast or long mode, the in-process CLI, tallies for `make chaos`."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina

from lookervault.config import RETRY_ATTEMPTS

# `make chaos` sets LOOKERVAULT_CHAOS=long; `make test` runs the fast subset. Read at import,
# before tests/conftest.py clears LOOKERVAULT_* variables around each test.
LONG = os.environ.get("LOOKERVAULT_CHAOS", "").lower() == "long"
# Where `make chaos` asks for the tallies the docs quote (trials, faults, items lost).
REPORT_PATH = os.environ.get("LOOKERVAULT_CHAOS_REPORT")

TALLY: Counter[str] = Counter()


def trials(fast: int, long: int) -> list[int]:
    """Seeds to parametrize a chaos test with: a few in `make test`, many in `make chaos`."""
    return list(range(long if LONG else fast))


@pytest.fixture
def real_retry_count() -> Iterator[None]:
    """Keep stamina's no-wait test mode but with the production number of attempts."""
    stamina.set_testing(True, attempts=RETRY_ATTEMPTS, cap=True)
    yield


@pytest.fixture
def keep_logging() -> Iterator[None]:
    """The in-process CLI installs its own root handler; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "stamina")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in loggers.items():
        logging.getLogger(name).setLevel(old)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print (and, for `make chaos`, save) what the chaos suite injected and what it lost."""
    if not TALLY:
        return
    line = ", ".join(f"{key} {value}" for key, value in sorted(TALLY.items()))
    terminalreporter.write_line(f"chaos ({'long' if LONG else 'fast'}): {line}")
    if REPORT_PATH:
        report = {"mode": "long" if LONG else "fast", **dict(sorted(TALLY.items()))}
        path = Path(REPORT_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")
