"""`lookervault verify`: check the vault and list what is wrong, exit status 5 if anything is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from lookervault.cli.guard import guard
from lookervault.cli.options import FLAT, VerifyFlags
from lookervault.cli.render import print_json
from lookervault.cli.vaults import open_vault
from lookervault.errors import ExitCode

__all__ = ["verify_command"]

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

        with open_vault(common.db) as vault:
            report = verify_vault(vault)
        if common.json:
            print_json(report.as_json())
        else:
            _render(report, common.db)
        return ExitCode.OK if report.ok else VERIFY_FAILED

    return guard(body, debug=common.debug)


def _render(report: VerifyReport, db: Path) -> None:
    for name, problems in report.checks.items():
        print(f"{name}: {'ok' if not problems else 'FAILED'}")
        for problem in problems:
            print(f"  - {problem}")
    for note in report.notes:
        print(f"note: {note}")
    print(f"vault {db}: " + ("ok" if report.ok else "PROBLEMS FOUND"))
