"""`make run`: back up the configured Looker, or the bundled mock Looker when none is configured.

Starts `lookervault mock serve --port 0` as a child process when neither LOOKERSDK_BASE_URL nor a
looker.ini is present, runs the real `lookervault extract` against it into ./demo/lookervault.db,
prints what was backed up, and stops the server.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from lookervault.mock.app import MockOptions

__all__ = ["main"]

DEMO_DB = Path("demo") / "lookervault.db"
DEMO_PRESET = "demo"
# Objects the default mock leaves out so existing suites keep their meaning; the demo shows them.
DEMO_KNOBS = ("--merge-queries", "20", "--lookml-dashboards", "5")
_READY_PREFIX = "listening on "
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_START_TIMEOUT_S = 60.0


def _lookervault(*args: str) -> list[str]:
    return [sys.executable, "-m", "lookervault", *args]


def _real_looker_configured() -> bool:
    return bool(os.environ.get("LOOKERSDK_BASE_URL")) or Path("looker.ini").is_file()


def _start_mock() -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        _lookervault("mock", "serve", "--port", "0", "--preset", DEMO_PRESET, *DEMO_KNOBS),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline().strip()
    if not line.startswith(_READY_PREFIX):
        server.kill()
        server.wait()
        raise SystemExit(f"error: the mock Looker did not start (it said {line!r})")
    return server, line.removeprefix(_READY_PREFIX)


def _extract(env: dict[str, str], *extra: str) -> int:
    DEMO_DB.parent.mkdir(mode=0o700, exist_ok=True)
    command = _lookervault("extract", "--db", str(DEMO_DB), *extra)
    print("$", " ".join(["lookervault", *command[3:]]), flush=True)
    code = subprocess.run(command, env=env, check=False).returncode
    if DEMO_DB.exists():
        _print_next_steps()
    return code


def _holds_only_mocks(db: Path) -> bool:
    """Whether every run in the vault at `db` (if any) backed up a Looker on this machine."""
    if not db.exists():
        return True
    from lookervault.vault.store import Vault

    with Vault(db) as vault:
        hosts = {urlsplit(run.looker_url or "").hostname for run in vault.runs()}
    return hosts <= _LOOPBACK


def _print_next_steps() -> None:
    """Name the vault just written and the commands to try on it, spelled as they run here."""
    db = f"--db {DEMO_DB}"
    print(
        f"\nthe vault is {DEMO_DB.resolve()}; try next (from this folder):\n"
        f"  uv run lookervault runs {db}\n"
        f"  uv run lookervault list dashboards {db}\n"
        f"  uv run lookervault show dashboards 1 {db}\n"
        f"  uv run lookervault verify {db}",
        flush=True,
    )


def main() -> int:
    """Run the demo; returns the extract command's exit status."""
    if _real_looker_configured():
        return _extract(dict(os.environ))
    server, base_url = _start_mock()
    defaults = MockOptions()
    print(f"mock Looker listening on {base_url} (preset {DEMO_PRESET!r})", flush=True)
    env = {
        **os.environ,
        "LOOKERSDK_BASE_URL": base_url,
        "LOOKERSDK_CLIENT_ID": defaults.client_id,
        "LOOKERSDK_CLIENT_SECRET": defaults.client_secret,
    }
    # The same seeded mock each time, on a new port: the same instance to the vault. A vault
    # that holds a real Looker is never mixed with the mock: extract refuses it (exit 2).
    extra = ("--allow-other-instance",) if DEMO_DB.exists() and _holds_only_mocks(DEMO_DB) else ()
    try:
        return _extract(env, *extra)
    finally:
        server.terminate()
        server.wait(timeout=_START_TIMEOUT_S)
        print("mock Looker stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
