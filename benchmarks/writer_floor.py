"""The vault writer alone, no network: what storing S1's items costs, with and without the checkpointer.

`python -m benchmarks.writer_floor [--dataset DU] [--runs 5]` generates the dataset's items with
the mock's generator (seed 0; each item's bytes as the mock serves it by id), then writes them in
pages (25 dashboards, 100 of any other type) into a fresh vault, round after round: once through
`Vault.writer()` (commits leave checkpoints to the vault's WalCheckpointer thread) and once through
a bare `VaultWriter` (SQLite's own autocheckpoint inside the commits, as before it). It prints
medians of wall seconds; the extract can be no faster than this, whatever the network does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from benchmarks.datasets import dataset
from lookervault.config import DASHBOARDS_PAGE_SIZE, DEFAULT_PAGE_SIZE
from lookervault.content import CONTENT_TYPES
from lookervault.mock.data import generate
from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.store import Vault
from lookervault.vault.writer import VaultWriter

__all__ = ["main"]


def _pages(name: str) -> list[tuple[ItemRecord, ...]]:
    data = dataset(name)
    counts = data.counts()
    types = data.types or tuple(ct.name for ct in CONTENT_TYPES if ct.name in counts)
    objects = generate(0, counts, preset="M").objects
    pages: list[tuple[ItemRecord, ...]] = []
    for type_name in types:
        size = DASHBOARDS_PAGE_SIZE if type_name == "dashboards" else DEFAULT_PAGE_SIZE
        items = [
            ItemRecord(type_name, str(item_id), orjson.dumps(obj))
            for item_id, obj in objects.get(type_name, {}).items()
        ]
        pages += [tuple(items[i : i + size]) for i in range(0, len(items), size)]
    return pages


def _write(path: Path, pages: list[tuple[ItemRecord, ...]], checkpointer: bool) -> float:
    """Seconds from the first write to the vault's close (which checkpoints what is left)."""
    with Vault(path) as vault:
        run = vault.start_run(
            options={}, looker_url="bench", looker_release=None, api_version=None, tool_version="0"
        )
        writer = vault.writer() if checkpointer else VaultWriter(path)
        began = time.perf_counter()
        with writer:
            for page in pages:
                writer.write(Batch(run, items=page))
    return time.perf_counter() - began


def floor(name: str, runs: int) -> dict[str, Any]:
    """Median seconds to write the dataset's pages, with and without the checkpointer."""
    pages = _pages(name)
    times: dict[str, list[float]] = {"checkpointer": [], "autocheckpoint": []}
    with tempfile.TemporaryDirectory(prefix="lookervault-writer-") as tmp:
        for i in range(runs):
            for key in times:
                times[key].append(_write(Path(tmp) / f"{key}-{i}.db", pages, key == "checkpointer"))
    median = {key: round(statistics.median(v), 3) for key, v in times.items()}
    return {
        "dataset": name,
        "items": sum(len(p) for p in pages),
        "bytes": sum(len(i.content) for p in pages for i in p),
        "pages": len(pages),
        "runs": runs,
        "wall_s_median": median,
        "checkpointer_over_autocheckpoint": round(
            median["checkpointer"] / median["autocheckpoint"], 3
        ),
        "wall_s": {key: [round(t, 3) for t in v] for key, v in times.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.writer_floor", description=__doc__)
    parser.add_argument("--dataset", default="DU", help="a name of benchmarks/datasets.py")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    result = floor(args.dataset, args.runs)
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
