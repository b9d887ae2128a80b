"""`lookervault verify`: check the vault and list what is wrong, exit status 5 if anything is."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Annotated, TextIO

from lookervault.cli.guard import guard
from lookervault.cli.options import FLAT, VerifyFlags
from lookervault.cli.render import print_json
from lookervault.cli.vaults import open_vault
from lookervault.errors import ExitCode

__all__ = ["StatusLine", "verify_command"]

# Seconds between two redraws of the status line while blobs are hashed.
_REDRAW_S = 0.1

_VERIFY = VerifyFlags()

if TYPE_CHECKING:
    from pathlib import Path

    from lookervault.verify import VerifyReport


def verify_command(*, common: Annotated[VerifyFlags, FLAT] = _VERIFY) -> int:
    """Check the vault: SQLite integrity, every stored content against its hash, every run's
    counts against its rows, and no dangling references. Exit status 5 when anything is wrong.
    """

    def body() -> int:
        from lookervault.verify import VERIFY_FAILED, verify_vault

        with open_vault(common.db) as vault, StatusLine(sys.stderr) as status:
            report = verify_vault(vault, tell=status.show)
        if common.json:
            print_json(report.as_json())
        else:
            _render(report, common.db)
        return ExitCode.OK if report.ok else VERIFY_FAILED

    return guard(body, debug=common.debug)


class StatusLine:
    """One line on a terminal's stderr saying what verify checks now, erased when it ends.

    Off when the stream is not a terminal: logs and pipes get nothing.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._on = stream.isatty()
        self._last_stage, self._last_at = "", 0.0

    def show(self, status: str) -> None:
        """Redraw the line, at most every 0.1 s unless the check changed."""
        stage, now = status.split(" ", 1)[0], time.monotonic()
        if not self._on or (stage == self._last_stage and now - self._last_at < _REDRAW_S):
            return
        self._last_stage, self._last_at = stage, now
        self._stream.write(f"\r\x1b[Kverify: {status}")
        self._stream.flush()

    def __enter__(self) -> StatusLine:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._on and self._last_stage:
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def _render(report: VerifyReport, db: Path) -> None:
    for name, problems in report.checks.items():
        print(f"{name}: {'ok' if not problems else 'FAILED'}")
        for problem in problems:
            print(f"  - {problem}")
    for note in report.notes:
        print(f"note: {note}")
    print(f"vault {db}: " + ("ok" if report.ok else "PROBLEMS FOUND"))
