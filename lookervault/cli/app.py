"""The command line: parse, build settings, call the pipeline or the vault, render, return an exit status."""

from __future__ import annotations

import json as stdlib_json
import logging
import math
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Literal

import anyio
from cyclopts import App, CycloptsError, Parameter, validators
from rich.cells import cell_len

from lookervault import __version__, jsonio
from lookervault.backup.malloc import release_large_buffers
from lookervault.backup.run import ExtractOptions, ExtractResult, extract
from lookervault.backup.tuner import PerformanceTuner
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
from lookervault.content import check_names
from lookervault.diff import ItemDiff, RunDiff, diff_item, diff_runs
from lookervault.errors import ExitCode, LookerVaultError, UsageError, exit_code_for
from lookervault.export import export_files, export_jsonl, write_jsonl
from lookervault.history import (
    list_items,
    list_runs,
    load_json,
    pretty_json,
    read_item,
    resolve_run,
    vault_size,
)
from lookervault.progress import make_progress
from lookervault.vault.lock import RunLock
from lookervault.vault.store import Vault
from lookervault.verify import VERIFY_FAILED, verify_vault

__all__ = ["app", "main"]

logger = logging.getLogger(__name__)

app = App(
    name="lookervault",
    help="Back up a Looker instance, losslessly and resumably, into one SQLite file (the vault).",
    version=__version__,
)
# Lazy: the mock server's modules load only when `lookervault mock` runs.
app.command(
    "lookervault.mock.cli:mock_app",
    name="mock",
    help="Run the bundled mock Looker (API 4.0) used by tests, make run and benchmarks.",
)

_DB_HELP = "Path of the vault file."
_KILO = 1024
_DIFF_RUNS = 2
_MAX_VALUE_CHARS = 200

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
# lt=inf: the limiter refuses an infinite rate, which would otherwise surface as exit 1.
Rate = Annotated[float | None, Parameter(validator=validators.Number(gt=0, lt=math.inf))]
RunOption = Annotated[int | None, Parameter(help="Run id (see `lookervault runs`).")]


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
        check_names(types)
        settings = load_connection_settings(config, section)
        _configure_logging(
            verbose=verbose, quiet=quiet, secrets=[settings.client_secret.get_secret_value()]
        )
        if verbose and workers > PerformanceTuner.CONTENTION_WORKERS:
            logger.warning(
                "--workers %d: above %d writer threads only queue for SQLite's one write lock, "
                "costing memory and no speed; %s",
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
        release_large_buffers()
        # The run lock comes first: a second extract must fail before touching the vault.
        with RunLock(db), Vault(db) as vault:
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
        _print_json(result.as_json())
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
    format: Literal["jsonl", "files"] = "jsonl",
    output: Annotated[
        Path | None, Parameter(help="File (jsonl; default: stdout) or directory (files).")
    ] = None,
    run: RunOption = None,
    debug: bool = False,
) -> int:
    """Write the vault's items (Looker's trash included) as JSON lines or as a tree of files.

    jsonl: one line per item, {"content_type": ..., "id": ..., "content": <the object as stored>}.
    files: one pretty JSON file per item under --output, in directories mirroring Looker's
    folders (<name>--<id>/, the folder itself in _folder.json); dashboards and looks in
    <folder>/<type>/, other types in <output>/<type>/; files are <title>--<id>.json.

    Parameters
    ----------
    format
        Output format.
    run
        Export what this run fetched (default: the latest state).
    debug
        Show tracebacks of unexpected errors.
    """

    def body() -> int:
        if format == "files" and output is None:
            raise UsageError("--format files needs --output DIR")
        with _open_vault(db) as vault:
            run_id = resolve_run(vault, run) if run is not None else None
            if format == "files":
                assert output is not None
                done = export_files(vault, output, run_id=run_id)
                print(f"wrote {done.files} files in {done.directories} directories to {output}")
            elif output is None:
                write_jsonl(vault, sys.stdout.buffer, run_id=run_id)
                sys.stdout.flush()
            else:
                export_jsonl(vault, output, run_id=run_id)
        return ExitCode.OK

    return _guard(body, debug=debug)


# --- history: runs, list, show, diff, verify ---------------------------------------------------


def _open_vault(db: Path) -> Vault:
    """An existing vault (reading commands never create one)."""
    if not db.exists():
        raise UsageError(f"no vault at {db}")
    return Vault(db)


def _check_type(name: str) -> str:
    check_names([name])
    return name


def _print_json(obj: object) -> None:
    print(jsonio.dumps(obj).decode("utf-8"))


