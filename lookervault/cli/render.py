"""Text output shared by the commands: JSON lines, sizes, and columns measured in terminal cells."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["columns", "print_json", "size"]

_KILO = 1024


def print_json(obj: object) -> None:
    """One JSON document on stdout."""
    from lookervault import jsonio

    print(jsonio.dumps(obj).decode("utf-8"))


def size(num_bytes: int) -> str:
    """A byte count for people: 512 B, 1.5 KB, 2.0 MB."""
    value = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < _KILO or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= _KILO
    return f"{value:.1f} GB"  # pragma: no cover


def _width(cell: str) -> int:
    if cell.isascii():
        return len(cell)
    from rich.cells import cell_len

    return cell_len(cell)


def columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned text columns measured in terminal cells; the last column is never padded."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(
            [*(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=False)), row[-1]]
        ).rstrip()
        for row in rows
    ]
