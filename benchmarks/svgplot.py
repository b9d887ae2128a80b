"""A rate-over-time line chart as hand-written SVG (no plotting dependency)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["write_rate_plot"]

_W, _H = 640, 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 32, 40


def write_rate_plot(
    path: Path,
    title: str,
    per_second: Sequence[int],
    allowed: float,
    capacity: float | None,
    limiter_rate: Sequence[float] = (),
) -> Path:
    """Successes per second over the run, with the allowed rate (and capacity) as lines, and
    the limiter's rate r at the end of each second (if given)."""
    top = max([allowed * 1.25, *per_second, *(min(r, allowed * 2) for r in limiter_rate), 1.0])
    n = max(1, len(per_second))
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x(second: float) -> float:
        return _LEFT + plot_w * second / n

    def y(rate: float) -> float:
        return _TOP + plot_h * (1 - rate / top)

    points = " ".join(f"{x(i + 0.5):.1f},{y(v):.1f}" for i, v in enumerate(per_second))
    # r at the end of second i, drawn there; clipped to the plot (slow start may run far above)
    rate_points = " ".join(
        f"{x(i + 1):.1f},{y(min(v, top)):.1f}" for i, v in enumerate(limiter_rate[:n])
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{_W}" height="{_H}" fill="white"/>',
        f'<text x="{_LEFT}" y="18" font-size="13">{_escape(title)}</text>',
        f'<line x1="{_LEFT}" y1="{y(0)}" x2="{_W - _RIGHT}" y2="{y(0)}" stroke="black"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{y(0)}" stroke="black"/>',
    ]
    parts += [
        f'<text x="{_LEFT - 6}" y="{y(top * i / 4) + 4:.1f}" text-anchor="end">{top * i / 4:.0f}</text>'
        for i in range(5)
    ]
    step = max(1, round(n / 6 / 5) * 5)
    parts += [
        f'<text x="{x(s):.1f}" y="{y(0) + 16:.1f}" text-anchor="middle">{s}</text>'
        for s in range(0, n + 1, step)
    ]
    parts.append(
        f'<text x="{_LEFT + plot_w / 2}" y="{_H - 6}" text-anchor="middle">seconds '
        "(blue: successes per second; orange: the limiter's rate; dashed: allowed; "
        "dotted: client capacity)</text>"
    )
    parts.append(_hline(y(allowed), "#c00", "6,4"))
    if capacity is not None and capacity < top:
        parts.append(_hline(y(capacity), "#888", "2,3"))
    parts.append(f'<polyline fill="none" stroke="#1f5fbf" stroke-width="1.5" points="{points}"/>')
    if rate_points:
        parts.append(
            f'<polyline fill="none" stroke="#e08000" stroke-width="1" points="{rate_points}"/>'
        )
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")
    return path


def _hline(at: float, color: str, dash: str) -> str:
    return (
        f'<line x1="{_LEFT}" y1="{at:.1f}" x2="{_W - _RIGHT}" y2="{at:.1f}" '
        f'stroke="{color}" stroke-dasharray="{dash}"/>'
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