def _size(num_bytes: int) -> str:
    value = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < _KILO or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= _KILO
    return f"{value:.1f} GB"  # pragma: no cover


def _width(cell: str) -> int:
    return len(cell) if cell.isascii() else cell_len(cell)


def _columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned text columns measured in terminal cells; the last column is never padded."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(
            [*(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=False)), row[-1]]
        ).rstrip()
        for row in rows
    ]


@app.command(name="runs")
def runs_command(*, db: Db = Path(DEFAULT_DB_PATH), json: bool = False, debug: bool = False) -> int:
    """List every run: id, start, duration, status, items per type, and the vault's size.

    Parameters
    ----------
    json
        Print one JSON object: {"vault_bytes": N, "runs": [...]}.
    debug
        Show tracebacks of unexpected errors.
    """

    def body() -> int:
        with _open_vault(db) as vault:
            summaries = list_runs(vault)
        size = vault_size(db)
        if json:
            _print_json({"vault_bytes": size, "runs": [s.as_json() for s in summaries]})
            return ExitCode.OK
        print(f"vault {db}: {_size(size)}, {len(summaries)} runs")
        rows = [["run", "started", "duration", "status", "items", "new content", "per type"]]
        for s in summaries:
            status = s.status if s.history == "full" else f"{s.status} (latest-only)"
            rows.append(
                [
                    str(s.run_id),
                    s.started_at,
                    f"{s.duration_s:.1f}s" if s.duration_s is not None else "-",
                    status,
                    str(sum(s.counts.values())),
                    _size(s.stored_bytes),
                    " ".join(f"{name}={count}" for name, count in s.counts.items()),
                ]
            )
        print("\n".join(_columns(rows)))
        return ExitCode.OK

    return _guard(body, debug=debug)


@app.command(name="list")
def list_command(
    type: str,
    *,
    db: Db = Path(DEFAULT_DB_PATH),
    folder: Annotated[str | None, Parameter(help="Only items in this folder id.")] = None,
    search: Annotated[str | None, Parameter(help="Only titles containing TEXT (any case).")] = None,
    deleted: bool = False,
    run: RunOption = None,
    json: bool = False,
    debug: bool = False,
) -> int:
    """List the items of one content type: id, title, folder, owner, updated_at.

    Parameters
    ----------
    type
        Content type (dashboards, looks, folders, users...).
    deleted
        List deleted items instead: in Looker's trash, or gone from Looker.
    run
        List that run's snapshot (default: the latest state).
    json
        Print a JSON array of items.
    debug
        Show tracebacks of unexpected errors.
    """

    def body() -> int:
        _check_type(type)
        with _open_vault(db) as vault:
            run_id = resolve_run(vault, run) if run is not None else None
            rows = list_items(
                vault, type, run_id=run_id, folder_id=folder, search=search, deleted=deleted
            )
        if json:
            _print_json([row.as_json() for row in rows])
            return ExitCode.OK
        header = ["id", "title", "folder", "owner", "updated_at"] + (["state"] if deleted else [])
        table = [header] + [
            [r.item_id, r.title or "", r.folder_id or "", r.owner_id or "", r.updated_at or ""]
            + ([r.state] if deleted else [])
            for r in rows
        ]
        sys.stdout.write("\n".join(_columns(table)) + "\n")
        return ExitCode.OK

    return _guard(body, debug=debug)


@app.command(name="show")
def show_command(
    type: str,
    id: str,
    *,
    db: Db = Path(DEFAULT_DB_PATH),
    run: RunOption = None,
    json: bool = False,
    debug: bool = False,
) -> int:
    """Print one item as pretty JSON, as it was in a run (default: its latest state).

    Parameters
    ----------
    type
        Content type.
    id
        The item's id.
    run
        Show the item as this run fetched it.
    json
        Print {"content_type", "id", "run_id", "gone_run_id", "content"} on one line.
    debug
        Show tracebacks of unexpected errors.
    """

    def body() -> int:
        _check_type(type)
        with _open_vault(db) as vault:
            run_id = resolve_run(vault, run) if run is not None else None
            found = read_item(vault, type, id, run_id=run_id)
        content = load_json(found.content)
        if json:
            _print_json(
                {
                    "content_type": type,
                    "id": id,
                    "run_id": found.run_id,
                    "gone_run_id": found.gone_run_id,
                    "content": content,
                }
            )
            return ExitCode.OK
        if found.gone_run_id is not None:
            print(f"note: gone from Looker since run {found.gone_run_id}", file=sys.stderr)
        sys.stdout.buffer.write(pretty_json(content))
        sys.stdout.flush()
        return ExitCode.OK

    return _guard(body, debug=debug)


