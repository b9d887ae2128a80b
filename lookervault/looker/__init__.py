"""The network side: the Looker API client, its rate limiter, connection pools and payload reader."""

from __future__ import annotations

__all__: list[str] = []
