"""What one run's rate limiter learned of Looker's pace, as the vault keeps it for the next run.

The limiter (`lookervault.looker.throttle`) hands it on (`learned`) and starts from it (`resume`);
`lookervault.backup.pace` stores it in a run's stats and reads the last one back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["LearnedRate"]


@dataclass(frozen=True)
class LearnedRate:
    """What one run's limiter learned of Looker's pace, kept in the vault for the next run."""

    rate: float  # requests per second in force when the run ended
    ceiling: float | None  # Looker's rate as its 429s measured it (None: it never refused)

    def as_dict(self) -> dict[str, float | None]:
        """As stored in a run's stats (JSON)."""
        return {"rate": round(self.rate, 3), "ceiling": _rounded(self.ceiling)}

    @classmethod
    def from_dict(cls, data: object) -> LearnedRate | None:
        """Read back `as_dict`'s output; None for anything else (an older vault, a hand edit)."""
        if not isinstance(data, Mapping):
            return None
        rate, ceiling = _positive(data.get("rate")), _positive(data.get("ceiling"))
        if rate is None or (ceiling is None and data.get("ceiling") is not None):
            return None
        return cls(rate, ceiling)


def _positive(value: object) -> float | None:
    """*value* as a finite positive float, or None (JSON may hold anything)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
