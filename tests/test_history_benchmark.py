"""Space and speed of the vault's history (benchmark: run with `pytest -m benchmark -s`)."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from lookervault.content import content_type
from lookervault.diff import diff_runs
from lookervault.history import list_items, read_item, vault_size
from lookervault.mock.data import generate
from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.store import Vault

pytestmark = pytest.mark.benchmark

# The "M" preset scaled down to about 10,000 items (same mix).
TEN_THOUSAND = {
    "dashboards": 4000, "looks": 4000, "folders": 200, "boards": 40, "users": 1000,
    "groups": 60, "roles": 10, "permission_sets": 8, "model_sets": 8, "scheduled_plans": 400,
    "lookml_models": 4, "explores": 8, "alerts": 200, "user_attributes": 12, "themes": 4,
}  # fmt: skip
BATCH = 100
RUNS = 10


def _report(line: str) -> None:
    sys.stdout.write(line + "\n")


def _first(obj: dict, names: tuple[str | None, ...]) -> str | None:
    values = [obj.get(name) for name in names if name]
    return next((str(v) for v in values if v is not None), None)


def _record(name: str, item_id: str, obj: dict) -> ItemRecord:
    """The record the pipeline writes: the object plus the metadata the registry names."""
    meta = content_type(name).metadata
    return ItemRecord(
        name,
        item_id,
        obj,
        title=_first(obj, meta.title),
        folder_id=_first(obj, (meta.folder,)),
        owner_id=_first(obj, (meta.owner,)),
        created_at=_first(obj, (meta.created_at,)),
        updated_at=_first(obj, (meta.updated_at,)),
        deleted=bool(obj.get("deleted")),
    )


def _records(counts: dict[str, int]) -> list[ItemRecord]:
    data = generate(seed=1, counts=counts)
    return [
        _record(name, item_id, obj)
        for name, objects in data.objects.items()
        for item_id, obj in objects.items()
    ]


def _one_run(vault: Vault, records: list[ItemRecord]) -> None:
    run_id = vault.start_run(
        options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
    )
    with vault.writer() as writer:
        for start in range(0, len(records), BATCH):
            chunk = tuple(records[start : start + BATCH])
            writer.write(Batch(run_id, items=chunk, checkpoints=(("x", f"offset={start}"),)))
    counts: dict[str, int] = {}
    for record in records:
        counts[record.content_type] = counts.get(record.content_type, 0) + 1
    vault.finish_run(run_id, status="complete", counts=counts, stats={})


def _checkpointed_size(db: Path) -> int:
    with Vault(db), contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return vault_size(db)


def test_space_ten_unchanged_runs(tmp_path: Path) -> None:
    """Ten runs of an unchanged 10,000-item instance against one run (target: at most 1.2x)."""
    records = _records(TEN_THOUSAND)
    db = tmp_path / "v.db"
    with Vault(db) as vault:
        _one_run(vault, records)
    one = _checkpointed_size(db)
    with Vault(db) as vault:
        for _ in range(RUNS - 1):
            _one_run(vault, records)
    ten = _checkpointed_size(db)
    _report(
        f"space: {len(records)} items, 1 run {one:,} B, {RUNS} runs {ten:,} B, ratio {ten / one:.3f}"
    )


def _synthetic(n: int, version: int, changed: set[int]) -> list[ItemRecord]:
    out = []
    for i in range(1, n + 1):
        v = version if i in changed else 0
        body = {"id": str(i), "title": f"Dashboard {i}", "folder_id": str(i % 500), "v": v,
                "description": "x" * 800, "tiles": [{"n": k, "q": f"query {i}-{k}"} for k in range(10)]}  # fmt: skip
        out.append(
            ItemRecord(
                "dashboards",
                str(i),
                body,
                title=body["title"],
                folder_id=body["folder_id"],
                owner_id=str(i % 97),
                updated_at=f"2025-01-{1 + v:02d}",
            )  # fmt: skip
        )
    return out


def _timed(label: str, work) -> None:
    start = time.perf_counter()
    result = work()
    _report(f"speed: {label}: {time.perf_counter() - start:.3f} s ({result})")


def test_speed_hundred_thousand_items(tmp_path: Path) -> None:
    """list, show and diff on 100,000 items x 10 runs, 1% changed per run (figures only)."""
    n = 100_000
    db = tmp_path / "big.db"
    start = time.perf_counter()
    with Vault(db) as vault:
        for run in range(RUNS):
            changed = set(range(run * 1000 + 1, run * 1000 + 1001)) if run else set()
            _one_run(vault, _synthetic(n, run, changed))
    _report(
        f"speed: built {n} items x {RUNS} runs in {time.perf_counter() - start:.1f} s, {vault_size(db):,} B"
    )
    with Vault(db) as vault:
        _timed("list latest", lambda: len(list_items(vault, "dashboards")))
        _timed("list --run 5", lambda: len(list_items(vault, "dashboards", run_id=5)))
        _timed(
            "list --search", lambda: len(list_items(vault, "dashboards", search="Dashboard 9999"))
        )
        _timed("show latest", lambda: len(read_item(vault, "dashboards", "54321").content))
        _timed(
            "show --run 3", lambda: len(read_item(vault, "dashboards", "2500", run_id=3).content)
        )
        _timed("diff 9 10", lambda: len(diff_runs(vault, 9, 10).types["dashboards"].changed))
        _timed("diff 1 10", lambda: len(diff_runs(vault, 1, 10).types["dashboards"].changed))


def test_space_ten_runs_with_views_between(tmp_path: Path) -> None:
    """Ten runs with 500 views of dashboards and looks before each (telemetry only changes)."""
    import random

    from lookervault.mock.use import view_one

    data = generate(seed=1, counts=TEN_THOUSAND)
    rng = random.Random("views")

    def records() -> list[ItemRecord]:
        return [_record(n, i, o) for n, objects in data.objects.items() for i, o in objects.items()]

    db = tmp_path / "v.db"
    with Vault(db) as vault:
        _one_run(vault, records())
    one = _checkpointed_size(db)
    with Vault(db) as vault:
        for _ in range(RUNS - 1):
            for _ in range(500):
                view_one(data, rng)
            _one_run(vault, records())
    ten = _checkpointed_size(db)
    _report(f"space with views: 1 run {one:,} B, {RUNS} runs {ten:,} B, ratio {ten / one:.3f}")
