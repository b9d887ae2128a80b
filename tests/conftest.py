"""Shared fixtures: asyncio backend for anyio tests, fast retries, a clean environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import stamina

# Carried inside the repository (see tests/looker-api/README.md): a clone tests on its own.
SPEC_PATH = Path(__file__).resolve().parent / "looker-api" / "Looker.4.0.oas.json"


@pytest.fixture
def anyio_backend() -> str:
    """Run anyio tests on asyncio only: the CLI runs on asyncio."""
    return "asyncio"


@pytest.fixture(autouse=True)
def _fast_retries():
    """Keep stamina's retries but skip its waiting, so failure paths stay fast."""
    stamina.set_testing(True, attempts=3, cap=True)
    yield
    stamina.set_testing(False)


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop LOOKERSDK_* and LOOKERVAULT_* variables so the user's shell cannot leak in."""
    for name in list(os.environ):
        if name.startswith(("LOOKERSDK_", "LOOKERVAULT_")):
            monkeypatch.delenv(name)
