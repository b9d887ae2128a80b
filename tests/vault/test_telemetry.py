"""Tests for telemetry in the vault: use between runs adds no version, and old vaults migrate."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from lookervault.diff import diff_runs
from lookervault.vault.records import Batch
from lookervault.vault.schema import SCHEMA_VERSION
from lookervault.vault.store import Vault
from tests.vault.support import make_item, raw_rows, write_batch


def _run(vault: Vault, *items) -> int:
    """A complete run that wrote ``items``."""
    run = vault.start_run(
        options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
    )
    write_batch(vault, Batch(run, items=tuple(items)))
    vault.finish_run(run, status="complete", counts={"dashboards": len(items)}, stats={})
    return run


def _latest(vault: Vault) -> dict[tuple[str, str], bytes]:
    return {(t, i): bytes(c) for t, i, c in vault.iter_items()}


def _count(vault: Vault, table: str) -> int:
    return raw_rows(vault, f'SELECT COUNT(*) FROM "{table}"')[0][0]


def test_telemetry_only_change_adds_no_version(vault: Vault) -> None:
    """A viewed dashboard keeps its version; the vault returns the newest bytes exactly."""
    first = _run(vault, make_item("1", title="A", view_count=1))
    second = _run(vault, make_item("1", title="A", view_count=7, last_viewed_at="2026-01-01"))
    assert (_count(vault, "versions"), _count(vault, "blobs")) == (1, 1)
    assert _latest(vault) == {
        ("dashboards", "1"): b'{"id":"1","title":"A","view_count":7,"last_viewed_at":"2026-01-01"}'
    }
    assert diff_runs(vault, first, second).types == {}
    assert raw_rows(vault, 'SELECT "telemetry_run_id" FROM "versions"') == [(second,)]
    assert vault.queries.dangling_references() == []
    assert vault.queries.orphan_blob_count() == 0


def test_content_change_with_telemetry_is_a_new_version(vault: Vault) -> None:
    """A changed title is a change, whatever happened to the view count."""
    first = _run(vault, make_item("1", title="A", view_count=1))
    second = _run(vault, make_item("1", title="B", view_count=2))
    changed = diff_runs(vault, first, second).types["dashboards"].changed
    assert [ref.item_id for ref in changed] == ["1"]
    assert _count(vault, "versions") == 2


def test_types_without_telemetry_keep_every_byte_change(vault: Vault) -> None:
    """A group's view_count (no telemetry field of groups) still makes a version."""
    _run(vault, make_item("1", "groups", view_count=1))
    _run(vault, make_item("1", "groups", view_count=2))
    assert _count(vault, "versions") == 2


def test_shared_bytes_are_never_replaced_in_place(vault: Vault) -> None:
    """Two items with identical bytes: one's telemetry change leaves the other's content intact."""
    same = {"title": "A", "view_count": 1}
    item_a = make_item("1", **same)
    item_b = make_item("2", **same)
    twin = item_b.__class__("dashboards", "2", item_a.content, title="t2")
    _run(vault, item_a, twin)
    _run(vault, make_item("1", title="A", view_count=5), twin)
    assert _latest(vault)[("dashboards", "2")] == b'{"id":"1","title":"A","view_count":1}'
    assert vault.queries.dangling_references() == []


def _roll_back_to_schema_2(path: Path) -> None:
    """Undo schema 3 as the code before it left the vault: no columns, index or record of it."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute('DROP INDEX "versions_by_blob"')
        conn.execute('ALTER TABLE "versions" DROP COLUMN "telemetry_run_id"')
        conn.execute('DELETE FROM "migrations" WHERE "version" = 3')
        conn.execute("PRAGMA user_version = 2")
    conn.close()


def test_schema_2_vault_migrates_without_loss(tmp_path: Path) -> None:
    """A schema-2 vault keeps every item, run and version; its items' telemetry is then ignored."""
    path = tmp_path / "v2.db"
    with Vault(path) as vault:
        _run(vault, make_item("1", view_count=1), make_item("2"))
        _run(vault, make_item("1", view_count=2), make_item("2", title="x"))
        runs, latest = vault.runs(), _latest(vault)
        versions = raw_rows(vault, 'SELECT "version_id", "blob_id" FROM "versions"')
    _roll_back_to_schema_2(path)
    with Vault(path) as vault:
        assert vault.applied_migrations == ("telemetry",)
        assert raw_rows(vault, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert vault.runs() == runs
        assert _latest(vault) == latest
        assert raw_rows(vault, 'SELECT "version_id", "blob_id" FROM "versions"') == versions
        assert raw_rows(vault, 'SELECT COUNT(*) FROM "versions" WHERE "telemetry_run_id" > 0') == [
            (0,)
        ]
        before = _count(vault, "versions")
        third = _run(vault, make_item("1", view_count=3), make_item("2", title="x"))
        assert _count(vault, "versions") == before
        assert diff_runs(vault, runs[-1].run_id, third).types == {}


def test_all_fields_lists_telemetry_changes(vault: Vault) -> None:
    """diff --all-fields counts an item whose telemetry alone changed; the default does not."""
    first = _run(vault, make_item("1", view_count=1))
    second = _run(vault, make_item("1", view_count=2))
    assert diff_runs(vault, first, second).types == {}
    changed = diff_runs(vault, first, second, all_fields=True).types["dashboards"].changed
    assert [ref.item_id for ref in changed] == ["1"]


def test_item_diff_marks_telemetry_fields(vault: Vault) -> None:
    """diff --item marks view_count as telemetry and a title as content."""
    from lookervault.diff import diff_item

    first = _run(vault, make_item("1", title="A", view_count=1))
    second = _run(vault, make_item("1", title="B", view_count=2))
    changes = {
        c.path: c.telemetry for c in diff_item(vault, "dashboards", "1", first, second).changes
    }
    assert changes == {"/title": False, "/view_count": True}


def test_cli_marks_telemetry_and_all_fields_counts_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`diff --item` prints `(telemetry)` beside view_count; `diff --all-fields` lists the item."""
    from tests.chaos.support import run_cli

    db = tmp_path / "v.db"
    with Vault(db) as vault:
        _run(vault, make_item("1", title="A", view_count=1), make_item("2", view_count=1))
        _run(vault, make_item("1", title="B", view_count=2), make_item("2", view_count=5))
    item = run_cli(capsys, "diff", "--db", str(db), "--item", "dashboards", "1")
    assert "  ~ /view_count (telemetry): 1 -> 2" in item.out.splitlines()
    assert '  ~ /title: "A" -> "B"' in item.out.splitlines()
    plain = run_cli(capsys, "diff", "--db", str(db), "--json")
    assert [r["id"] for r in json.loads(plain.out)["types"]["dashboards"]["changed"]] == ["1"]
    every = run_cli(capsys, "diff", "--db", str(db), "--json", "--all-fields")
    changed = json.loads(every.out)["types"]["dashboards"]["changed"]
    assert [r["id"] for r in changed] == ["1", "2"]
