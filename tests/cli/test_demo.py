"""`make run`: the demo backs up the bundled mock, then names the vault and commands that work on it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

_SUGGESTION = "  uv run lookervault "


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("LOOKERSDK_", "LOOKERVAULT_"))}


def test_demo_names_the_vault_and_commands_that_run(tmp_path: Path) -> None:
    """The demo ends with the vault's path and suggested commands, each of which then succeeds."""
    env = _clean_env()
    demo = subprocess.run(
        [sys.executable, "-m", "lookervault.cli.demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr
    vault = tmp_path / "demo" / "lookervault.db"
    assert f"the vault is {vault.resolve()}" in demo.stdout
    suggested = [line for line in demo.stdout.splitlines() if line.startswith(_SUGGESTION)]
    assert len(suggested) >= 3
    for line in suggested:
        args = shlex.split(line.removeprefix(_SUGGESTION))
        assert args[-2:] == ["--db", "demo/lookervault.db"]
        run = subprocess.run(
            [sys.executable, "-m", "lookervault", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert run.returncode == 0, (line, run.stderr)
        assert run.stdout.strip(), line


def test_demo_mixes_the_mock_only_with_mocks(tmp_path: Path) -> None:
    """The demo allows a new mock port into a vault of mocks, never into a vault of a real Looker."""
    from lookervault.cli.demo import _holds_only_mocks
    from lookervault.vault.store import Vault

    db = tmp_path / "v.db"
    assert _holds_only_mocks(db)  # no vault yet
    with Vault(db) as vault:
        vault.start_run(
            options={},
            looker_url="http://127.0.0.1:41234",
            looker_release=None,
            api_version=None,
            tool_version="0",
        )
    assert _holds_only_mocks(db)
    with Vault(db) as vault:
        vault.start_run(
            options={},
            looker_url="https://looker.example.com",
            looker_release=None,
            api_version=None,
            tool_version="0",
        )
    assert not _holds_only_mocks(db)
