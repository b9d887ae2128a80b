"""Tests for lookervault.vault.ledger: listed ids on disk, compared with what a run stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.errors import VaultError
from lookervault.vault.ledger import AFTER, BEFORE, ListedIds
from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.store import Vault


def _store(vault: Vault, run_id: int, content_type: str, *ids: str) -> None:
    items = tuple(ItemRecord(content_type, i, {"id": i}) for i in ids)
    with vault.writer() as writer:
        writer.write(Batch(run_id, items=items))


@pytest.fixture
def vault(tmp_path: Path):
    """A fresh vault per test."""
    with Vault(tmp_path / "v.db") as v:
        yield v


def _run(vault: Vault) -> int:
    return vault.start_run(
        options={}, looker_url="https://x", looker_release=None, api_version=None, tool_version="t"
    )


def test_compare_finds_missed_and_vanished(vault: Vault) -> None:
    """Listed but not stored -> missing; stored but absent from the AFTER listing -> vanished."""
    run_id = _run(vault)
    _store(vault, run_id, "dashboards", "1", "2", "3")
    _store(vault, run_id, "looks", "9")
    with ListedIds(vault.path) as ledger:
        ledger.add("dashboards", BEFORE, ["1", "2", "3", "4"])
        ledger.add("dashboards", AFTER, ["1", "2", "5"])
        ledger.add("looks", BEFORE, ["9"])
        ledger.add("looks", AFTER, ["9"])
        missing, vanished = ledger.compare("dashboards", run_id)
        assert sorted(missing) == ["4", "5"]
        assert vanished == ["3"]
        assert ledger.compare("looks", run_id) == ([], [])


def test_only_this_runs_items_count_as_stored(vault: Vault) -> None:
    """An item a previous run stored, and gone items, are still missing for this run."""
    first = _run(vault)
    _store(vault, first, "dashboards", "1", "2")
    second = _run(vault)
    _store(vault, second, "dashboards", "2")
    vault.record_gone(second, "dashboards", ["2"])
    with ListedIds(vault.path) as ledger:
        ledger.add("dashboards", BEFORE, ["1", "2"])
        ledger.add("dashboards", AFTER, ["1", "2"])
        missing, vanished = ledger.compare("dashboards", second)
    assert sorted(missing) == ["1", "2"]
    assert vanished == []


def test_count_is_distinct_and_forget_clears_one_type(vault: Vault) -> None:
    """Duplicated ids (shifted pages) count once; forget drops one type only."""
    with ListedIds(vault.path) as ledger:
        ledger.add("users", BEFORE, ["1", "2"])
        ledger.add("users", BEFORE, ["2", "3"])
        ledger.add("users", AFTER, ["3", "4"])
        ledger.add("groups", BEFORE, ["1"])
        assert ledger.count("users") == 4
        ledger.forget("users")
        assert ledger.count("users") == 0
        assert ledger.count("groups") == 1


def test_ids_are_exact_strings(vault: Vault) -> None:
    """Ids compare as the strings Looker sent: '01' is not '1', unicode survives."""
    run_id = _run(vault)
    _store(vault, run_id, "user_attributes", "1", "naïve")
    with ListedIds(vault.path) as ledger:
        ledger.add("user_attributes", BEFORE, ["01", "naïve"])
        ledger.add("user_attributes", AFTER, ["01", "naïve"])
        assert ledger.compare("user_attributes", run_id) == (["01"], ["1"])


def test_scratch_file_is_not_beside_the_vault(vault: Vault) -> None:
    """The ledger writes nothing next to the vault (SQLite's private temporary file)."""
    before = set(vault.path.parent.iterdir())
    with ListedIds(vault.path) as ledger:
        ledger.add("users", BEFORE, [str(i) for i in range(5000)])
        assert ledger.count("users") == 5000
    assert set(vault.path.parent.iterdir()) == before


def test_missing_vault_is_a_vault_error(tmp_path: Path) -> None:
    """A vault path that does not exist fails with VaultError, not a sqlite3 traceback."""
    with pytest.raises(VaultError, match="listed ids"):
        ListedIds(tmp_path / "nowhere" / "v.db")


def test_vault_path_with_uri_characters(tmp_path: Path) -> None:
    """Spaces, '#', '?' and '%' in the vault's path do not break the read-only attach."""
    folder = tmp_path / "a dir #1 ?x%20"
    folder.mkdir()
    with Vault(folder / "v a#?.db") as vault:
        run_id = _run(vault)
        _store(vault, run_id, "users", "1")
        with ListedIds(vault.path) as ledger:
            ledger.add("users", BEFORE, ["1", "2"])
            ledger.add("users", AFTER, ["1", "2"])
            assert ledger.compare("users", run_id) == (["2"], [])


def test_sqlite_errors_become_vault_errors(vault: Vault) -> None:
    """A failing scratch file (here: closed under it) is a VaultError naming the action."""
    ledger = ListedIds(vault.path)
    ledger._conn.close()  # as if the temporary file had gone bad
    with pytest.raises(VaultError, match="record listed ids"):
        ledger.add("users", BEFORE, ["1"])
