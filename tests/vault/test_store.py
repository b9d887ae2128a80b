"""Tests for the SQLite vault: schema, upserts, transactions, runs and concurrent writers."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import orjson
import pytest
import stamina

from lookervault.errors import VaultError
from lookervault.vault.records import Batch, Failure, ItemRecord
from lookervault.vault.schema import SCHEMA_VERSION
from lookervault.vault.store import Vault
from lookervault.vault.writer import VaultWriter

LOCK_HOLD_S = 0.5
LOCK_HOLD_DEADLINE_S = 30.0


@pytest.fixture
def vault(tmp_path: Path):
    """A fresh vault per test."""
    with Vault(tmp_path / "vault.db") as opened:
        yield opened


@pytest.fixture
def run_id(vault: Vault) -> int:
    """A started run in the fresh vault."""
    return vault.start_run(
        options={"content_types": ["dashboards"]},
        looker_url="https://looker.example.com:19999",
        looker_release="25.0.1",
        api_version="4.0",
        tool_version="0.1.0",
    )


def _item(item_id: str, content_type: str = "dashboards", **content: object) -> ItemRecord:
    return ItemRecord(content_type, item_id, {"id": item_id, **content}, title=f"t{item_id}")


def _write(vault: Vault, batch: Batch) -> None:
    with vault.writer() as writer:
        writer.write(batch)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _raw(vault: Vault, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(vault.path) as conn:
        rows = conn.execute(sql, params).fetchall()
    conn.close()
    return rows


# --- file, schema, migrations ---------------------------------------------------------------


def test_file_created_private(run_id: int, vault: Vault) -> None:
    """The vault and its -wal and -shm files are created with mode 0600."""
    _write(vault, Batch(run_id, items=(_item("1"),)))
    assert _mode(vault.path) == 0o600
    for suffix in ("-wal", "-shm"):
        companion = vault.path.with_name(vault.path.name + suffix)
        assert companion.exists()
        assert _mode(companion) == 0o600


def test_private_despite_permissive_umask(tmp_path: Path) -> None:
    """The mode is 0600 whatever the umask."""
    old = os.umask(0)
    try:
        with Vault(tmp_path / "v.db") as opened:
            assert _mode(opened.path) == 0o600
    finally:
        os.umask(old)


def test_wal_and_user_version(vault: Vault) -> None:
    """The vault uses WAL and records the schema version."""
    assert _raw(vault, "PRAGMA journal_mode") == [("wal",)]
    assert _raw(vault, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_reopen_runs_no_migration(tmp_path: Path) -> None:
    """Opening an existing vault applies no migration again."""
    path = tmp_path / "v.db"
    with Vault(path) as first:
        assert first.applied_migrations == ("initial", "history")
        before = _raw(first, 'SELECT * FROM "migrations"')
    with Vault(path) as second:
        assert second.applied_migrations == ()
        assert _raw(second, 'SELECT * FROM "migrations"') == before
    assert len(before) == SCHEMA_VERSION


def test_missing_directory(tmp_path: Path) -> None:
    """A path in a missing directory is refused, by check_path and by Vault."""
    path = tmp_path / "missing" / "v.db"
    with pytest.raises(VaultError, match="cannot create vault at .*does not exist"):
        Vault.check_path(path)
    with pytest.raises(VaultError, match="cannot create vault at"):
        Vault(path)
    assert not path.parent.exists()


def test_path_under_regular_file(tmp_path: Path) -> None:
    """A path whose parent is a regular file is refused (even for root)."""
    parent = tmp_path / "file"
    parent.write_text("x")
    with pytest.raises(VaultError, match="is not a directory"):
        Vault.check_path(parent / "v.db")
    with pytest.raises(VaultError, match="cannot create vault at"):
        Vault(parent / "v.db")


def test_read_only_directory(tmp_path: Path) -> None:
    """A path in a read-only directory is refused."""
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        if os.access(directory, os.W_OK):
            pytest.skip("running as root: a read-only directory is still writable")
        with pytest.raises(VaultError, match="read-only"):
            Vault.check_path(directory / "v.db")
        with pytest.raises(VaultError, match="cannot create vault at"):
            Vault(directory / "v.db")
    finally:
        directory.chmod(0o700)


def test_check_path_creates_nothing(tmp_path: Path) -> None:
    """check_path accepts a fresh path without creating the file."""
    Vault.check_path(tmp_path / "v.db")
    assert not (tmp_path / "v.db").exists()


def test_not_a_sqlite_file(tmp_path: Path) -> None:
    """An existing file that is not SQLite is refused, not overwritten."""
    path = tmp_path / "notes.txt"
    path.write_text("my notes, not a database\n")
    with pytest.raises(VaultError, match="not a SQLite database"):
        Vault(path)
    assert path.read_text() == "my notes, not a database\n"


def test_foreign_sqlite_database(tmp_path: Path) -> None:
    """A SQLite database that is not a vault is refused."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(VaultError, match="not a LookerVault database"):
        Vault(path)


