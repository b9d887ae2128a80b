"""Tests for the files exporter: safe names, the folder tree, modes and past runs."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from lookervault.errors import UsageError
from lookervault.export import FOLDER_FILE, MAX_TITLE_BYTES, export_files, safe_name
from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.store import Vault


@pytest.mark.parametrize(
    ("title", "item_id", "expected"),
    [
        ("Sales / Q1", "7", "Sales _ Q1--7"),
        ("..", "1", "untitled--1"),
        ("../../etc/passwd", "2", "_.._etc_passwd--2"),
        (None, "3", "untitled--3"),
        ("Café 🇫🇷", "4", "Café 🇫🇷--4"),
        ("  .hidden  ", "5", "hidden--5"),
    ],
)
def test_safe_name(title: str | None, item_id: str, expected: str) -> None:
    """Names are one safe path component: no separators, no leading dots, never '..'."""
    assert safe_name(title, item_id) == expected


def test_safe_name_lossy_ids_and_length() -> None:
    """Ids that sanitizing alters get a hash, so they stay distinct; titles are bounded."""
    one, other = safe_name("x", "a/b"), safe_name("x", "a_b")
    assert one != other and one.startswith("x--a_b~") and other == "x--a_b"
    long = safe_name("é" * 500, "1")
    assert len(long.encode()) <= MAX_TITLE_BYTES + len("--1")


def _write(vault: Vault, *items: ItemRecord) -> int:
    run_id = vault.start_run(
        options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
    )
    with vault.writer() as writer:
        writer.write(Batch(run_id, items=items))
    vault.finish_run(run_id, status="complete", counts={}, stats={})
    return run_id


def _folder(item_id: str, name: str, parent: str | None) -> ItemRecord:
    return ItemRecord("folders", item_id, {"id": item_id, "name": name, "parent_id": parent})


def _dash(item_id: str, title: str, folder: str | None) -> ItemRecord:
    return ItemRecord("dashboards", item_id, {"id": item_id, "title": title, "folder_id": folder})


HOSTILE = (
    _folder("1", "Shared", None),
    _folder("2", "../..", "1"),
    _folder("3", "Loop A", "4"),  # a parent cycle must not loop forever
    _folder("4", "Loop B", "3"),
    _dash("10", "../../../escape", "2"),
    _dash("11", "same", "1"),
    _dash("12", "same", "1"),
    _dash("13", "a/b\\c\x00d", "99"),  # unknown folder: goes to <dir>/dashboards
    ItemRecord("explores", "m::A", {"id": "m::A", "name": "A"}),
    ItemRecord("explores", "m::a", {"id": "m::a", "name": "a"}),  # differs by case only
    ItemRecord("users", "5", {"id": "5", "display_name": "Zoë", "personal_folder_id": "1"}),
)


def _tree(root: Path) -> dict[str, object]:
    return {
        str(p.relative_to(root)): json.loads(p.read_text()) for p in root.rglob("*") if p.is_file()
    }


def test_export_tree_is_safe_and_complete(tmp_path: Path) -> None:
    """Hostile titles stay inside DIR, nothing collides, and modes are 0600/0700."""
    out = tmp_path / "out"
    with Vault(tmp_path / "v.db") as vault:
        _write(vault, *HOSTILE)
        done = export_files(vault, out)
    files = _tree(out)
    assert done.files == len(HOSTILE) == len(files)
    assert all(out.resolve() in p.resolve().parents for p in out.rglob("*"))
    assert files["folders/Shared--1/" + FOLDER_FILE]["name"] == "Shared"
    assert files["folders/Shared--1/_--2/dashboards/_.._.._escape--10.json"]["id"] == "10"
    assert {"folders/Shared--1/dashboards/same--11.json", "users/Zoë--5.json"} <= set(files)
    assert "dashboards/a_b_c_d--13.json" in files
    explores = sorted(k for k in files if k.startswith("explores/"))
    assert len({k.casefold() for k in explores}) == 2
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_export_of_a_past_run(tmp_path: Path) -> None:
    """--run exports that run's snapshot, not the latest content."""
    with Vault(tmp_path / "v.db") as vault:
        first = _write(vault, _folder("1", "Shared", None), _dash("10", "Old", "1"))
        _write(vault, _folder("1", "Shared", None), _dash("10", "New", "1"))
        export_files(vault, tmp_path / "past", run_id=first)
        export_files(vault, tmp_path / "now")
    assert _tree(tmp_path / "past")["folders/Shared--1/dashboards/Old--10.json"]["title"] == "Old"
    assert "folders/Shared--1/dashboards/New--10.json" in _tree(tmp_path / "now")


def test_export_refuses_non_empty_directory(tmp_path: Path) -> None:
    """An output directory with files is refused; dot-entries such as .git are allowed."""
    out = tmp_path / "out"
    (out / ".git").mkdir(parents=True)
    with Vault(tmp_path / "v.db") as vault:
        _write(vault, _dash("1", "x", None))
        assert export_files(vault, out).files == 1
        with pytest.raises(UsageError, match="not empty"):
            export_files(vault, out)


def test_access_rules_are_named_after_their_folder_or_board(tmp_path: Path) -> None:
    """content_metadata_access files take the name of the folder or board they guard."""
    folder = {"id": "1", "name": "Shared", "parent_id": None, "content_metadata_id": "10"}
    board = {"id": "7", "title": "Team board", "content_metadata_id": "20"}
    rules = [{"id": "a", "content_metadata_id": "10", "permission_type": "view"}]
    with Vault(tmp_path / "v.db") as vault:
        _write(
            vault,
            ItemRecord("folders", "1", folder),
            ItemRecord("boards", "7", board),
            *(ItemRecord("content_metadata_access", cmid, rules) for cmid in ("10", "20", "30")),
        )
        export_files(vault, tmp_path / "out")
    names = sorted(k for k in _tree(tmp_path / "out") if k.startswith("content_metadata_access/"))
    assert names == [
        "content_metadata_access/access--30.json",
        "content_metadata_access/board Team board--20.json",
        "content_metadata_access/folder Shared--10.json",
    ]
