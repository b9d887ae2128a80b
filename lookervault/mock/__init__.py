"""The mock Looker: deterministic data generation and an ASGI app serving it."""

from __future__ import annotations

__all__: list[str] = []
