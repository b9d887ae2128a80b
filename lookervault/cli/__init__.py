"""The command line: one app, shared options, each command importing what it needs when it runs."""

from __future__ import annotations

__all__: list[str] = []
