"""The vault's restore tables: restores, the id map and steps, and what --resume looks for."""

from __future__ import annotations

from pathlib import Path

from lookervault.vault.restores import PENDING, RestoreLedger
from lookervault.vault.store import Vault


def test_a_create_is_pending_until_recorded(tmp_path: Path) -> None:
    """intend -> pending; record -> done and mapped, in one step row."""
    with Vault(tmp_path / "v.db") as vault:
        ledger = RestoreLedger(vault)
        rid = ledger.start(1, {"wanted": {}}, "https://looker")
        ledger.intend(rid, "dashboards", "7", "CREATE")
        assert ledger.pending() == {("dashboards", "7")}
        assert [s.status for s in ledger.steps(rid)] == [PENDING]
        ledger.record(rid, "dashboards", "7", "CREATE", "17")
        assert ledger.pending() == set()
        assert ledger.id_map() == {"dashboards": {"7": "17"}}
        assert [(s.status, s.target_id) for s in ledger.steps(rid)] == [("done", "17")]


def test_same_id_is_not_mapped(tmp_path: Path) -> None:
    """An object brought back with its own id (undelete) needs no mapping."""
    with Vault(tmp_path / "v.db") as vault:
        ledger = RestoreLedger(vault)
        rid = ledger.start(None, {}, "u")
        ledger.record(rid, "looks", "3", "UNDELETE", "3")
        assert ledger.id_map() == {}


def test_failed_step_stays_pending_for_a_later_restore(tmp_path: Path) -> None:
    """A failed create may have happened: pending until a later restore records it done."""
    with Vault(tmp_path / "v.db") as vault:
        ledger = RestoreLedger(vault)
        first = ledger.start(None, {}, "u")
        ledger.fail(first, "looks", "3", "CREATE", "POST /looks failed: 403")
        ledger.finish(first, "partial")
        assert ledger.pending() == {("looks", "3")}
        assert ledger.last_unfinished() is not None
        second = ledger.start(None, {}, "u")
        ledger.record(second, "looks", "3", "CREATE", "30")
        ledger.finish(second, "ok")
        assert ledger.pending() == set()
        assert ledger.last_unfinished() is None
        assert [r.status for r in ledger.restores()] == ["partial", "ok"]


def test_map_before_done_survives_reopen(tmp_path: Path) -> None:
    """A mapping written before the step is done is there after the vault is reopened."""
    path = tmp_path / "v.db"
    with Vault(path) as vault:
        ledger = RestoreLedger(vault)
        rid = ledger.start(None, {}, "u")
        ledger.intend(rid, "dashboards", "7", "CREATE")
        ledger.map(rid, "dashboards", "7", "17")
    with Vault(path) as vault:
        ledger = RestoreLedger(vault)
        assert ledger.id_map() == {"dashboards": {"7": "17"}}
        assert ledger.pending() == {("dashboards", "7")}
