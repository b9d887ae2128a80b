"""Every exit status the README documents is produced by the code, and every error's is documented."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from lookervault.cli.app import app
from lookervault.cli.check import LIMITED_EXIT
from lookervault.cli.guard import guard, status_code
from lookervault.errors import ExitCode, LookerVaultError, exit_code_for

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _documented() -> set[int]:
    """The codes of the README's exit-status table (the rows under `## Exit statuses`)."""
    section = README.split("## Exit statuses", 1)[1].split("\n## ", 1)[0]
    return {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}


def _error_classes() -> list[type[LookerVaultError]]:
    found, todo = [], [LookerVaultError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _cli(*tokens: str) -> int:
    return app(list(tokens), exit_on_error=False, print_error=False, result_action="return_value")


def _raise(exc: BaseException) -> int:
    raise exc


def test_readme_table_lists_exactly_the_exit_codes() -> None:
    """The table documents each ExitCode member, and nothing else."""
    assert _documented() == {int(code) for code in ExitCode}


def test_every_error_class_exit_code_is_documented() -> None:
    """Each class of the LookerVaultError tree exits with a status the README documents."""
    classes = _error_classes()
    assert len(classes) > 5
    for cls in classes:
        assert int(cls.exit_code) in _documented(), cls.__name__


def test_errors_tree_and_result_paths_produce_every_documented_code(
    small_vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Errors via exit_code_for and guard, run statuses and verify's verdict cover the table."""
    produced = {exit_code_for(RuntimeError("bug")), exit_code_for(KeyboardInterrupt())}
    produced |= {int(cls.exit_code) for cls in _error_classes()}
    produced |= {guard(lambda: _raise(KeyboardInterrupt()), debug=False)}
    produced |= {status_code(s) for s in ("complete", "partial", "interrupted")}
    produced.add(LIMITED_EXIT)  # check's verdict on a non-admin user (tests/cli/test_check.py)
    assert status_code("partial") == ExitCode.PARTIAL
    assert status_code("complete", skipped=True) == ExitCode.NOT_EVERYTHING
    assert status_code("partial", skipped=True) == ExitCode.PARTIAL  # partial wins over 6
    produced.add(status_code("complete", skipped=True))
    assert status_code("interrupted") == ExitCode.INTERRUPTED
    conn = sqlite3.connect(small_vault)
    with conn:
        conn.execute("""UPDATE "blobs" SET "content" = CAST('{}' AS BLOB) WHERE "blob_id" = 2""")
    conn.close()
    verdict = _cli("verify", "--db", str(small_vault))
    assert verdict == ExitCode.VERIFY_FAILED
    produced.add(verdict)
    capsys.readouterr()
    assert _documented() <= produced


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (KeyboardInterrupt(), ExitCode.INTERRUPTED, "error: interrupted"),
        (LookerVaultError("boom"), ExitCode.UNEXPECTED, "error: boom"),
        (ValueError("odd"), ExitCode.UNEXPECTED, "error: unexpected ValueError: odd"),
    ],
)
def test_guard_prints_one_error_line(
    exc: BaseException, code: int, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """guard turns a failure into its exit status and one `error:` line (a hint for bugs)."""
    assert guard(lambda: _raise(exc), debug=False) == code
    err = capsys.readouterr().err.splitlines()
    assert err[0] == line
    assert "Traceback" not in "\n".join(err)


def test_guard_shows_the_traceback_under_debug(capsys: pytest.CaptureFixture[str]) -> None:
    """--debug adds the traceback after the one error line."""
    assert guard(lambda: _raise(ValueError("odd")), debug=True) == ExitCode.UNEXPECTED
    err = capsys.readouterr().err
    assert err.startswith("error: unexpected ValueError: odd\n") and "Traceback" in err
