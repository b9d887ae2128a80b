"""LookerVault: back up a Looker instance into one SQLite file."""

from __future__ import annotations

import functools

__all__ = ["__version__", "package_version"]


@functools.cache
def package_version() -> str:
    """The installed distribution's version, read on first use.

    importlib.metadata costs tens of milliseconds to import; commands that never print or
    record the version (every command but `--version` and `extract`) should not pay for it.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lookervault")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
