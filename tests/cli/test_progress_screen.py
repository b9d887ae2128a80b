"""What a person sees on a terminal while extract runs, read back from a real tmux pane."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from lookervault.vault.store import Vault

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

# Every content type has items (merge queries and LookML dashboards exist only behind knobs).
_OPTIONS = MockOptions(preset="demo", latency_ms=20.0, merge_queries=20, lookml_dashboards=5)
_DEADLINE_S = 90.0


@pytest.fixture
def tmux() -> Iterator[list[str]]:
    """A private tmux server (its own socket), killed afterwards."""
    command = ["tmux", "-L", f"lookervault-test-{os.getpid()}"]
    try:
        yield command
    finally:
        subprocess.run([*command, "kill-server"], capture_output=True, check=False)


def _script(tmp_path: Path, url: str, db: Path) -> Path:
    env = {
        "LOOKERSDK_BASE_URL": url,
        "LOOKERSDK_CLIENT_ID": _OPTIONS.client_id,
        "LOOKERSDK_CLIENT_SECRET": _OPTIONS.client_secret,
    }
    exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
    cli = shlex.join([sys.executable, "-m", "lookervault", "extract", "--db", str(db)])
    script = tmp_path / "run.sh"
    script.write_text(f"{exports}cd {shlex.quote(os.getcwd())}\n{cli}\necho EXIT=$?\nsleep 60\n")
    return script


def _watch(tmux: list[str]) -> tuple[list[str], str]:
    """Every screen seen while the command ran, and the whole pane with its scrollback at the end."""
    screens, deadline = [], time.monotonic() + _DEADLINE_S
    while time.monotonic() < deadline:
        screen = subprocess.run(
            [*tmux, "capture-pane", "-p", "-t", "extract"], capture_output=True, text=True
        ).stdout
        screens.append(screen)
        if "EXIT=" in screen:
            break
        time.sleep(0.1)
    history = subprocess.run(
        [*tmux, "capture-pane", "-p", "-S", "-", "-t", "extract"], capture_output=True, text=True
    ).stdout
    return screens, history


def test_extract_screen_shows_each_type_once_with_known_totals(
    tmux: list[str], tmp_path: Path
) -> None:
    """On a terminal: no log lines, no "/?" or 0/0 rows, one line per type with the vault's count."""
    db = tmp_path / "v.db"
    with serve_in_thread(MockLooker(_OPTIONS)) as url:
        script = _script(tmp_path, url, db)
        start = [*tmux, "new-session", "-d", "-s", "extract", "-x", "100", "-y", "24"]
        subprocess.run([*start, f"sh {shlex.quote(str(script))}"], check=True)
        screens, history = _watch(tmux)
    assert "EXIT=0" in history, history
    with Vault(db) as vault:
        counts = vault.runs()[-1].counts
    for screen in screens:
        assert "/?" not in screen and " 0/0 " not in screen, screen
        assert " INFO " not in screen and "migrated" not in screen, screen
    assert len(counts) >= 24 and all(counts.values()), counts  # more types than bars fit
    for name, count in counts.items():
        rows = re.findall(rf"^{name} +([\d,]+) items", history, flags=re.MULTILINE)
        assert rows == [f"{count:,}"], (name, history)
    live = [s for s in screens if re.search(r"\d+/\d+", s)]
    assert all(len(re.findall(r"\d+/\d+ ", s)) <= 8 for s in live)  # a bounded live region
    assert any(re.search(r"\d+/\d+", screen) for screen in screens)  # totals were on screen
