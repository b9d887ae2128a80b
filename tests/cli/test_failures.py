"""`lookervault failures`, extract's per-type failure summary and its `to continue:` command."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from lookervault.cli.app import app
from lookervault.cli.extract import continue_command
from lookervault.cli.failures import failure_what, plain_error, summarize_failures
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.server import serve_in_thread
from lookervault.vault.records import Batch, Failure
from lookervault.vault.store import Vault
from tests.chaos.support import run_cli, set_connection_env

_503 = "GET https://looker.example.com:19999/api/4.0/alerts/search failed: 503 Service Unavailable"
_FAILURES = (
    Failure("alerts", "all:offset=1200", _503),
    Failure("alerts", "all:offset=0", _503),
    Failure("dashboards", "deleted=true:offset=0", "GET https://h/api/4.0/x failed: ReadTimeout"),
    Failure("explores", "child:ecommerce::orders", "expected a JSON object"),
    Failure("looks", "item:42", "GET https://h/api/4.0/looks/42 failed: 500 boom"),
    Failure("users", "reconcile", f"cannot list ids: {_503}"),
)


def _cli(*tokens: str) -> int:
    return app(list(tokens), exit_on_error=False, print_error=False, result_action="return_value")


@pytest.fixture
def failed_vault(tmp_path: Path) -> Path:
    """Run 1 partial with the failures above, run 2 complete with none."""
    path = tmp_path / "failed.db"
    with Vault(path) as vault:
        for status, failures in (("partial", _FAILURES), ("complete", ())):
            run_id = vault.start_run(
                options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
            )
            with vault.writer() as writer:
                writer.write(Batch(run_id, failures=failures))
            vault.finish_run(run_id, status=status, counts={}, stats={})
    return path


@pytest.mark.parametrize(
    ("key", "what"),
    [
        ("all:offset=1200", "page at offset 1200"),
        ("deleted=true:offset=0", "page at offset 0 of variant deleted=true"),
        ("all:all", "the whole list"),
        ("item:42", "item 42"),
        ("child:ecommerce::orders", "child ecommerce::orders"),
        ("reconcile", "id listing"),
        ("garbled", "garbled"),
    ],
)
def test_failure_what_reads_the_typed_key(key: str, what: str) -> None:
    """Each kind of failure key is named as a page, item, child, id listing, or kept as is."""
    assert failure_what(key) == what


def test_plain_error_puts_lookers_answer_first() -> None:
    """Looker's status and the request path lead; a transport error says there was no answer."""
    assert plain_error(_503) == (
        "Looker answered 503 Service Unavailable for GET /api/4.0/alerts/search"
    )
    assert plain_error(f"cannot list ids: {_503}").startswith("cannot list ids: Looker answered")
    assert plain_error("GET https://h/api/4.0/x failed: ReadTimeout") == (
        "no answer from Looker for GET /api/4.0/x: ReadTimeout"
    )
    assert plain_error("expected a JSON object") == "expected a JSON object"


def test_summary_is_one_line_per_type() -> None:
    """Pages, items, child requests and the id listing are counted per type with the first error."""
    lines = summarize_failures(_FAILURES)
    assert lines == [
        "alerts: 2 pages, 0 items failed; first: Looker answered 503 Service Unavailable for "
        "GET /api/4.0/alerts/search",
        "dashboards: 1 page, 0 items failed; first: no answer from Looker for GET /api/4.0/x: "
        "ReadTimeout",
        "explores: 0 pages, 0 items, 1 child request failed; first: expected a JSON object",
        "looks: 0 pages, 1 item failed; first: Looker answered 500 boom for GET /api/4.0/looks/42",
        "users: 0 pages, 0 items, the id listing failed; first: cannot list ids: Looker answered "
        "503 Service Unavailable for GET /api/4.0/alerts/search",
    ]


def test_failures_command_text_and_json(
    failed_vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--run 1 lists one line per failure; --json gives the documented objects."""
    assert _cli("failures", "--run", "1", "--db", str(failed_vault)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(_FAILURES)
    assert "alerts  page at offset 0  Looker answered 503 Service Unavailable" in lines[0]
    assert lines[-1].startswith("users  id listing  cannot list ids: Looker answered 503")
    assert _cli("failures", "--run", "1", "--db", str(failed_vault), "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert {tuple(sorted(row)) for row in rows} == {("content_type", "error", "key", "what")}
    assert {"content_type": "looks", "key": "item:42", "what": "item 42",
            "error": "GET https://h/api/4.0/looks/42 failed: 500 boom"} in rows  # fmt: skip


def test_failures_command_defaults_to_the_latest_run(
    failed_vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --run the latest run is shown; a complete run has none."""
    assert _cli("failures", "--db", str(failed_vault)) == 0
    assert capsys.readouterr().out == "run 2: no failures\n"
    assert _cli("failures", "--db", str(failed_vault), "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_failures_command_unknown_run_or_vault_is_exit_2(
    failed_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown run, an empty vault or a missing vault: exit 2 with one error line."""
    assert _cli("failures", "--run", "9", "--db", str(failed_vault)) == 2
    assert capsys.readouterr().err.startswith("error: no run 9 in vault")
    with Vault(tmp_path / "empty.db"):
        pass
    assert _cli("failures", "--db", str(tmp_path / "empty.db")) == 2
    assert "has no runs yet" in capsys.readouterr().err
    assert _cli("failures", "--db", str(tmp_path / "absent.db")) == 2
    assert capsys.readouterr().err.startswith("error: no vault at")


def test_continue_command_repeats_vault_types_and_connection_flags(tmp_path: Path) -> None:
    """The command names the vault and ini file absolutely, shell-quoted, and the same types."""
    db = tmp_path / "my vault.db"
    command = continue_command(
        db, ("dashboards", "looks"), config=tmp_path / "looker.ini", section="prod it"
    )
    assert command == (
        f"lookervault extract --resume --db '{db}' --config {tmp_path / 'looker.ini'} "
        "--section 'prod it' dashboards looks"
    )
    assert continue_command(Path("v.db"), (), config=None, section=None) == (
        f"lookervault extract --resume --db {Path('v.db').absolute()}"
    )
    allowed = continue_command(db, (), config=None, section=None, allow_other_instance=True)
    assert allowed.endswith(" --allow-other-instance")


def test_the_continue_command_carries_the_explores_and_personal_folder_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A budget-stopped run's `to continue:` repeats how explores and personal folders were read.

    The printed command is then run as printed and completes the run; the options are recorded.
    """
    mock = MockLooker(MockOptions(preset="tiny"))
    db = tmp_path / "v.db"
    flags = ("--explores-in-flight", "2", "--explores-timeout", "600")
    with serve_in_thread(mock) as base_url:
        set_connection_env(monkeypatch, base_url)
        stopped = run_cli(
            capsys, "extract", "--db", str(db), "--quiet", "--max-requests", "30",
            "--skip-personal-folder-access", *flags,
        )  # fmt: skip
        assert stopped.code == 4, stopped.err
        hint = stopped.err.splitlines()[-1].removeprefix("to continue: ")
        words = shlex.split(hint)
        assert words[:3] == ["lookervault", "extract", "--resume"]
        assert "--skip-personal-folder-access" in words
        assert " ".join(flags) in " ".join(words)
        finished = run_cli(capsys, *words[1:], "--quiet")
    assert finished.code == 0, finished.err
    with Vault(db) as vault:
        options = vault.runs()[-1].options
    assert options["explores_in_flight"] == 2 and options["explores_timeout_s"] == 600
