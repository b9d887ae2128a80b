"""The README's "JSON output" table and the keys each command's --json really prints agree."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lookervault.backup.preflight import Access, Preflight, plan_types
from lookervault.backup.request_plan import RequestPlan
from lookervault.backup.run import ExtractResult
from lookervault.cli.app import app
from lookervault.cli.check import check_report
from lookervault.content import CONTENT_TYPES
from lookervault.vault.records import Batch, Failure, ItemRecord
from lookervault.vault.store import Vault

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
_ROW = re.compile(r"^\| (`[^|]*?) \| ((?:`\w+` ?)+) \|$")


def _documented() -> dict[str, set[str]]:
    """Rows of the table under "JSON output": the object's label -> its keys."""
    section = README.split("#### JSON output", 1)[1].split("\n#", 1)[0]
    rows = (_ROW.match(line) for line in section.splitlines())
    return {m[1]: set(re.findall(r"`(\w+)`", m[2])) for m in rows if m}


def _dash(item_id: str, title: str, **extra: Any) -> ItemRecord:
    content = {"id": item_id, "title": title, "folder_id": "1", **extra}
    return ItemRecord("dashboards", item_id, content, title=title, folder_id="1")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Two runs; the second changed a dashboard, added one, and recorded one failure."""
    path = tmp_path / "v.db"
    failure = Failure("looks", "page:0", "HTTP 500")
    with Vault(path) as vault:
        for items, failures in (
            ((_dash("1", "Sales"), _dash("2", "Costs")), ()),
            ((_dash("1", "Sales", tiles=2), _dash("2", "Costs"), _dash("3", "New")), (failure,)),
        ):
            run_id = vault.start_run(
                options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
            )
            with vault.writer() as writer:
                writer.write(Batch(run_id, items=items, failures=failures))
            vault.finish_run(run_id, status="complete", counts={"dashboards": len(items)}, stats={})
    return path


def _run(capsys: pytest.CaptureFixture[str], db: Path, *tokens: str) -> Any:
    app([*tokens, "--db", str(db)], exit_on_error=False, result_action="return_value")
    out = capsys.readouterr().out
    lines = out.splitlines()
    return json.loads(out) if len(lines) == 1 else [json.loads(line) for line in lines]


def _extract_summary() -> dict[str, Any]:
    outcomes = {"themes": {"outcome": "skipped (forbidden)", "reason": "403"}}
    return ExtractResult(1, "complete", {"dashboards": 1}, [], {}, 1.0, outcomes=outcomes).as_json()


def _plan() -> dict[str, Any]:
    return RequestPlan(
        {"session": 4, "dashboards": 3}, {"dashboards": 1}, 6, "admin", "26.1"
    ).as_json()


def _check() -> dict[str, Any]:
    access = Access("26.1.0", "1", "api", True, frozenset())
    types, plans = plan_types(CONTENT_TYPES, access)
    return check_report(Preflight(access, types, plans), "https://looker.example")


# Each documented label: how to get one object of that shape from the real commands.
_GETTERS: dict[str, Callable[[Callable[..., Any]], dict[str, Any]]] = {
    "`extract --json`": lambda run: _extract_summary(),
    "`extract --plan --json`": lambda run: _plan(),
    "`check --json`": lambda run: _check(),
    "`check --json`: each of `types`": lambda run: _check()["types"][0],
    "`extract --json`: each of `outcomes` (one per content type; the same in `runs --json`)": (
        lambda run: _extract_summary()["outcomes"]["themes"]
    ),
    "`runs --json`": lambda run: run("runs", "--json"),
    "`runs --json`: each of `runs`; `runs --run N --json`": lambda run: run("runs", "--json")[
        "runs"
    ][1],
    "`runs --json`: each of `failures`": lambda run: run("runs", "--run", "2", "--json")[
        "failures"
    ][0],
    "`list --json`: each item": lambda run: run("list", "dashboards", "--json")[0],
    "`show --json`": lambda run: run("show", "dashboards", "1", "--json"),
    "`diff --json`": lambda run: run("diff", "--json"),
    "`diff --json`: each of `types`": lambda run: run("diff", "--json")["types"]["dashboards"],
    "`diff --json`: each item of those": lambda run: run("diff", "--json")["types"]["dashboards"][
        "added"
    ][0],
    "`diff --item --json`": lambda run: run("diff", "--item", "dashboards", "1", "--json"),
    "`diff --item --json`: each of `changes`": lambda run: run(
        "diff", "--item", "dashboards", "1", "--json"
    )["changes"][0],
    "`verify --json`": lambda run: run("verify", "--json"),
    "`verify --json`: `checks`": lambda run: run("verify", "--json")["checks"],
    "`export --format jsonl`: each line": lambda run: run("export")[0],
}


def test_every_documented_object_is_checked() -> None:
    """The README table has a row for each object the test knows how to produce, and no other."""
    assert set(_documented()) == set(_GETTERS)


@pytest.mark.parametrize("label", list(_GETTERS))
def test_documented_keys_match_the_output(
    label: str, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The keys the README lists for an object are exactly those the command prints."""
    obj = _GETTERS[label](lambda *tokens: _run(capsys, db, *tokens))
    assert set(obj) == _documented()[label]


def test_ids_are_called_id_everywhere(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No --json output of the read side says item_id; per-type counts are called counts."""
    outputs = [
        _run(capsys, db, *tokens)
        for tokens in (
            ("runs", "--json"),
            ("list", "dashboards", "--json"),
            ("diff", "--json"),
            ("diff", "--item", "dashboards", "1", "--json"),
            ("verify", "--json"),
        )
    ]
    text = json.dumps(outputs)
    assert '"item_id"' not in text and " " not in "".join(outputs[-1]["checks"])
    assert outputs[0]["runs"][0]["counts"] == {"dashboards": 2}
