"""Storage faults: an unusable vault path fails before any request; a full disk stops cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from tests.chaos.conftest import TALLY
from tests.chaos.support import (
    child_env,
    cli_command,
    integrity,
    run_child,
    run_cli,
    set_connection_env,
)
from tests.support import assert_vault_equals

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("keep_logging")]

_OPTIONS = MockOptions(preset="demo", seed=41)
_EXTRACT = ("extract", "--quiet", "--page-size", "50")
_FILE_SIZE_LIMIT = 256 * 1024  # far below the demo vault: the disk "fills" mid-run
_RO_TMPFS_SIZE = "1m"

# Run argv[2:] with files capped at argv[1] bytes. SIGXFSZ is ignored so that write() fails
# with EFBIG (what SQLite sees on a full disk) instead of the signal killing the process; both
# the ignored disposition and the limit survive exec.
_LIMITED = (
    "import os, resource, signal, sys;"
    "signal.signal(signal.SIGXFSZ, signal.SIG_IGN);"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])));"
    "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])"
)


@pytest.fixture(scope="module")
def mock() -> MockLooker:
    """One demo-sized mock for the module (its data never changes)."""
    return MockLooker(_OPTIONS)


@pytest.fixture
def served(mock: MockLooker, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The mock on loopback with fresh counters, and the CLI's environment pointing at it."""
    mock.stats = type(mock.stats)()
    with serve_in_thread(mock) as url:
        set_connection_env(monkeypatch, url)
        yield url


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody may write: a read-only tmpfs for root, else mode 0500."""
    target = tmp_path / "ro"
    target.mkdir()
    if os.geteuid() != 0:
        target.chmod(0o500)
        yield target
        target.chmod(0o700)
        return
    mount = ["mount", "-t", "tmpfs", "-o", f"ro,size={_RO_TMPFS_SIZE}", "tmpfs", str(target)]
    if subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("running as root without permission to mount a read-only tmpfs")
    try:
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=True)


def _assert_one_error_line(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("where", ["missing", "read-only"])
def test_unusable_vault_path_fails_before_any_request(
    where: str,
    served: str,
    mock: MockLooker,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A missing or read-only directory is exit 2, one line, and Looker never hears from us."""
    if where == "missing":
        db, fragment = tmp_path / "nowhere" / "v.db", "does not exist"
    else:
        db, fragment = request.getfixturevalue("read_only_dir") / "v.db", "read-only"
    done = run_cli(capsys, *_EXTRACT, "--db", str(db))
    assert done.code == 2
    _assert_one_error_line(done.err, "cannot create vault", fragment)
    assert mock.stats.requests == 0
    assert not db.exists()


def test_disk_full_mid_run_stops_cleanly_and_resumes(
    served: str, mock: MockLooker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Out of space mid-run: a clear error, a sound vault, and --resume completes the backup."""
    db = tmp_path / "v.db"
    limited = [sys.executable, "-c", _LIMITED, str(_FILE_SIZE_LIMIT)]
    args = [*limited, *cli_command(*_EXTRACT, "--db", str(db))[1:]]
    full = run_child(args, child_env(served))
    assert full.code == 2, full.err
    _assert_one_error_line(full.err, "full")
    assert integrity(db) == "ok"
    resumed = run_cli(capsys, *_EXTRACT, "--db", str(db), "--resume", "--json")
    assert resumed.code == 0, resumed.err
    assert '"run_id":1' in resumed.out  # the interrupted run itself was resumed
    assert_vault_equals(db, mock.ground_truth_hashes())
    assert integrity(db) == "ok"
    TALLY["disk-full trials"] += 1
