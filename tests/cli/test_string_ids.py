"""LookML dashboards' `model::name` ids survive every command: list, show, diff, verify, export."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import pytest

from lookervault.backup.run import ExtractOptions, extract
from lookervault.cli.app import app
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.store import Vault

_MOCK = MockOptions(preset="tiny", lookml_dashboards=3)


def _cli(*tokens: str) -> int:
    return app(list(tokens), exit_on_error=False, print_error=False, result_action="return_value")


def _back_up(db: Path, mock: MockLooker) -> None:
    settings = ConnectionSettings(
        base_url="http://mock", client_id=_MOCK.client_id, client_secret=_MOCK.client_secret
    )

    async def run() -> None:
        with Vault(db) as vault:
            result = await extract(
                settings,
                vault,
                ExtractOptions(content_types=("lookml_dashboards",), workers=1),
                transport=httpx.ASGITransport(app=mock),
            )
        assert result.status == "complete"

    anyio.run(run)


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """Two runs of three LookML dashboards; the second saw the first one retitled."""
    db = tmp_path_factory.mktemp("ids") / "v.db"
    mock = MockLooker(_MOCK)
    _back_up(db, mock)
    first = sorted(mock.related.lookml_dashboards)[0]
    mock.related.lookml_dashboards[first] = {
        **mock.related.lookml_dashboards[first],
        "title": "Renamed",
    }
    _back_up(db, mock)
    return db, mock.ground_truth()["lookml_dashboards"]


def test_list_and_show_use_the_ids_as_looker_gave_them(
    backed_up: tuple[Path, dict], capsys: pytest.CaptureFixture[str]
) -> None:
    """`list --json` names every `model::name` id; `show` finds each by it, byte for byte."""
    db, truth = backed_up
    assert _cli("list", "lookml_dashboards", "--db", str(db), "--json") == 0
    assert sorted(r["id"] for r in json.loads(capsys.readouterr().out)) == sorted(truth)
    for item_id, obj in truth.items():
        assert _cli("show", "lookml_dashboards", item_id, "--db", str(db), "--json") == 0
        assert json.loads(capsys.readouterr().out)["content"] == obj


def test_diff_names_the_changed_item_by_its_id(
    backed_up: tuple[Path, dict], capsys: pytest.CaptureFixture[str]
) -> None:
    """The run diff lists the retitled dashboard, and `--item` diffs it field by field."""
    db, truth = backed_up
    first = sorted(truth)[0]
    assert _cli("diff", "--db", str(db)) == 0
    assert first in capsys.readouterr().out
    assert _cli("diff", "--item", "lookml_dashboards", first, "--db", str(db), "--json") == 0
    changes = json.loads(capsys.readouterr().out)["changes"]
    assert [(c["path"], c["new"]) for c in changes] == [("/title", "Renamed")]


def test_verify_passes_and_export_names_files_by_id(
    backed_up: tuple[Path, dict], tmp_path: Path
) -> None:
    """verify accepts the vault; the files export keeps each id recognizable and distinct."""
    db, truth = backed_up
    assert _cli("verify", "--db", str(db)) == 0
    out = tmp_path / "export"
    assert _cli("export", "--format", "files", "--output", str(out), "--db", str(db)) == 0
    files = [p for p in out.rglob("*.json") if p.parent.name == "lookml_dashboards"]
    assert len(files) == len(truth)
    ids = {json.loads(path.read_text(encoding="utf-8"))["id"]: path.name for path in files}
    assert sorted(ids) == sorted(truth)
    for item_id, name in ids.items():  # ":" is unsafe in file names: "_" plus a hash of the id
        assert item_id.replace(":", "_") + "~" in name
