"""Ordinary failures of the CLI are one actionable line, and exports never overwrite or leave debris."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lookervault import export as exporter
from lookervault.cli.app import app
from lookervault.cli.guard import guard
from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.store import Vault


def _cli(*tokens: str) -> int:
    return app(list(tokens), exit_on_error=False, print_error=False, result_action="return_value")


def _err_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


_PAD = "of a long title, to fill a pipe's buffer quickly" * 2


@pytest.fixture
def big_vault(tmp_path: Path) -> Path:
    """A vault of 3,000 dashboards in two folders: JSON lines far larger than a pipe's buffer."""
    path = tmp_path / "big.db"
    folders = [
        ItemRecord("folders", f, {"id": f, "name": f"F{f}", "parent_id": None}) for f in "12"
    ]
    dashboards = [
        ItemRecord(
            "dashboards",
            str(i),
            {"id": str(i), "title": f"Dashboard {i} {_PAD}", "folder_id": str(i % 2 + 1)},
            title=f"Dashboard {i} {_PAD}",
        )
        for i in range(1, 3001)
    ]
    with Vault(path) as vault:
        run_id = vault.start_run(
            options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
        )
        with vault.writer() as writer:
            writer.write(Batch(run_id, items=(*folders, *dashboards)))
        vault.finish_run(run_id, status="complete", counts={}, stats={})
    return path


def test_export_into_missing_directory(
    small_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An --output in a directory that does not exist is one line naming it, exit 2."""
    out = tmp_path / "missing" / "x.jsonl"
    assert _cli("export", "--db", str(small_vault), "--output", str(out)) == 2
    assert _err_line(capsys) == (
        f"error: cannot export to {out}: directory {out.parent} does not exist"
    )
    assert not out.parent.exists()


def test_export_refuses_an_existing_file(
    small_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An existing --output file is kept, unchanged, and refused with exit 2."""
    out = tmp_path / "keep.jsonl"
    out.write_text("precious\n")
    out.chmod(0o644)
    assert _cli("export", "--db", str(small_vault), "--output", str(out)) == 2
    assert (
        _err_line(capsys) == f"error: cannot export to {out}: the file exists (--force replaces it)"
    )
    assert out.read_text() == "precious\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.jsonl", "small.db"]


def test_export_force_replaces_the_file(
    small_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--force replaces an existing file with a new 0600 one and leaves no temporary file."""
    out = tmp_path / "old.jsonl"
    out.write_text("old\n")
    out.chmod(0o644)
    assert _cli("export", "--db", str(small_vault), "--output", str(out), "--force") == 0
    assert len(out.read_text().splitlines()) == 3
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.jsonl", "small.db"]


def test_force_without_a_jsonl_file_is_refused(
    small_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--force with --format files or stdout has nothing to replace: a usage error."""
    tree = tmp_path / "tree"
    assert (
        _cli(
            "export",
            "--db",
            str(small_vault),
            "--format",
            "files",
            "--output",
            str(tree),
            "--force",
        )
        == 2
    )
    assert _err_line(capsys) == "error: --force replaces only an --output file of --format jsonl"
    assert not tree.exists()


@pytest.mark.parametrize("failure", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_interrupted_jsonl_export_leaves_nothing(
    small_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    """A jsonl export failing or interrupted midway leaves neither the file nor a temporary one."""

    def broken(vault: Vault, sink, *, run_id: int | None = None) -> None:
        sink.write(b"half a line")
        raise failure

    monkeypatch.setattr(exporter, "write_jsonl", broken)
    out = tmp_path / "x.jsonl"
    with Vault(small_vault) as vault, pytest.raises(type(failure)):
        exporter.export_jsonl(vault, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.db"]


@pytest.mark.parametrize("failure", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_interrupted_files_export_leaves_nothing(
    big_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    """A files export failing or interrupted after 1,000 files leaves no DIR and no sibling."""
    written = []
    real = exporter._write_file

    def flaky(path: Path, data: bytes) -> None:
        if len(written) == 1000:
            raise failure
        real(path, data)
        written.append(path)

    monkeypatch.setattr(exporter, "_write_file", flaky)
    out = tmp_path / "tree"
    with Vault(big_vault) as vault, pytest.raises(type(failure)):
        exporter.export_files(vault, out)
    assert len(written) == 1000 and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.db"]


def test_interrupted_export_into_existing_directory_leaves_it_as_it_was(
    big_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Into an existing directory holding .git, a failed export leaves only .git behind."""
    out = tmp_path / "repo"
    (out / ".git").mkdir(parents=True)
    real = exporter._write_file
    calls = []

    def flaky(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 500:
            raise KeyboardInterrupt
        real(path, data)

    monkeypatch.setattr(exporter, "_write_file", flaky)
    with Vault(big_vault) as vault, pytest.raises(KeyboardInterrupt):
        exporter.export_files(vault, out)
    assert [p.name for p in out.iterdir()] == [".git"]
    monkeypatch.setattr(exporter, "_write_file", real)
    with Vault(big_vault) as vault:
        assert exporter.export_files(vault, out).files == 3002
    assert sorted(p.name for p in out.iterdir()) == [".git", "folders"]


def test_files_export_is_renamed_into_place(big_vault: Path, tmp_path: Path) -> None:
    """A finished files export is DIR itself (0700), and no temporary sibling remains."""
    out = tmp_path / "tree"
    assert _cli("export", "--db", str(big_vault), "--format", "files", "--output", str(out)) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert sum(1 for p in out.rglob("*.json")) == 3002
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.db", "tree"]


@pytest.mark.parametrize("tokens", [("export",), ("list", "dashboards")], ids=["export", "list"])
def test_closed_pipe_ends_quietly(big_vault: Path, tokens: tuple[str, ...]) -> None:
    """`lookervault ... | head -1`: the command stops quietly with status 0, nothing on stderr."""
    child = subprocess.Popen(
        [sys.executable, "-m", "lookervault", *tokens, "--db", str(big_vault)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": ""},
    )
    assert child.stdout is not None and child.stderr is not None
    first = child.stdout.readline()
    child.stdout.close()
    with child.stderr:
        err = child.stderr.read().decode()
    assert child.wait(timeout=60) == 0, err
    assert first and err == ""


def test_broken_pipe_elsewhere_is_not_hidden(capsys: pytest.CaptureFixture[str]) -> None:
    """A BrokenPipeError while stdout is still open stays an unexpected failure, exit 1."""

    def body() -> int:
        raise BrokenPipeError(32, "Broken pipe")

    assert guard(body, debug=False) == 1
    assert capsys.readouterr().err.startswith("error: unexpected BrokenPipeError")


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        (("list", "Dashboard"), None),
        (("show", "dashboard", "1"), None),
        (("diff", "--item", "DASHBOARDS", "1"), None),
        (
            ("list", "dashbords"),
            "error: unknown content type 'dashbords'; did you mean 'dashboards'? valid: dashboards,",
        ),
    ],
    ids=["list-singular", "show-singular", "diff-upper", "typo"],
)
def test_content_type_names(
    small_vault: Path,
    capsys: pytest.CaptureFixture[str],
    tokens: tuple[str, ...],
    message: str | None,
) -> None:
    """Commands take a content type in any case, singular or plural; a typo suggests a name."""
    code = _cli(*tokens, "--db", str(small_vault))
    if message is None:
        assert code == 0
        assert capsys.readouterr().out
    else:
        assert code == 2
        assert _err_line(capsys).startswith(message)
