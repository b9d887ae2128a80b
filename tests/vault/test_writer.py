"""Tests for VaultWriter: upserts, lossless content, atomic batches, content stored once."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import orjson
import pytest

from lookervault.errors import VaultError
from lookervault.vault.records import Batch, Failure, ItemRecord
from lookervault.vault.store import Vault
from lookervault.vault.writer import VaultWriter
from tests.vault.support import make_item, raw_rows, write_batch

# --- items ---------------------------------------------------------------------------------------


def test_upsert_keeps_one_row(vault: Vault, run_id: int) -> None:
    """Writing the same item twice keeps one row with the newer content."""
    write_batch(vault, Batch(run_id, items=(make_item("1", v=1),)))
    write_batch(vault, Batch(run_id, items=(make_item("1", v=2),)))
    assert [orjson.loads(content) for _, _, content in vault.iter_items()] == [{"id": "1", "v": 2}]
    assert vault.counts() == {"dashboards": 1}


def test_columns_size_and_hash(vault: Vault, run_id: int) -> None:
    """The lifted columns, size and sha256 hash are stored beside the content."""
    record = ItemRecord("looks", "7", {"id": 7}, "Look", "3", "9", "2024", "2025", deleted=True)
    write_batch(vault, Batch(run_id, items=(record,)))
    row = raw_rows(
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
    write_batch(vault, Batch(run_id, items=(ItemRecord("dashboards", "42", payload),)))
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
    write_batch(vault, Batch(run_id, items=(ItemRecord("looks", "1", payload),)))
    [(_, _, content)] = list(vault.iter_items())
    assert json.loads(content) == payload


def test_large_batch_is_chunked(vault: Vault, run_id: int) -> None:
    """A batch larger than one statement allows is written whole."""
    items = tuple(make_item(str(n)) for n in range(3000))
    write_batch(vault, Batch(run_id, items=items))
    assert vault.counts() == {"dashboards": 3000}


def test_item_without_id_rejected(vault: Vault, run_id: int) -> None:
    """An item without an id is refused and nothing of its batch is written."""
    batch = Batch(
        run_id,
        items=(make_item("1"), ItemRecord("dashboards", "", {"x": 1})),
        checkpoints=(("dashboards", "offset=0"),),
    )
    with pytest.raises(VaultError, match="without an item_id"):
        write_batch(vault, batch)
    assert vault.counts() == {}
    assert vault.checkpoints(run_id, "dashboards") == set()


def test_unknown_run_rejected(vault: Vault) -> None:
    """A batch for a run that does not exist fails as a VaultError."""
    with pytest.raises(VaultError, match="FOREIGN KEY"):
        write_batch(vault, Batch(999, items=(make_item("1"),)))


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
    items = (*(make_item(str(n)) for n in range(10)), make_item("bad"))
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


# --- checkpoints and failures --------------------------------------------------------------------


def test_failures_cleared_by_checkpoint(vault: Vault, run_id: int) -> None:
    """A failure is recorded, counted again on repeat, and cleared once its key is checkpointed."""
    failure = Failure("looks", "deleted=true:offset=200", "HTTP 500\nInternal Server Error")
    write_batch(vault, Batch(run_id, failures=(failure,)))
    write_batch(vault, Batch(run_id, failures=(failure,)))
    assert vault.failures(run_id) == [
        Failure("looks", "deleted=true:offset=200", "HTTP 500 Internal Server Error")
    ]
    assert raw_rows(vault, 'SELECT "attempts" FROM "failures"') == [(2,)]
    write_batch(vault, Batch(run_id, checkpoints=(("looks", "deleted=true:offset=200"),)))
    assert vault.failures(run_id) == []
    assert vault.checkpoints(run_id, "looks") == {"deleted=true:offset=200"}
    assert vault.checkpoints(run_id, "dashboards") == set()


# --- history -------------------------------------------------------------------------------------


def test_unchanged_content_stored_once(vault: Vault, run_id: int) -> None:
    """A second run that sees the same content adds rows to its snapshot but no content."""
    write_batch(vault, Batch(run_id, items=(make_item("1"), make_item("2"))))
    vault.finish_run(run_id, status="complete", counts={"dashboards": 2}, stats={})
    second = vault.start_run(
        options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
    )
    write_batch(vault, Batch(second, items=(make_item("1"), make_item("2", v=2))))
    assert raw_rows(vault, 'SELECT COUNT(*) FROM "blobs"') == [(3,)]
    first = {i: orjson.loads(c) for _, i, c in vault.iter_items(run_id=run_id)}
    assert first == {"1": {"id": "1"}, "2": {"id": "2"}}
    latest = {i: orjson.loads(c) for _, i, c in vault.iter_items(run_id=second)}
    assert latest == {"1": {"id": "1"}, "2": {"id": "2", "v": 2}}


def test_same_item_twice_in_a_batch(vault: Vault, run_id: int) -> None:
    """The last write of an item within one batch wins, as across batches."""
    write_batch(vault, Batch(run_id, items=(make_item("1", v=1), make_item("1", v=2))))
    assert [orjson.loads(c) for _, _, c in vault.iter_items(run_id=run_id)] == [{"id": "1", "v": 2}]


# --- several batches, one commit -----------------------------------------------------------------


def test_batches_written_together_commit_once_in_order(vault: Vault, run_id: int) -> None:
    """write_all commits its batches in one transaction; a later write of an item wins."""
    commits: list[int] = []
    writer = VaultWriter(vault.path, on_commit=lambda: commits.append(1))
    with writer:
        writer.write_all(
            [
                Batch(run_id, items=(make_item("1", v=1),), checkpoints=(("dashboards", "a"),)),
                Batch(run_id, items=(make_item("2"),), checkpoints=(("dashboards", "b"),)),
                Batch(run_id, items=(make_item("1", v=2),)),
            ]
        )
    assert commits == [1]
    assert (writer.batches_written, writer.items_written) == (3, 3)
    latest = {i: orjson.loads(c) for _, i, c in vault.iter_items(run_id=run_id)}
    assert latest == {"1": {"id": "1", "v": 2}, "2": {"id": "2"}}
    assert vault.checkpoints(run_id, "dashboards") == {"a", "b"}


def test_batches_written_together_fail_together(vault: Vault, run_id: int) -> None:
    """A batch that cannot be written leaves none of the batches committed with it."""
    good = Batch(run_id, items=(make_item("1"),), checkpoints=(("dashboards", "a"),))
    bad = Batch(run_id, items=(ItemRecord("dashboards", "", {"x": 1}),))
    with vault.writer() as writer, pytest.raises(VaultError, match="without an item_id"):
        writer.write_all([good, bad])
    assert vault.counts() == {}
    assert vault.checkpoints(run_id, "dashboards") == set()
