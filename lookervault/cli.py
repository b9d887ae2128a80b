"""The command line: parse, build settings, call the pipeline or the vault, render, return an exit status."""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Literal

import anyio
import orjson
from cyclopts import App, CycloptsError, Parameter, validators

from lookervault import __version__
from lookervault.config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_DB_PATH,
    DEFAULT_PAGE_SIZE,
    DEFAULT_WORKERS,
    MAX_CONCURRENCY,
    MAX_PAGE_SIZE,
    MAX_WORKERS,
    MIN_WORKERS,
    load_connection_settings,
)
from lookervault.content import CONTENT_TYPES, resolve_content_types
from lookervault.errors import ExitCode, LookerVaultError, UsageError, exit_code_for
from lookervault.mock.cli import mock_app
from lookervault.pipeline import ExtractOptions, ExtractResult, extract
from lookervault.progress import make_progress
from lookervault.tuner import PerformanceTuner
from lookervault.vault import Vault

__all__ = ["app", "main"]

logger = logging.getLogger(__name__)

app = App(
    name="lookervault",
    help="Back up a Looker instance, losslessly and resumably, into one SQLite file (the vault).",
    version=__version__,
)
app.command(mock_app)

_TYPE_NAMES = ", ".join(ct.name for ct in CONTENT_TYPES)
_DB_HELP = "Path of the vault file."

Db = Annotated[Path, Parameter(help=_DB_HELP)]
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
Rate = Annotated[float | None, Parameter(validator=validators.Number(gt=0))]


class _RedactSecrets(logging.Filter):
    """Last line of defence: blank out anything that looks like a token or a secret in a log line."""

    _PATTERN = re.compile(
        r"(?i)((?:bearer|token)\s+|(?:access_token|client_secret)[\"']?\s*[:=]\s*[\"']?)"
        r"[A-Za-z0-9._~+/=-]{12,}"
    )

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._PATTERN.sub(r"\1***", message)
        for secret in self._secrets:
            redacted = redacted.replace(secret, "***")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _configure_logging(*, verbose: bool, quiet: bool, secrets: Sequence[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    # httpx logs every request at INFO; keep that for --verbose only.
    for noisy in ("httpx", "httpcore", "hpack"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    # stamina warns on every scheduled retry; the run's summary counts them instead.
    logging.getLogger("stamina").setLevel(logging.DEBUG if verbose else logging.ERROR)


def _guard(command: Callable[[], int], *, debug: bool) -> int:
    """Run a command body; map every failure to one `error:` line and its exit status."""
    try:
        return command()
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except LookerVaultError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if debug:
            traceback.print_exc()
        return exc.exit_code
    except Exception as exc:  # the one place unexpected failures become an exit status
        print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        if debug:
            traceback.print_exc()
        else:
            print("(run again with --debug for the traceback)", file=sys.stderr)
        return exit_code_for(exc)


@app.command(name="extract")
def extract_command(
    *types: str,
    config: Annotated[Path | None, Parameter(help="looker.ini file (looker-sdk format).")] = None,
    section: Annotated[
        str | None, Parameter(help="Section of the ini file (default: the first).")
    ] = None,
    db: Db = Path(DEFAULT_DB_PATH),
    workers: Workers = DEFAULT_WORKERS,
    concurrency: Concurrency = DEFAULT_CONCURRENCY,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
    rate_limit_per_minute: Rate = None,
    rate_limit_per_second: Rate = None,
    resume: bool = False,
    json: bool = False,
    verbose: bool = False,
    quiet: bool = False,
    debug: bool = False,
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
    json
        Print one JSON object with the outcome on stdout.
    verbose
        Debug logging (secrets redacted).
    quiet
        No progress display, warnings only.
    debug
        Show tracebacks of unexpected errors.
    """

    def body() -> int:
        try:
            resolve_content_types(types)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        settings = load_connection_settings(config, section)
        _configure_logging(
            verbose=verbose, quiet=quiet, secrets=[settings.client_secret.get_secret_value()]
        )
        if verbose and workers > PerformanceTuner.CONTENTION_WORKERS:
            logger.warning(
                "--workers %d: above %d writer threads SQLite write contention costs more than it gives; %s",
                workers,
                PerformanceTuner.CONTENTION_WORKERS,
                PerformanceTuner().describe_default(),
            )
        Vault.check_path(db)
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
        with Vault(db) as vault:
            result = anyio.run(
                lambda: extract(settings, vault, options, progress=progress, handle_signals=True),
                backend="asyncio",
                backend_options={"use_uvloop": True},
            )
        _render_result(result, as_json=json)
        return _status_code(result.status)

    return _guard(body, debug=debug)


def _status_code(status: str) -> int:
    return {
        "complete": ExitCode.OK,
        "partial": ExitCode.PARTIAL,
        "interrupted": ExitCode.INTERRUPTED,
    }.get(status, ExitCode.UNEXPECTED)


def _render_result(result: ExtractResult, *, as_json: bool) -> None:
    if as_json:
        print(orjson.dumps(result.as_json()).decode())
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


@app.command
def export(
    *,
    db: Db = Path(DEFAULT_DB_PATH),
    format: Literal["jsonl"] = "jsonl",
    output: Annotated[Path | None, Parameter(help="File to write (default: stdout).")] = None,
    debug: bool = False,
) -> int:
    """Write every item of the vault (trash included) as one JSON object per line.

    Each line is {"content_type": ..., "id": ..., "content": <the object as stored>}.

    Parameters
    ----------
    format
        Output format.
    debug
        Show tracebacks of unexpected errors.
    """

    def body() -> int:
        if not db.exists():
            raise UsageError(f"no vault at {db}")
        with Vault(db) as vault:
            if output is None:
                _write_jsonl(vault, sys.stdout.buffer)
                sys.stdout.flush()
            else:
                fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as sink:
                    _write_jsonl(vault, sink)
        return ExitCode.OK

    return _guard(body, debug=debug)


def _write_jsonl(vault: Vault, sink: object) -> None:
    write = sink.write  # type: ignore[attr-defined]
    for content_type, item_id, content in vault.iter_items():
        write(b'{"content_type":' + orjson.dumps(content_type) + b',"id":' + orjson.dumps(item_id))
        write(b',"content":' + content + b"}\n")


def main(tokens: Sequence[str] | None = None) -> None:
    """Console-script entry point: exit with the command's status; usage errors exit 2."""
    try:
        code = app(tokens, exit_on_error=False, print_error=False, result_action="return_value")
    except CycloptsError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        code = ExitCode.USAGE
    sys.exit(int(code or 0))


def _one_line(exc: CycloptsError) -> str:
    return " ".join(str(exc).split())
