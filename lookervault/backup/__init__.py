"""The extraction: one run against Looker into the vault, a job per content type, resume state."""

from __future__ import annotations

__all__: list[str] = []
