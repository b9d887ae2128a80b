"""LookerVault benchmarks: extract against the mock Looker, a drain client and a looker-sdk script."""

from __future__ import annotations

__all__: list[str] = []
