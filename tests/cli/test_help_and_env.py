"""Help a person can read, LOOKERVAULT_DB, and the runs and list outputs a person reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lookervault.cli.app import app, main
from lookervault.content import CONTENT_TYPES
from lookervault.vault.records import Batch, Failure, ItemRecord
from lookervault.vault.store import Vault

# Parameter-less commands: each is a path below `lookervault`.
COMMANDS = ("extract", "export", "runs", "list", "show", "diff", "verify", "mock serve")


def _cli(*tokens: str) -> int:
    return app(list(tokens), exit_on_error=False, print_error=False, result_action="return_value")


def _help(command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", "300")  # one line per option: phrases are not wrapped apart
    with pytest.raises(SystemExit):
        main([*command.split(), "--help"])
    return capsys.readouterr().out


def _vault(path: Path, *, trash: bool = False, failure: bool = False, elapsed: float = 2.5) -> Path:
    """One run of two dashboards (one in the trash if asked) at https://looker.example."""
    items = (
        ItemRecord("dashboards", "1", {"id": "1", "title": "Sales"}, title="Sales"),
        ItemRecord("dashboards", "2", {"id": "2"}, title="Old", deleted=trash),
    )
    failures = (Failure("looks", "page:0", "HTTP 500"),) if failure else ()
    with Vault(path) as vault:
        run_id = vault.start_run(
            options={},
            looker_url="https://looker.example",
            looker_release=None,
            api_version=None,
            tool_version="0",
        )
        with vault.writer() as writer:
            writer.write(Batch(run_id, items=items, failures=failures))
        counts = {"dashboards": 2, "looks": 0}
        vault.finish_run(run_id, status="complete", counts=counts, stats={"elapsed_s": elapsed})
    return path


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("export", ['"content": {...}', "folders/NAME--ID/", "FOLDER/TYPE/", "TITLE--ID.json"]),
        ("extract", ["LOOKERSDK_BASE_URL", "LOOKERSDK_CLIENT_SECRET", "LOOKERSDK_TIMEOUT"]),
        ("extract", [ct.name for ct in CONTENT_TYPES]),
        ("runs", ["--run", "per-type counts"]),
        ("list", ["--deleted lists them", "Content type (required)"]),
        ("mock serve", ["--port INT", "--host STR", "--count STR"]),
    ],
)
def test_help_says_what_it_means(
    command: str,
    expected: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The intended help text survives the Markdown renderer: placeholders, types, variables."""
    text = _help(command, capsys, monkeypatch)
    for phrase in expected:
        assert phrase in text, phrase


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_no_meaningless_negatives_or_eaten_placeholders(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --no-json/--no-debug/--empty-*; no `--/` or `//` left where a <placeholder> was eaten."""
    text = _help(command, capsys, monkeypatch)
    for gone in ("--no-json", "--no-debug", "--no-resume", "--no-deleted", "--empty-", "//"):
        assert gone not in text, gone
    assert "--/" not in text and '"content": }' not in text
    if "--db" in text:
        assert "LOOKERVAULT_DB" in text


def test_mock_serve_flags_are_keyword_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """mock serve lists no flag as a positional (no `PORT --port`)."""
    text = _help("mock serve", capsys, monkeypatch)
    assert "PORT --port" not in text and "Usage: lookervault mock serve [OPTIONS]" in text


def test_db_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --db, LOOKERVAULT_DB names the vault."""
    path = _vault(tmp_path / "env.db")
    monkeypatch.setenv("LOOKERVAULT_DB", str(path))
    assert _cli("list", "dashboards", "--json") == 0
    assert [item["id"] for item in json.loads(capsys.readouterr().out)] == ["1", "2"]


def test_db_flag_beats_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--db wins over LOOKERVAULT_DB."""
    path = _vault(tmp_path / "flag.db")
    monkeypatch.setenv("LOOKERVAULT_DB", str(tmp_path / "missing.db"))
    assert _cli("runs", "--db", str(path)) == 0
    assert f"vault {path}:" in capsys.readouterr().out
    assert _cli("runs") == 2
    assert "no vault at" in capsys.readouterr().err


def test_runs_table_is_narrow_singular_and_names_looker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """runs says "1 run", shows totals and the Looker URL, and the recorded running time."""
    path = _vault(tmp_path / "v.db", elapsed=2.5)
    assert _cli("runs", "--db", str(path)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(", 1 run")
    assert lines[1].split() == [
        "run", "started", "duration", "status", "items", "new", "content", "requests", "looker",
    ]  # fmt: skip
    assert lines[2].split()[2:5] == ["2.5s", "complete", "2"]
    assert lines[2].endswith("https://looker.example") and "dashboards=" not in lines[2]


def test_runs_one_run_details(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """runs --run N prints status, Looker, duration, failures and one line per type."""
    path = _vault(tmp_path / "v.db", failure=True)
    assert _cli("runs", "--db", str(path), "--run", "1") == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["status", "complete"] in lines and ["looker", "https://looker.example"] in lines
    assert ["duration", "2.5s", "running"] in lines and ["failures", "1"] in lines
    assert ["dashboards", "2"] in lines and ["looks", "0"] in lines
    assert ["failed:", "looks", "page:0:", "HTTP", "500"] in lines
    assert _cli("runs", "--db", str(path), "--json") == 0
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert run["failures"] == [{"content_type": "looks", "key": "page:0", "error": "HTTP 500"}]
    assert run["duration_s"] == 2.5 and run["looker_url"] == "https://looker.example"
    assert _cli("runs", "--db", str(path), "--run", "7") == 2


def test_duration_without_recorded_elapsed_is_end_minus_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run without stats["elapsed_s"] (older vaults) falls back to finished - started."""
    path = tmp_path / "old.db"
    with Vault(path) as vault:
        run_id = vault.start_run(
            options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
        )
        vault.finish_run(run_id, status="complete", counts={}, stats={})
    assert _cli("runs", "--db", str(path), "--json") == 0
    duration = json.loads(capsys.readouterr().out)["runs"][0]["duration_s"]
    assert isinstance(duration, float) and 0 <= duration < 5


def test_list_says_how_many_are_in_the_trash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """list hides the trash but says on stderr how many items are there and how to see them."""
    path = _vault(tmp_path / "v.db", trash=True)
    assert _cli("list", "dashboards", "--db", str(path)) == 0
    captured = capsys.readouterr()
    assert [line.split()[0] for line in captured.out.splitlines()[1:]] == ["1"]
    assert captured.err == "note: 1 more is in Looker's trash; list them with --deleted\n"
    assert _cli("list", "dashboards", "--db", str(path), "--deleted") == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "trash" in captured.out


def test_list_without_type_names_the_types(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """list without a type exits 2 with one line naming every valid type."""
    path = _vault(tmp_path / "v.db")
    with pytest.raises(SystemExit) as exit_info:
        main(["list", "--db", str(path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: list needs a content type") and err.count("\n") == 1
    assert all(ct.name in err for ct in CONTENT_TYPES)


@pytest.mark.parametrize(
    ("stored", "line", "pace"),
    [
        (
            {"rate": 36.4, "ceiling": 40.25},
            "pace 36.4 requests/s at the end (Looker's limit about 40.2/s)",
            {"rate": 36.4, "ceiling": 40.25},
        ),
        (
            {"rate": 1200, "ceiling": None},
            "pace 1200.0 requests/s at the end (Looker refused none)",
            {"rate": 1200.0, "ceiling": None},
        ),
        (None, "pace -", None),  # a configured rate, or a run of an earlier release
        ("garbled", "pace -", None),
        # what the next run would not resume from is not shown as its pace
        ({"rate": 0, "ceiling": None}, "pace -", None),
        ({"rate": True, "ceiling": None}, "pace -", None),
        ({"rate": 36.4, "ceiling": "40"}, "pace -", None),
    ],
)
def test_runs_shows_the_pace_the_next_run_starts_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stored: object, line: str, pace: object
) -> None:
    path = tmp_path / "v.db"
    with Vault(path) as vault:
        run_id = vault.start_run(
            options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
        )
        stats = {"elapsed_s": 1.0} if stored is None else {"elapsed_s": 1.0, "limiter": stored}
        vault.finish_run(run_id, status="complete", counts={}, stats=stats)
    assert _cli("runs", "--db", str(path), "--run", "1") == 0
    assert line.split() in [row.split() for row in capsys.readouterr().out.splitlines()]
    assert _cli("runs", "--db", str(path), "--json") == 0
    assert json.loads(capsys.readouterr().out)["runs"][0]["pace"] == pace
