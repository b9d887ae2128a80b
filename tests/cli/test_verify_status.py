"""verify's status line: on a terminal's stderr while it checks, erased at the end, never in a pipe."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from lookervault.cli.verify import StatusLine


class _Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_status_line_draws_and_erases_on_a_terminal() -> None:
    """Each check is drawn on one line (carriage return, erase) and the line is erased at the end."""
    stream = _Terminal()
    with StatusLine(stream) as status:
        status.show("checking integrity")
        status.show("hashing blobs 0/1,000")
        status.show("hashing blobs 500/1,000")  # within 0.1 s of the last: skipped
    assert stream.getvalue() == (
        "\r\x1b[Kverify: checking integrity\r\x1b[Kverify: hashing blobs 0/1,000\r\x1b[K"
    )


def test_status_line_is_silent_off_a_terminal() -> None:
    """A pipe or a log file gets nothing from the status line."""
    stream = io.StringIO()
    with StatusLine(stream) as status:
        status.show("checking integrity")
    assert stream.getvalue() == ""


def test_verify_command_keeps_stderr_clean_in_a_pipe(small_vault: Path) -> None:
    """`lookervault verify` with stderr not a terminal prints its report only, no status line."""
    done = subprocess.run(
        [sys.executable, "-m", "lookervault", "verify", "--db", str(small_vault)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.splitlines()[-1] == f"vault {small_vault}: ok"
