"""Rate-grid cells on two nights: `uv run python -m benchmarks.rate_nights --cells R40-B1,...`.

The first night is a cell of S9 as it runs there (a fresh limiter against a fresh mock). The
second night runs the same cell against a fresh mock again (a full bucket, an empty window),
its limiter resumed from what the first night's learned, as the next `lookervault extract`
into the same vault resumes. Each of `--rounds N` runs the first night, then the second.
Prints one row per cell (medians, and each round's figure); `--json PATH` keeps all.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
from pathlib import Path
from typing import Any

from benchmarks.rate_grid import grid_cells, run_cell

__all__ = ["run_nights"]


def run_nights(cell_name: str, rounds: int, seconds: float) -> list[dict[str, Any]]:
    """*rounds* pairs of (first night, second night resumed from the first) of one grid cell."""
    cells = {c.name: c for c in grid_cells(seconds)}
    if cell_name not in cells:
        raise SystemExit(f"error: no grid cell {cell_name!r}; one of {', '.join(cells)}")
    cell = cells[cell_name]
    pairs = []
    for _ in range(rounds):
        first = run_cell(cell, None)
        second = run_cell(cell, None, resume_from=first["learned"])
        pairs.append({"first": first, "second": second})
    return pairs


def _row(name: str, pairs: list[dict[str, Any]], label: str) -> str:
    def figures(night: str) -> str:
        ratios = [p[night]["achieved_over_allowed"] for p in pairs]
        shares = [100 * p[night]["share_429"] for p in pairs]
        return (
            f"{statistics.median(ratios):.3f} ({', '.join(f'{r:.3f}' for r in ratios)})"
            f" | {statistics.median(shares):.2f} %"
        )

    return f"| {name} {label} | {figures('first')} | {figures('second')} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rate_nights", description=__doc__)
    parser.add_argument("--cells", required=True, help="grid cells, e.g. R40-B1,R5-B20")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0, help="a cell's least length")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.getLogger("lookervault").setLevel(logging.ERROR)
    print("| cell | first night: achieved / allowed | 429s | second night | 429s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    kept: dict[str, Any] = {}
    for name in [c.strip() for c in args.cells.split(",") if c.strip()]:
        pairs = run_nights(name, args.rounds, args.seconds)
        kept[name] = pairs
        print(_row(name, pairs, f"(median of {len(pairs)})"), flush=True)
    if args.json:
        args.json.write_text(json.dumps(kept, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
