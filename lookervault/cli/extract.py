"""`lookervault extract`: parse the flags, run the backup pipeline, print its outcome."""

from __future__ import annotations

import contextlib
import functools
import math
import shlex
import sys
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from cyclopts import Parameter, validators

from lookervault.cli.failures import summarize_failures
from lookervault.cli.guard import guard, status_code
from lookervault.cli.options import FLAT, ExtractFlags, Flag
from lookervault.cli.outcomes import outcome_lines
from lookervault.cli.render import print_json
from lookervault.cli.request_flags import RequestFlags
from lookervault.config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    DEFAULT_SHRINK_THRESHOLD,
    DEFAULT_WORKERS,
    MAX_CONCURRENCY,
    MAX_PAGE_SIZE,
    MAX_WORKERS,
    MIN_WORKERS,
)
from lookervault.content import CONTENT_TYPES

__all__ = ["continue_command", "extract_command"]

_EXTRACT = ExtractFlags()
_REQUESTS = RequestFlags()

if TYPE_CHECKING:
    from lookervault.backup.run import ExtractOptions, ExtractResult
    from lookervault.vault.store import Vault

# Run statuses that `--resume` can carry on from.
_CONTINUABLE = ("partial", "interrupted")

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
        help=f"Items per list request (1-{MAX_PAGE_SIZE}; dashboards at most 25).",
        validator=validators.Number(gte=1, lte=MAX_PAGE_SIZE),
    ),
]
Types = Annotated[
    str,
    Parameter(
        help="Content types to back up (default: all of them): "
        + ", ".join(ct.name for ct in CONTENT_TYPES)
        + "."
    ),
]
# lt=inf: the limiter refuses an infinite rate, which would otherwise surface as exit 1.
Rate = Annotated[float | None, Parameter(validator=validators.Number(gt=0, lt=math.inf))]


def extract_command(
    *types: Types,
    config: Annotated[Path | None, Parameter(help="looker.ini file (looker-sdk format).")] = None,
    section: Annotated[
        str | None, Parameter(help="Section of the ini file (default: the first).")
    ] = None,
    workers: Workers = DEFAULT_WORKERS,
    concurrency: Concurrency = DEFAULT_CONCURRENCY,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
    rate_limit_per_minute: Rate = None,
    rate_limit_per_second: Rate = None,
    resume: Flag = False,
    allow_other_instance: Flag = False,
    explores_in_flight: Annotated[
        int | None, Parameter(validator=validators.Number(gte=1, lte=MAX_CONCURRENCY))
    ] = None,
    explores_timeout: Rate = None,
    exclude: Annotated[tuple[str, ...], Parameter(consume_multiple=False, negative="")] = (),
    shrink_threshold: Annotated[float, Parameter(validator=validators.Number(gte=0, lte=1))] = (
        DEFAULT_SHRINK_THRESHOLD
    ),
    accept_shrink: Flag = False,
    relearn_rate: Flag = False,
    verbose: Annotated[int, Parameter(name=["--verbose", "-v"], count=True)] = 0,
    quiet: Flag = False,
    common: Annotated[ExtractFlags, FLAT] = _EXTRACT,
    requests: Annotated[RequestFlags, FLAT] = _REQUESTS,
) -> int:
    """Back up a Looker instance into the vault.

    The connection is read as looker-sdk reads it: the `looker.ini` file (`--config`,
    `--section`), overridden by the environment variables `LOOKERSDK_BASE_URL`,
    `LOOKERSDK_CLIENT_ID`, `LOOKERSDK_CLIENT_SECRET`, `LOOKERSDK_VERIFY_SSL` and
    `LOOKERSDK_TIMEOUT`.

    Exit status: 0 complete, 4 partial (failures recorded; `--resume` retries them), 6 complete
    except content types skipped (forbidden to the API user, or left out with `--exclude`),
    130 interrupted.

    Parameters
    ----------
    rate_limit_per_minute
        Most requests per minute (default: unlimited, slowing down on HTTP 429).
    rate_limit_per_second
        Most requests per second, the burst (default: unlimited, slowing down on HTTP 429).
    resume
        Continue the last unfinished run, fetching only what it did not commit.
    allow_other_instance
        Back up into a vault that holds runs of another Looker instance (refused otherwise).
    explores_in_flight
        Most explore requests at once (default 4: explores are heavy to render on Looker).
    explores_timeout
        Seconds each explore request may take (default 300).
    exclude
        Leave this content type out on purpose (repeatable); the run then ends with exit
        status 6 ("complete except skipped types"), as when Looker forbids a type (403).
    shrink_threshold
        A type whose listing falls under this share of its last complete run's count keeps
        its unseen items (not marked gone) and makes the run partial.
    accept_shrink
        Confirm that a listing that shrank past --shrink-threshold is real: mark the rest gone.
    relearn_rate
        Find Looker's pace from a slow start, as a first run does, instead of starting at
        the pace the vault's last run against this Looker learned (within 14 days).
    verbose
        Debug logging, secrets redacted; twice (-v -v) adds the HTTP libraries' wire logs.
    quiet
        No progress display, warnings only.
    """

    def body() -> int:
        # The pipeline (httpx, anyio, pydantic) loads only when a backup really runs.
        import anyio

        from lookervault.backup.malloc import release_large_buffers
        from lookervault.backup.pace import recall_before
        from lookervault.backup.run import ExtractOptions, extract
        from lookervault.cli.logs import configure_logging
        from lookervault.content import check_names
        from lookervault.progress import make_progress
        from lookervault.settings import load_connection_settings
        from lookervault.vault.store import Vault

        names = check_names(types)
        settings = load_connection_settings(config, section)
        configure_logging(
            verbose=verbose,
            quiet=quiet,
            terminal=sys.stderr.isatty(),
            secrets=[settings.client_secret.get_secret_value()],
        )
        if verbose:
            _warn_contention(workers)
        options = ExtractOptions(
            content_types=names,
            workers=workers,
            concurrency=concurrency,
            page_size=page_size,
            rate_limit_per_second=rate_limit_per_second,
            rate_limit_per_minute=rate_limit_per_minute,
            resume=resume,
            allow_other_instance=allow_other_instance,
            max_requests=requests.max_requests,
            skip_personal_folder_access=requests.skip_personal_folder_access,
            explores_in_flight=explores_in_flight,
            explores_timeout_s=explores_timeout,
            exclude=check_names(exclude),
            shrink_threshold=shrink_threshold,
            accept_shrink=accept_shrink,
            relearn_rate=relearn_rate,
        )
        if requests.plan:
            from lookervault.cli.plan import print_plan

            return print_plan(settings, options, as_json=common.json)
        Vault.check_path(common.db)
        pace = None if relearn_rate else recall_before(common.db, settings.base_url)
        progress = make_progress(quiet=quiet, is_terminal=sys.stderr.isatty())
        release_large_buffers()
        # The vault is opened only once Looker accepted the login (see `_open_locked`).
        result = anyio.run(
            lambda: extract(
                settings,
                functools.partial(_open_locked, common.db),
                options,
                progress=progress,
                handle_signals=True,
                pace=pace,
            ),
            backend="asyncio",
            backend_options={"use_uvloop": True},
        )
        _render_result(result, db=common.db, as_json=common.json)
        if result.status in _CONTINUABLE:
            hint = continue_command(
                common.db,
                types,
                config=config,
                section=section,
                allow_other_instance=allow_other_instance,
                exclude=options.exclude,
            )
            print(f"to continue: {' '.join([hint, *_carried_flags(options)])}", file=sys.stderr)
        # 6: complete except skipped types or what a non-admin API user may not see
        limited = result.access == "limited"
        return status_code(result.status, skipped=result.skipped or limited)

    return guard(body, debug=common.debug)