def _default_runs(vault: Vault, run_a: int | None, run_b: int | None) -> tuple[int, int]:
    """The two runs to compare: given ones, else the last two (A alone: A against the latest)."""
    ids = [summary.run_id for summary in list_runs(vault)]
    if run_a is not None and run_b is not None:
        return resolve_run(vault, run_a), resolve_run(vault, run_b)
    if run_a is not None:
        return resolve_run(vault, run_a), ids[-1]
    if len(ids) < _DIFF_RUNS:
        raise UsageError(f"diff needs two runs; vault {vault.path} has {len(ids)}")
    return ids[-2], ids[-1]


@app.command(name="diff")
def diff_command(
    run_a: int | None = None,
    run_b: int | None = None,
    *,
    db: Db = Path(DEFAULT_DB_PATH),
    item: Annotated[
        tuple[str, str] | None, Parameter(help="Field-level diff of one item: TYPE ID.")
    ] = None,
    json: bool = False,
    debug: bool = False,
) -> int:
    """Items added, removed and changed per type between two runs (default: the last two).

    Items a partial run did not fetch are listed as unseen, never as removed.

    Parameters
    ----------
    run_a
        The older run (default: the one before the latest).
    run_b
        The newer run (default: the latest).
    json
        Print one JSON object.
    debug
        Show tracebacks of unexpected errors.
    """

    def body() -> int:
        with _open_vault(db) as vault:
            a, b = _default_runs(vault, run_a, run_b)
            if item is not None:
                result = diff_item(vault, _check_type(item[0]), item[1], a, b)
            else:
                result = diff_runs(vault, a, b)
        if json:
            _print_json(result.as_json())
        elif isinstance(result, ItemDiff):
            _render_item_diff(result)
        else:
            _render_run_diff(result)
        return ExitCode.OK

    return _guard(body, debug=debug)


_DIFF_MARKS = (("added", "+"), ("removed", "-"), ("changed", "~"), ("unseen", "?"))


def _render_run_diff(diff: RunDiff) -> None:
    lines = [f"diff run {diff.run_a} -> run {diff.run_b}"]
    lines += [f"note: {note}" for note in diff.notes]
    if not diff.types:
        lines.append("no differences")
    for name, changes in diff.types.items():
        counts = ", ".join(f"{len(getattr(changes, kind))} {kind}" for kind, _ in _DIFF_MARKS)
        lines.append(f"{name}: {counts}")
        for kind, mark in _DIFF_MARKS:
            lines += [
                f"  {mark} {ref.item_id}  {ref.title or ''}".rstrip()
                for ref in getattr(changes, kind)
            ]
    sys.stdout.write("\n".join(lines) + "\n")


def _short(value: object) -> str:
    text = stdlib_json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def _render_item_diff(diff: ItemDiff) -> None:
    print(f"{diff.content_type} {diff.item_id}: run {diff.run_a} -> run {diff.run_b}")
    if not diff.changes:
        print("no differences")
    for change in diff.changes:
        path = change.path or "(whole item)"
        if change.change == "added":
            print(f"  + {path}: {_short(change.new)}")
        elif change.change == "removed":
            print(f"  - {path}: {_short(change.old)}")
        else:
            print(f"  ~ {path}: {_short(change.old)} -> {_short(change.new)}")


@app.command(name="verify")
def verify_command(
    *, db: Db = Path(DEFAULT_DB_PATH), json: bool = False, debug: bool = False
) -> int:
    """Check the vault: SQLite integrity, every stored content against its hash, every run's
    counts against its rows, and no dangling references. Exit status 5 when anything is wrong.

    Parameters
    ----------
    json
        Print one JSON object: {"ok", "checks": {name: [problems]}, "notes", "blobs_checked"}.
    debug
        Show tracebacks of unexpected errors.
    """

    def body() -> int:
        with _open_vault(db) as vault:
            report = verify_vault(vault)
        if json:
            _print_json(report.as_json())
        else:
            for name, problems in report.checks.items():
                print(f"{name}: {'ok' if not problems else 'FAILED'}")
                for problem in problems:
                    print(f"  - {problem}")
            for note in report.notes:
                print(f"note: {note}")
            print(f"vault {db}: " + ("ok" if report.ok else "PROBLEMS FOUND"))
        return ExitCode.OK if report.ok else VERIFY_FAILED

    return _guard(body, debug=debug)


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
