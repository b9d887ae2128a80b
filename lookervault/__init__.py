"""LookerVault: back up a Looker instance into one SQLite file."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("lookervault")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