@contextlib.contextmanager
def _open_locked(db: Path) -> Generator[Vault]:
    """The run lock, then the vault: a second extract fails before touching the vault."""
    from lookervault.vault.lock import RunLock
    from lookervault.vault.store import Vault

    with RunLock(db), Vault(db) as vault:
        yield vault


def continue_command(
    db: Path,
    types: Sequence[str],
    *,
    config: Path | None,
    section: str | None,
    allow_other_instance: bool = False,
    exclude: Sequence[str] = (),
) -> str:
    """The shell command that resumes this run: same vault, types and connection flags."""
    words = ["lookervault", "extract", "--resume", "--db", str(db.absolute())]
    if config is not None:
        words += ["--config", str(config.absolute())]
    if section is not None:
        words += ["--section", section]
    if allow_other_instance:
        words.append("--allow-other-instance")
    for name in exclude:
        words += ["--exclude", name]
    words += list(types)
    return shlex.join(words)


def _carried_flags(options: ExtractOptions) -> list[str]:
    """Flags the resumed session must repeat to fetch the rest the same way."""
    words = []
    if options.skip_personal_folder_access:  # else the resume would fetch what this run skipped
        words.append("--skip-personal-folder-access")
    if options.explores_in_flight is not None:  # a Looker too slow for the registry's explores
        words.append(f"--explores-in-flight {options.explores_in_flight}")
    if options.explores_timeout_s is not None:
        words.append(f"--explores-timeout {options.explores_timeout_s:g}")
    return words


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


def _render_result(result: ExtractResult, *, db: Path, as_json: bool) -> None:
    if as_json:
        print_json(result.as_json())
        return
    summary = result.as_json()
    print(f"run {result.run_id}: {result.status} in {summary['elapsed_s']:.1f}s")
    width = max([24, *map(len, result.items)])  # the longest type name keeps its column
    for name, count in result.items.items():
        print(f"  {name:<{width}} {count:>8}")
    print(
        f"  {'total':<{width}} {sum(result.items.values()):>8}  "
        f"({summary['items_per_s']} items/s, {summary['requests']} requests, "
        f"{summary['retries']} retries, {summary['rate_limited']} rate-limited)"
    )
    for name, count in summary["unavailable"].items():
        print(f"  unavailable: {name}: {count} listed but answered 404 (kept as they were)")
    for line in outcome_lines(result.outcomes):
        print(f"  {line}")
    if result.failures:
        for line in summarize_failures(result.failures):
            print(f"  failed: {line}")
        where = shlex.join(["--db", str(db.absolute())])
        print(f"  every failure: lookervault failures --run {result.run_id} {where}")
