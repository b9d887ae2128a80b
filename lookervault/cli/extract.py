"""`lookervault extract`: parse the flags, run the backup pipeline, print its outcome."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from cyclopts import Parameter, validators

from lookervault.cli.guard import guard, status_code
from lookervault.cli.options import FLAT, ExtractFlags
from lookervault.cli.render import print_json
from lookervault.config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    DEFAULT_WORKERS,
    MAX_CONCURRENCY,
    MAX_PAGE_SIZE,
    MAX_WORKERS,
    MIN_WORKERS,
)

__all__ = ["extract_command"]

_EXTRACT = ExtractFlags()

if TYPE_CHECKING:
    from lookervault.backup.run import ExtractResult

# The name the warning below has always been logged under.
_LOGGER = "lookervault.cli.app"

Workers = Annotated[
    int,
    Parameter(
        help=f"Vault writer threads ({MIN_WORKERS}-{MAX_WORKERS}).",
        validator=validators.Number(gte=MIN_WORKERS, lte=MAX_WORKERS),
    ),
]
Concurrency = Annotated[
    int,
    Parameter(
        help=f"Most HTTP requests in flight at once (1-{MAX_CONCURRENCY}).",
        validator=validators.Number(gte=1, lte=MAX_CONCURRENCY),
    ),
]
PageSize = Annotated[
    int,
    Parameter(
        help=f"Items per list request (1-{MAX_PAGE_SIZE}).",
        validator=validators.Number(gte=1, lte=MAX_PAGE_SIZE),
    ),
]
# lt=inf: the limiter refuses an infinite rate, which would otherwise surface as exit 1.
Rate = Annotated[float | None, Parameter(validator=validators.Number(gt=0, lt=math.inf))]


def extract_command(
    *types: str,
    config: Annotated[Path | None, Parameter(help="looker.ini file (looker-sdk format).")] = None,
    section: Annotated[
        str | None, Parameter(help="Section of the ini file (default: the first).")
    ] = None,
    workers: Workers = DEFAULT_WORKERS,
    concurrency: Concurrency = DEFAULT_CONCURRENCY,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
    rate_limit_per_minute: Rate = None,
    rate_limit_per_second: Rate = None,
    resume: bool = False,
    verbose: Annotated[int, Parameter(name=["--verbose", "-v"], count=True)] = 0,
    quiet: bool = False,
    common: Annotated[ExtractFlags, FLAT] = _EXTRACT,
) -> int:
    """Back up a Looker instance into the vault.

    Parameters
    ----------
    types
        Content types to back up (default: all of them).
    rate_limit_per_minute
        Most requests per minute (default: unlimited, slowing down on HTTP 429).
    rate_limit_per_second
        Most requests per second, the burst (default: unlimited, slowing down on HTTP 429).
    resume
        Continue the last unfinished run, fetching only what it did not commit.
    verbose
        Debug logging, secrets redacted; twice (-v -v) adds the HTTP libraries' wire logs.
    quiet
        No progress display, warnings only.
    """

    def body() -> int:
        # The pipeline (httpx, anyio, pydantic) loads only when a backup really runs.
        import anyio

        from lookervault.backup.malloc import release_large_buffers
        from lookervault.backup.run import ExtractOptions, extract
        from lookervault.cli.logs import configure_logging
        from lookervault.content import check_names
        from lookervault.progress import make_progress
        from lookervault.settings import load_connection_settings
        from lookervault.vault.lock import RunLock
        from lookervault.vault.store import Vault

        check_names(types)
        settings = load_connection_settings(config, section)
        configure_logging(
            verbose=verbose,
            quiet=quiet,
            terminal=sys.stderr.isatty(),
            secrets=[settings.client_secret.get_secret_value()],
        )
        if verbose:
            _warn_contention(workers)
        Vault.check_path(common.db)
        options = ExtractOptions(
            content_types=tuple(types),
            workers=workers,
            concurrency=concurrency,
            page_size=page_size,
            rate_limit_per_second=rate_limit_per_second,
            rate_limit_per_minute=rate_limit_per_minute,
            resume=resume,
        )
        progress = make_progress(quiet=quiet, is_terminal=sys.stderr.isatty())
        release_large_buffers()
        # The run lock comes first: a second extract must fail before touching the vault.
        with RunLock(common.db), Vault(common.db) as vault:
            result = anyio.run(
                lambda: extract(settings, vault, options, progress=progress, handle_signals=True),
                backend="asyncio",
                backend_options={"use_uvloop": True},
            )
        _render_result(result, as_json=common.json)
        return status_code(result.status)

    return guard(body, debug=common.debug)


def _warn_contention(workers: int) -> None:
    import logging

    from lookervault.backup.tuner import PerformanceTuner

    if workers > PerformanceTuner.CONTENTION_WORKERS:
        logging.getLogger(_LOGGER).warning(
            "--workers %d: above %d writer threads only queue for SQLite's one write lock, "
            "costing memory and no speed; %s",
            workers,
            PerformanceTuner.CONTENTION_WORKERS,
            PerformanceTuner().describe_default(),
        )


def _render_result(result: ExtractResult, *, as_json: bool) -> None:
    if as_json:
        print_json(result.as_json())
        return
    summary = result.as_json()
    print(f"run {result.run_id}: {result.status} in {summary['elapsed_s']:.1f}s")
    for name, count in result.items.items():
        print(f"  {name:<24} {count:>8}")
    print(
        f"  {'total':<24} {sum(result.items.values()):>8}  "
        f"({summary['items_per_s']} items/s, {summary['requests']} requests, "
        f"{summary['retries']} retries, {summary['rate_limited']} rate-limited)"
    )
    for failure in result.failures:
        print(f"  failed: {failure.content_type} {failure.key}: {failure.error}")