def test_newer_schema_refused(tmp_path: Path) -> None:
    """A vault written by a newer lookervault is refused."""
    path = tmp_path / "v.db"
    Vault(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(VaultError, match="newer"):
        Vault(path)


def test_closed_vault(tmp_path: Path) -> None:
    """Using a closed vault or writer raises VaultError, never a raw sqlite3 error."""
    opened = Vault(tmp_path / "v.db")
    writer = opened.writer()
    opened.close()
    opened.close()
    writer.close()
    with pytest.raises(VaultError, match="closed"):
        opened.counts()
    with pytest.raises(VaultError, match="closed"):
        writer.write(Batch(1, items=(_item("1"),)))


# --- items ----------------------------------------------------------------------------------


def test_upsert_keeps_one_row(vault: Vault, run_id: int) -> None:
    """Writing the same item twice keeps one row with the newer content."""
    _write(vault, Batch(run_id, items=(_item("1", v=1),)))
    _write(vault, Batch(run_id, items=(_item("1", v=2),)))
    assert [orjson.loads(content) for _, _, content in vault.iter_items()] == [{"id": "1", "v": 2}]
    assert vault.counts() == {"dashboards": 1}


def test_columns_size_and_hash(vault: Vault, run_id: int) -> None:
    """The lifted columns, size and sha256 hash are stored beside the content."""
    record = ItemRecord("looks", "7", {"id": 7}, "Look", "3", "9", "2024", "2025", deleted=True)
    _write(vault, Batch(run_id, items=(record,)))
    row = _raw(
        vault,
        'SELECT "title", "folder_id", "owner_id", "created_at", "updated_at", "deleted", '
        '"size", "content_hash", "run_id", "extracted_at" FROM "items"',
    )[0]
    data = orjson.dumps({"id": 7})
    assert row[:9] == (
        "Look",
        "3",
        "9",
        "2024",
        "2025",
        1,
        len(data),
        hashlib.sha256(data).hexdigest(),
        run_id,
    )
    assert row[9].endswith("+00:00")


LOSSLESS_PAYLOAD = {
    "id": "42",
    "title": "Café ☕ sales",
    "a_field_looker_added_later": {"nested": [[1, [2, [3, None]]], [], {}]},
    "description": None,
    "nfc": "\u00e9",
    "nfd": "e\u0301",
    "emoji": "👩‍👩‍👧‍👦 🏳️‍🌈 👍🏽",
    "control": 'tab\tnewline\nquote"backslash\\',
    "big": 2**70,
    "negative_big": -(2**70),
    "float": 0.1,
    "flags": [True, False, None],
}


@pytest.mark.parametrize("with_big_int", [True, False], ids=["stdlib-json", "orjson"])
def test_lossless_round_trip(vault: Vault, run_id: int, with_big_int: bool) -> None:
    """Unknown fields, nulls, nesting, NFC/NFD, emoji and big ints survive byte for byte."""
    payload = dict(LOSSLESS_PAYLOAD)
    if not with_big_int:
        del payload["big"], payload["negative_big"]
    _write(vault, Batch(run_id, items=(ItemRecord("dashboards", "42", payload),)))
    [(_, _, content)] = list(vault.iter_items())
    assert isinstance(content, bytes)
    assert content == json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    restored = json.loads(content)
    assert restored == payload
    assert restored["nfc"] != restored["nfd"]
    assert restored["nfd"] == "e\u0301"


def test_lone_surrogate_kept(vault: Vault, run_id: int) -> None:
    """A lone surrogate (legal in JSON text) is kept as a \\u escape."""
    payload = {"odd": "\ud800"}
    _write(vault, Batch(run_id, items=(ItemRecord("looks", "1", payload),)))
    [(_, _, content)] = list(vault.iter_items())
    assert json.loads(content) == payload


def test_large_batch_is_chunked(vault: Vault, run_id: int) -> None:
    """A batch larger than one statement allows is written whole."""
    items = tuple(_item(str(n)) for n in range(3000))
    _write(vault, Batch(run_id, items=items))
    assert vault.counts() == {"dashboards": 3000}


def test_item_without_id_rejected(vault: Vault, run_id: int) -> None:
    """An item without an id is refused and nothing of its batch is written."""
    batch = Batch(
        run_id,
        items=(_item("1"), ItemRecord("dashboards", "", {"x": 1})),
        checkpoints=(("dashboards", "offset=0"),),
    )
    with pytest.raises(VaultError, match="without an item_id"):
        _write(vault, batch)
    assert vault.counts() == {}
    assert vault.checkpoints(run_id, "dashboards") == set()


def test_unknown_run_rejected(vault: Vault) -> None:
    """A batch for a run that does not exist fails as a VaultError."""
    with pytest.raises(VaultError, match="FOREIGN KEY"):
        _write(vault, Batch(999, items=(_item("1"),)))


FAIL_ON_ITEM = """CREATE TRIGGER "boom" BEFORE INSERT ON "items" WHEN NEW."item_id" = 'bad'
BEGIN SELECT RAISE(ABORT, 'injected failure'); END"""
FAIL_ON_FAILURE = """CREATE TRIGGER "boom" BEFORE INSERT ON "failures"
BEGIN SELECT RAISE(ABORT, 'injected failure'); END"""


@pytest.mark.parametrize("trigger", [FAIL_ON_ITEM, FAIL_ON_FAILURE], ids=["items", "failures"])
def test_batch_is_atomic(vault: Vault, run_id: int, trigger: str) -> None:
    """A write failing midway leaves neither the batch's items nor its checkpoint."""
    with sqlite3.connect(vault.path) as conn:
        conn.execute(trigger)
    conn.close()
    items = (*(_item(str(n)) for n in range(10)), _item("bad"))
    batch = Batch(
        run_id,
        items=items,
        checkpoints=(("dashboards", "offset=0"),),
        failures=(Failure("dashboards", "item:77", "HTTP 500"),),
    )
    with vault.writer(rows_per_statement=3) as writer, pytest.raises(VaultError, match="injected"):
        writer.write(batch)
    assert vault.counts() == {}
    assert vault.checkpoints(run_id, "dashboards") == set()
    assert vault.failures(run_id) == []


# --- checkpoints, failures, gone --------------------------------------------------------------


def test_failures_cleared_by_checkpoint(vault: Vault, run_id: int) -> None:
    """A failure is recorded, counted again on repeat, and cleared once its key is checkpointed."""
    failure = Failure("looks", "deleted=true:offset=200", "HTTP 500\nInternal Server Error")
    _write(vault, Batch(run_id, failures=(failure,)))
    _write(vault, Batch(run_id, failures=(failure,)))
    assert vault.failures(run_id) == [
        Failure("looks", "deleted=true:offset=200", "HTTP 500 Internal Server Error")
    ]
    assert _raw(vault, 'SELECT "attempts" FROM "failures"') == [(2,)]
    _write(vault, Batch(run_id, checkpoints=(("looks", "deleted=true:offset=200"),)))
    assert vault.failures(run_id) == []
    assert vault.checkpoints(run_id, "looks") == {"deleted=true:offset=200"}
    assert vault.checkpoints(run_id, "dashboards") == set()


def test_record_gone_and_rewrite(vault: Vault, run_id: int) -> None:
    """Gone items leave counts, ids and exports; re-writing an item clears its gone mark."""
    _write(vault, Batch(run_id, items=(_item("1"), _item("2"), _item("3"))))
    _write(vault, Batch(run_id, gone=(("dashboards", "3"),)))
    assert vault.record_gone(run_id, "dashboards", ["2", "2", "404"]) == 1
    assert vault.item_ids("dashboards") == {"1"}
    assert vault.counts() == {"dashboards": 1}
    _write(vault, Batch(run_id, items=(_item("2"),)))
    assert vault.item_ids("dashboards") == {"1", "2"}
    assert _raw(vault, 'SELECT "gone_run_id" FROM "items" WHERE "item_id" = ?', ("2",)) == [(None,)]


def test_mark_unseen_gone(vault: Vault, run_id: int) -> None:
    """Items the new run did not write are marked gone, per content type only."""
    _write(vault, Batch(run_id, items=(_item("1"), _item("2"), _item("9", "looks"))))
    vault.finish_run(run_id, status="complete", counts={}, stats={})
    second = vault.start_run(
        options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
    )
    _write(vault, Batch(second, items=(_item("2"),)))
    assert vault.item_ids("dashboards", run_id=second) == {"2"}
    assert vault.item_ids("dashboards", run_id=run_id) == {"1"}
    assert vault.mark_unseen_gone(second, "dashboards") == 1
    assert vault.mark_unseen_gone(second, "dashboards") == 0
    assert vault.item_ids("dashboards") == {"2"}
    assert vault.item_ids("looks") == {"9"}


# --- runs -------------------------------------------------------------------------------------


def test_resumable_and_reopen(vault: Vault, run_id: int) -> None:
    """An unfinished latest run is resumable; reopening counts the resume; complete is not."""
    assert vault.resumable_run() == run_id
    vault.finish_run(run_id, status="interrupted", counts={"dashboards": 1}, stats={})
    assert vault.resumable_run() == run_id
    vault.reopen_run(run_id)
    [run] = vault.runs()
    assert (run.status, run.resumes, run.finished_at) == ("running", 1, None)
    vault.finish_run(run_id, status="complete", counts={}, stats={})
    assert vault.resumable_run() is None


def test_no_runs_not_resumable(vault: Vault) -> None:
    """An empty vault has nothing to resume, and unknown runs cannot be reopened."""
    assert vault.resumable_run() is None
    with pytest.raises(VaultError, match="no such run"):
        vault.reopen_run(5)


def test_runs_decoded(vault: Vault, run_id: int) -> None:
    """runs() decodes options, counts and stats and never keeps secrets."""
    other = vault.start_run(
        options={"client_secret": "s3cr3t", "types": ("looks",), "nested": {"access_token": "t"}},
        looker_url="https://user:pw@looker.example.com/path?token=abc",
        looker_release=None,
        api_version=None,
        tool_version="0.1.0",
    )
    stats = {
        "requests": 10,
        "retries": 1,
        "rate_limited": 0,
        "errors": 0,
        "bytes": 5,
        "elapsed_s": 1.5,
        "huge": 2**70,
    }
    vault.finish_run(other, status="partial", counts={"looks": 3}, stats=stats)
    first, second = vault.runs()
    assert first.run_id == run_id and first.options == {"content_types": ["dashboards"]}
    assert first.counts == {} and first.status == "running"
    assert second.options == {
        "client_secret": "<redacted>",
        "types": ["looks"],
        "nested": {"access_token": "<redacted>"},
    }
    assert second.looker_url == "https://looker.example.com/path"
    assert (second.status, second.counts, second.stats) == ("partial", {"looks": 3}, stats)
    assert "s3cr3t" not in vault.path.read_bytes().decode("latin-1")


def test_unknown_status_rejected(vault: Vault, run_id: int) -> None:
    """finish_run refuses a status outside the documented set."""
    with pytest.raises(VaultError, match="unknown run status"):
        vault.finish_run(run_id, status="done", counts={}, stats={})


# --- queries ----------------------------------------------------------------------------------


def test_iter_items_order_and_filter(vault: Vault, run_id: int) -> None:
    """iter_items streams by type then id, skips gone items and filters by type."""
    items = (_item("b"), _item("a", "looks"), _item("a"), _item("c"), _item("z", "boards"))
    _write(vault, Batch(run_id, items=items, gone=(("dashboards", "c"),)))
    keys = [(content_type, item_id) for content_type, item_id, _ in vault.iter_items()]
    assert keys == [("boards", "z"), ("dashboards", "a"), ("dashboards", "b"), ("looks", "a")]
    only = [(t, i) for t, i, _ in vault.iter_items(["looks", "dashboards", "looks"])]
    assert only == [("dashboards", "a"), ("dashboards", "b"), ("looks", "a")]
    assert list(vault.iter_items([])) == []
    assert vault.counts() == {"boards": 1, "dashboards": 2, "looks": 1}


# --- concurrency ------------------------------------------------------------------------------


def _write_batches(writer: VaultWriter, run_id: int, prefix: str, batches: int, size: int) -> None:
    for number in range(batches):
        items = tuple(_item(f"{prefix}-{number}-{n}") for n in range(size))
        writer.write(
            Batch(run_id, items=items, checkpoints=(("dashboards", f"{prefix}:{number}"),))
        )


def _run_writers_with(
    writers: list[VaultWriter], run_id: int, batches: int, size: int
) -> list[BaseException]:
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with writers[index]:
                _write_batches(writers[index], run_id, f"w{index}", batches, size)
        except BaseException as exc:  # surfaced in the main thread by the caller
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(len(writers))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


def test_busy_retries_lose_nothing(vault: Vault, run_id: int) -> None:
    """Writers blocked by another connection's write lock retry and lose no item."""
    stamina.set_testing(False)  # real, jittered backoff: the lock outlives the busy timeout
    writers = [vault.writer() for _ in range(4)]
    locked = threading.Event()

    def hold_lock() -> None:
        conn = sqlite3.connect(vault.path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(LOCK_HOLD_S)
        # On a loaded machine the writers may start late: hold on until one has retried.
        deadline = time.monotonic() + LOCK_HOLD_DEADLINE_S
        while not any(w.retries for w in writers) and time.monotonic() < deadline:
            time.sleep(0.01)
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    locked.wait()
    errors = _run_writers_with(writers, run_id, batches=50, size=5)
    holder.join()
    assert errors == []
    assert vault.counts() == {"dashboards": 4 * 50 * 5}
    assert len(vault.checkpoints(run_id, "dashboards")) == 4 * 50
    assert sum(writer.retries for writer in writers) > 0


def test_exhausted_retries_raise_vault_error(vault: Vault, run_id: int) -> None:
    """A lock held past the retry budget surfaces as VaultError, not sqlite3's error."""
    conn = sqlite3.connect(vault.path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        with vault.writer(busy_timeout_ms=1) as writer:
            with pytest.raises(VaultError, match="locked"):
                writer.write(Batch(run_id, items=(_item("1"),)))
            assert writer.retries == 2  # test mode: 3 attempts
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert vault.counts() == {}


@pytest.mark.parametrize("share_lock", [True, False], ids=["shared-lock", "stamina-only"])
def test_many_writers_exact_count(vault: Vault, run_id: int, share_lock: bool) -> None:
    """Eight writer threads of 100 batches of 50 items end with the exact item count."""
    if not share_lock:
        stamina.set_testing(False)  # threads contend in SQLite: use the real retry budget
    writers = [vault.writer(share_lock=share_lock) for _ in range(8)]
    assert _run_writers_with(writers, run_id, batches=100, size=50) == []
    assert vault.counts() == {"dashboards": 8 * 100 * 50}
    assert sum(writer.batches_written for writer in writers) == 800
    assert sum(writer.items_written for writer in writers) == 40_000
    if share_lock:
        assert sum(writer.retries for writer in writers) == 0


# --- schema 1 -> 2 migration ------------------------------------------------------------------

V1_RUN = (
    'INSERT INTO "runs" ("run_id", "started_at", "finished_at", "status", "counts", '
    '"looker_url", "tool_version") VALUES (?, ?, ?, ?, ?, ?, ?)'
)
V1_ITEM = (
    'INSERT INTO "items" ("content_type", "item_id", "content", "title", "folder_id", '
    '"owner_id", "created_at", "updated_at", "deleted", "size", "content_hash", "run_id", '
    '"extracted_at", "gone_run_id", "gone_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
)


def _v1_vault(path: Path) -> dict[tuple[str, str], bytes]:
    """A schema-1 vault built from the v1 DDL: two runs, a shared content, a gone item."""
    from lookervault.vault.schema import MIGRATIONS

    contents = {
        ("dashboards", "1"): b'{"id":"1","title":"One"}',
        ("dashboards", "2"): b'{"id":"2","title":"Two"}',
        ("content_metadata_access", "7"): b"[]",
        ("content_metadata_access", "8"): b"[]",  # same bytes as 7: stored once after migration
        ("looks", "3"): b'{"id":"3","deleted":true}',
    }
    conn = sqlite3.connect(path)
    with conn:
        for statement in MIGRATIONS[0].statements:
            conn.execute(statement)
        conn.execute(
            'CREATE TABLE "migrations" ("version" INTEGER PRIMARY KEY, "name" TEXT NOT NULL, "applied_at" TEXT NOT NULL)'
        )
        conn.execute("INSERT INTO migrations VALUES (1, 'initial', 'then')")
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            V1_RUN,
            (
                1,
                "2025-01-01T00:00:00+00:00",
                "2025-01-01T00:01:00+00:00",
                "complete",
                '{"dashboards":2}',
                "u",
                "0",
            ),
        )
        conn.execute(
            V1_RUN,
            (
                2,
                "2025-01-02T00:00:00+00:00",
                "2025-01-02T00:01:00+00:00",
                "complete",
                '{"dashboards":1}',
                "u",
                "0",
            ),
        )
        for (content_type, item_id), data in contents.items():
            run = 2 if item_id in ("1", "3", "7", "8") else 1
            gone = 2 if item_id == "2" else None
            conn.execute(V1_ITEM, (
                content_type, item_id, data, f"t{item_id}", "5", None, None, None,
                int(item_id == "3"), len(data), hashlib.sha256(data).hexdigest(), run, "x",
                gone, "y" if gone else None,
            ))  # fmt: skip
    conn.close()
    return contents


def test_migrates_schema_1_without_loss(tmp_path: Path) -> None:
    """A schema-1 vault opens, migrates to the current schema and keeps every item and run."""
    path = tmp_path / "v1.db"
    contents = _v1_vault(path)
    with Vault(path) as vault:
        assert vault.applied_migrations == ("history",)
        latest = {(t, i): c for t, i, c in vault.iter_items()}
        assert latest == {k: v for k, v in contents.items() if k != ("dashboards", "2")}
        assert vault.item_ids("dashboards") == {"1"}
        assert vault.item_ids("dashboards", run_id=1) == set()
        assert [r.history for r in vault.runs()] == ["latest-only", "latest-only"]
        assert [r.counts for r in vault.runs()] == [{"dashboards": 2}, {"dashboards": 1}]
        run1 = {(t, i): c for t, i, c in vault.iter_items(run_id=1)}
        assert run1 == {("dashboards", "2"): contents[("dashboards", "2")]}
        assert _raw(vault, 'SELECT COUNT(*) FROM "blobs"') == [(4,)]
        assert _raw(vault, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert _raw(vault, "PRAGMA integrity_check") == [("ok",)]
        # The migrated vault takes new runs like a fresh one.
        run = vault.start_run(
            options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
        )
        _write(vault, Batch(run, items=(_item("1"),)))
        assert vault.item_ids("dashboards", run_id=run) == {"1"}
    with Vault(path) as again:
        assert again.applied_migrations == ()


# --- history ----------------------------------------------------------------------------------


def test_unchanged_content_stored_once(vault: Vault, run_id: int) -> None:
    """A second run that sees the same content adds rows to its snapshot but no content."""
    _write(vault, Batch(run_id, items=(_item("1"), _item("2"))))
    vault.finish_run(run_id, status="complete", counts={"dashboards": 2}, stats={})
    second = vault.start_run(
        options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
    )
    _write(vault, Batch(second, items=(_item("1"), _item("2", v=2))))
    assert _raw(vault, 'SELECT COUNT(*) FROM "blobs"') == [(3,)]
    first = {i: orjson.loads(c) for _, i, c in vault.iter_items(run_id=run_id)}
    assert first == {"1": {"id": "1"}, "2": {"id": "2"}}
    latest = {i: orjson.loads(c) for _, i, c in vault.iter_items(run_id=second)}
    assert latest == {"1": {"id": "1"}, "2": {"id": "2", "v": 2}}


def test_same_item_twice_in_a_batch(vault: Vault, run_id: int) -> None:
    """The last write of an item within one batch wins, as across batches."""
    _write(vault, Batch(run_id, items=(_item("1", v=1), _item("1", v=2))))
    assert [orjson.loads(c) for _, _, c in vault.iter_items(run_id=run_id)] == [{"id": "1", "v": 2}]


def test_gone_is_in_the_run_snapshot(vault: Vault, run_id: int) -> None:
    """Items a run marks gone leave that run's snapshot but stay in the earlier one."""
    _write(vault, Batch(run_id, items=(_item("1"), _item("2"))))
    second = vault.start_run(
        options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
    )
    _write(vault, Batch(second, items=(_item("1"),)))
    assert vault.mark_unseen_gone(second, "dashboards") == 1
    assert [i for _, i, _ in vault.iter_items(run_id=run_id)] == ["1", "2"]
    assert [i for _, i, _ in vault.iter_items(run_id=second)] == ["1"]
    rows = _raw(vault, 'SELECT "version_id" IS NULL FROM "run_items" WHERE "run_id" = ?', (second,))
    assert sorted(rows) == [(0,), (1,)]
