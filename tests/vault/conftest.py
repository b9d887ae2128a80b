"""Fixtures of the vault tests: a fresh vault, and a run started in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.vault.store import Vault


@pytest.fixture
def vault(tmp_path: Path):
    """A fresh vault per test."""
    with Vault(tmp_path / "vault.db") as opened:
        yield opened


@pytest.fixture
def run_id(vault: Vault) -> int:
    """A started run in the fresh vault."""
    return vault.start_run(
        options={"content_types": ["dashboards"]},
        looker_url="https://looker.example.com:19999",
        looker_release="25.0.1",
        api_version="4.0",
        tool_version="0.1.0",
    )
