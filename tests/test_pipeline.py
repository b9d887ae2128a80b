"""The extraction pipeline against the in-process mock Looker (httpx.ASGITransport, no sockets)."""

from __future__ import annotations

import sqlite3
import threading
import unicodedata
from pathlib import Path

import httpx
import orjson
import pytest

from lookervault.config import ConnectionSettings
from lookervault.content import CONTENT_TYPES
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.data import generate
from lookervault.pipeline import ExtractOptions, extract
from lookervault.vault import Vault
from tests.support import assert_vault_equals

pytestmark = pytest.mark.anyio

_MOCK = MockOptions()


def _settings() -> ConnectionSettings:
    return ConnectionSettings(
        base_url="http://mock", client_id=_MOCK.client_id, client_secret=_MOCK.client_secret
    )


async def _extract(mock: MockLooker, db: Path, **options) -> object:
    options.setdefault("workers", 3)
    options.setdefault("page_size", 5)
    with Vault(db) as vault:
        return await extract(
            _settings(), vault, ExtractOptions(**options), transport=httpx.ASGITransport(app=mock)
        )


async def test_every_content_type_equals_ground_truth(tmp_path: Path) -> None:
    """A full run stores every item of every type exactly as the server holds it."""
    mock = MockLooker(MockOptions(preset="tiny"))
    result = await _extract(mock, tmp_path / "v.db")
    assert result.status == "complete"
    truth = mock.ground_truth_hashes()
    assert set(truth) == {ct.name for ct in CONTENT_TYPES}
    assert_vault_equals(tmp_path / "v.db", truth)
    assert result.items == {name: len(items) for name, items in truth.items()}


async def test_unknown_fields_nulls_and_unicode_survive_unchanged(tmp_path: Path) -> None:
    """Fields this code never heard of, nulls, NFD accents and emoji come back byte-identical."""
    data = generate(seed=3, preset="tiny")
    first = next(iter(data.objects["dashboards"]))
    nfd = unicodedata.normalize("NFD", "Café résumé")
    odd = {
        "x_future_field": {"nested": [1, None, {"deep": "👩‍💻"}], "big": 2**63 - 1},
        "title": f"{nfd} 🇫🇷 👩‍👩‍👧",
        "description": None,
    }
    data.objects["dashboards"][first].update(odd)
    mock = MockLooker(MockOptions(preset="tiny", seed=3), data=data)
    await _extract(mock, tmp_path / "v.db", content_types=("dashboards",))
    with Vault(tmp_path / "v.db") as vault:
        stored = {i: c for t, i, c in vault.iter_items(["dashboards"]) if i == first}
    content = orjson.loads(stored[first])
    for key, value in odd.items():
        assert content[key] == value
    assert nfd.encode() in stored[first] and unicodedata.is_normalized("NFD", content["title"][:11])
    assert content == data.objects["dashboards"][first]
    assert stored[first] == orjson.dumps(data.objects["dashboards"][first])  # the very bytes sent


async def test_trash_is_backed_up_with_its_deleted_flag(tmp_path: Path) -> None:
    """Soft-deleted dashboards and looks, which search shows only with deleted=true, are kept."""
    mock = MockLooker(MockOptions(preset="tiny"))
    await _extract(mock, tmp_path / "v.db", content_types=("dashboards", "looks"))
    trashed = {
        (t, i)
        for t in ("dashboards", "looks")
        for i, o in mock.ground_truth()[t].items()
        if o.get("deleted")
    }
    assert trashed
    with sqlite3.connect(tmp_path / "v.db") as conn:
        rows = set(conn.execute("SELECT content_type, item_id FROM items WHERE deleted = 1"))
    assert rows == trashed


async def test_faults_end_complete_or_partial_and_resume_completes(tmp_path: Path) -> None:
    """With 5xx and dropped responses a run never loses data silently; --resume finishes it."""
    mock = MockLooker(MockOptions(preset="tiny", seed=5, fault_rate=0.3))
    db = tmp_path / "v.db"
    first = await _extract(mock, db)
    assert first.status in {"complete", "partial"}
    if first.status == "partial":
        with Vault(db) as vault:
            assert vault.failures(first.run_id) == first.failures != []
    healed = MockLooker(MockOptions(preset="tiny", seed=5), data=mock.data)
    second = await _extract(healed, db, resume=True)
    assert second.status == "complete"
    assert second.run_id == first.run_id or first.status == "complete"
    assert_vault_equals(db, healed.ground_truth_hashes())


async def test_rerun_updates_in_place_without_duplicates(tmp_path: Path) -> None:
    """Two runs of the same instance leave one row per item."""
    mock = MockLooker(MockOptions(preset="tiny"))
    db = tmp_path / "v.db"
    await _extract(mock, db)
    await _extract(mock, db)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT count(*) FROM items").fetchone()[0]
    assert rows == sum(len(v) for v in mock.ground_truth_hashes().values())


async def test_mutation_during_run_misses_nothing_that_existed_throughout(tmp_path: Path) -> None:
    """Items created, updated and deleted while paging: everything present throughout is backed up."""
    data = generate(seed=9, preset="tiny")
    before = {t: set(ids) for t, ids in data.objects.items()}
    mock = MockLooker(MockOptions(preset="tiny", seed=9, mutate_every=3), data=data)
    result = await _extract(mock, tmp_path / "v.db", page_size=3)
    assert result.status == "complete"
    after = mock.ground_truth()
    with Vault(tmp_path / "v.db") as vault:
        for name, ids in before.items():
            throughout = ids & set(after[name])
            assert throughout <= vault.item_ids(name), name


async def test_writers_retry_while_another_connection_holds_the_write_lock(tmp_path: Path) -> None:
    """SQLITE_BUSY from an outside writer is retried by the writer threads and nothing is lost."""
    db = tmp_path / "v.db"
    Vault(db).close()
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(1.0)
        conn.execute("ROLLBACK")
        conn.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    locked.wait()
    mock = MockLooker(MockOptions(preset="tiny"))
    try:
        result = await _extract(mock, db, content_types=("dashboards", "users"))
    finally:
        release.set()
        holder.join()
    assert result.status == "complete"
    assert_vault_equals(db, mock.ground_truth_hashes(), ["dashboards", "users"])
