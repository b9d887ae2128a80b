"""The extraction pipeline against the in-process mock Looker (httpx.ASGITransport, no sockets)."""

from __future__ import annotations

import sqlite3
import threading
import unicodedata
from pathlib import Path

import anyio
import httpx
import orjson
import pytest

from lookervault.backup.context import Queued
from lookervault.backup.run import ExtractOptions, _waiting_batches, extract
from lookervault.content import CONTENT_TYPES
from lookervault.learned_rate import LearnedRate
from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.metrics import PACE_KEY
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.mock.data import generate
from lookervault.settings import ConnectionSettings
from lookervault.vault.records import Batch
from lookervault.vault.store import Vault
from lookervault.vault.writer import BATCHES_PER_COMMIT
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


class _Recording(httpx.AsyncBaseTransport):
    """Wraps a transport and logs ("start"|"end", path, query) in the order things happen."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.events: list[tuple[str, str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.url.path, request.url.query.decode())
        self.events.append(("start", *key))
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.events.append(("end", *key))
        return response


def _dashboard_pages(events: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """(start|end, query) of dashboards pages, not of id listings."""
    return [
        (kind, query)
        for kind, path, query in events
        if path.endswith("/dashboards/search") and "fields=id" not in query
    ]


async def _extract_dashboards_recorded(
    tmp_path: Path, *, latency_ms: float, page_size: int
) -> tuple[MockLooker, _Recording]:
    """A complete dashboards-only run against a slowed mock, every request recorded."""
    mock = MockLooker(MockOptions(preset="tiny", latency_ms=latency_ms))
    recording = _Recording(httpx.ASGITransport(app=mock))
    with Vault(tmp_path / "v.db") as vault:
        # A rate far above the mock's: requests are not paced, so their order is the client's.
        options = ExtractOptions(
            content_types=("dashboards",),
            workers=2,
            page_size=page_size,
            rate_limit_per_second=10_000,
        )
        result = await extract(_settings(), vault, options, transport=recording)
    assert result.status == "complete"
    return mock, recording


async def test_first_page_goes_out_while_ids_are_listed(tmp_path: Path) -> None:
    """Paging does not wait for the id listing: page 0 is requested before the listing answers."""
    mock, recording = await _extract_dashboards_recorded(tmp_path, latency_ms=20, page_size=5)
    listing = [i for i, e in enumerate(recording.events) if "fields=id" in e[2]]
    first_page = next(
        i
        for i, e in enumerate(recording.events)
        if "offset=0" in e[2] and e[0] == "start" and "fields=id" not in e[2]
    )
    first_listing_end = next(i for i in listing if recording.events[i][0] == "end")
    assert first_page < first_listing_end
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["dashboards"])


async def test_big_pages_are_fetched_one_at_a_time_past_the_byte_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a budget smaller than one page, once a page's size is known pages go one by one."""
    monkeypatch.setattr("lookervault.backup.run.PAGE_MEMORY_BUDGET_BYTES", 1)
    mock, recording = await _extract_dashboards_recorded(tmp_path, latency_ms=5, page_size=2)
    pages = _dashboard_pages(recording.events)
    # Once a page of each variant has come back, every later page reserves more than the budget.
    settled = max(pages.index(("end", q)) for kind, q in pages[:2] if kind == "start")
    in_flight = {q for i, (kind, q) in enumerate(pages[: settled + 1]) if kind == "start"} - {
        q for kind, q in pages[: settled + 1] if kind == "end"
    }
    most = len(in_flight)
    for kind, query in pages[settled + 1 :]:
        (in_flight.add if kind == "start" else in_flight.discard)(query)
        most = max(most, len(in_flight))
    assert len(pages) > 6 and most == 1
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["dashboards"])


async def test_a_writer_takes_the_batches_waiting_behind_the_next_one() -> None:
    """Waiting batches are taken together, at most BATCHES_PER_COMMIT; an ended stream ends it."""
    send, receive = anyio.create_memory_object_stream[Queued](max_buffer_size=100)
    queued = [("looks", Batch(1, checkpoints=(("looks", str(n)),)), None) for n in range(40)]
    async with send, receive:
        for one in queued:
            send.send_nowait(one)
        assert await _waiting_batches(receive) == queued[:BATCHES_PER_COMMIT]
        assert await _waiting_batches(receive) == queued[BATCHES_PER_COMMIT:]
        send.send_nowait(queued[0])
        await send.aclose()
        assert await _waiting_batches(receive) == queued[:1]
        with pytest.raises(anyio.EndOfStream):
            await _waiting_batches(receive)


@pytest.mark.parametrize("relearn", [False, True])
async def test_the_next_run_resumes_from_the_pace_the_last_one_learned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, relearn: bool
) -> None:
    """Each run keeps what its limiter learned in its stats; the next run against the same
    Looker starts from it, unless told to relearn. Both back up everything."""
    resumed: list[LearnedRate] = []
    original = AdaptiveLimiter.resume

    def spy(self: AdaptiveLimiter, learned: LearnedRate) -> None:
        resumed.append(learned)
        original(self, learned)

    monkeypatch.setattr(AdaptiveLimiter, "resume", spy)
    mock = MockLooker(MockOptions(preset="tiny"))
    db = tmp_path / "v.db"
    await _extract(mock, db)
    assert resumed == []  # a first run has nothing to resume from
    with Vault(db) as vault:
        first = LearnedRate.from_dict(vault.runs()[-1].stats[PACE_KEY])
    assert first is not None and first.rate > 0
    caplog.set_level("INFO", logger="lookervault.backup.run")
    result = await _extract(mock, db, relearn_rate=relearn)
    assert result.status == "complete"
    said = [r.getMessage() for r in caplog.records if "pace the last run learned" in r.message]
    assert said == (
        []
        if relearn
        else [
            f"starting from the pace the last run learned: {first.rate:.1f} requests/s at its end, no limit met (--relearn-rate starts afresh)"
        ]
    )
    assert_vault_equals(db, mock.ground_truth_hashes())
    assert resumed == ([] if relearn else [first])
    with Vault(db) as vault:
        runs = vault.runs()
    assert runs[-1].options["relearn_rate"] is relearn
    assert LearnedRate.from_dict(runs[-1].stats[PACE_KEY]) is not None


async def test_a_configured_rate_leaves_no_memory(tmp_path: Path) -> None:
    mock = MockLooker(MockOptions(preset="tiny"))
    await _extract(mock, tmp_path / "v.db", rate_limit_per_second=500.0)
    with Vault(tmp_path / "v.db") as vault:
        assert PACE_KEY not in vault.runs()[-1].stats
