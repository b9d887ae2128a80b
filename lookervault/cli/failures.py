"""`lookervault failures`, and the per-type failure summary of extract, in words a Looker admin reads."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

from lookervault.checkpoint import Checkpoint, CheckpointKind
from lookervault.cli.guard import guard
from lookervault.cli.options import FLAT, FailuresFlags, RunOption
from lookervault.cli.render import print_json
from lookervault.cli.vaults import open_vault
from lookervault.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from lookervault.vault.records import Failure
    from lookervault.vault.store import Vault

__all__ = [
    "failure_what",
    "failures_command",
    "plain_error",
    "summarize_failures",
]

# What ApiError writes: "GET https://host/api/4.0/alerts/search failed: 503 Service Unavailable".
_API_ERROR = re.compile(
    r"\b(GET|POST|PUT|PATCH|DELETE|HEAD) (\S+) failed: (?:(\d{3}) )?(.*)$", re.DOTALL
)
_PAGES = (CheckpointKind.PAGE, CheckpointKind.ALL, CheckpointKind.END)
_WHOLE = "all"


_FAILURES = FailuresFlags()


def failures_command(
    *, run: RunOption = None, common: Annotated[FailuresFlags, FLAT] = _FAILURES
) -> int:
    """List every page, item, child request or id listing a run could not fetch.

    Parameters
    ----------
    run
        The run (default: the latest).
    """

    def body() -> int:
        with open_vault(common.db) as vault:
            run_id = _pick_run(vault, run)
            failures = vault.failures(run_id)
        if common.json:
            print_json([_as_json(f) for f in failures])
            return ExitCode.OK
        if not failures:
            print(f"run {run_id}: no failures")
        for f in failures:
            print(f"{f.content_type}  {failure_what(f.key)}  {plain_error(f.error)}")
        return ExitCode.OK

    return guard(body, debug=common.debug)


def _pick_run(vault: Vault, run: int | None) -> int:
    """The run asked for, or the latest; UsageError when the vault has no such run."""
    ids = vault.queries.run_ids()
    if run is None:
        if not ids:
            raise UsageError(f"vault {vault.path} has no runs yet")
        return ids[-1]
    if run not in ids:
        raise UsageError(f"no run {run} in vault {vault.path} (see `lookervault runs`)")
    return run


def _as_json(failure: Failure) -> dict[str, Any]:
    return {
        "content_type": failure.content_type,
        "key": failure.key,
        "what": failure_what(failure.key),
        "error": failure.error,
    }


def failure_what(key: str) -> str:
    """What a failure key stands for: a page, an item, a child request or the id listing."""
    point = Checkpoint.decode(key)
    of = "" if point.variant == _WHOLE else f" of variant {point.variant}"
    match point.kind:
        case CheckpointKind.PAGE:
            return f"page at offset {point.offset}{of}"
        case CheckpointKind.END:
            return f"end of the list at offset {point.offset}{of}"
        case CheckpointKind.ALL:
            return f"the whole list{of}"
        case CheckpointKind.ITEM:
            return f"item {point.item_id}"
        case CheckpointKind.CHILD:
            return f"child {point.child_key}"
        case CheckpointKind.RECONCILE:
            return "id listing"
        case _:
            return point.raw


def plain_error(error: str) -> str:
    """A stored error with Looker's answer put first: "Looker answered 503 ... for GET /api/..."."""
    found = _API_ERROR.search(error)
    if found is None:
        return error
    method, url, status, message = found.groups()
    request = f"{method} {urlsplit(url).path or url}"
    if status:
        said = f"Looker answered {status} {message} for {request}"
    else:
        said = f"no answer from Looker for {request}: {message}"
    return error[: found.start()] + said


def summarize_failures(failures: Iterable[Failure]) -> list[str]:
    """One line per content type: how many pages and items failed, and its first error."""
    by_type: dict[str, list[Failure]] = {}
    for failure in failures:
        by_type.setdefault(failure.content_type, []).append(failure)
    return [_type_line(name, found) for name, found in by_type.items()]


def _type_line(name: str, failures: Sequence[Failure]) -> str:
    kinds = [Checkpoint.decode(f.key).kind for f in failures]
    pages = sum(kind in _PAGES for kind in kinds)
    counts = [_count(pages, "page"), _count(kinds.count(CheckpointKind.ITEM), "item")]
    if children := kinds.count(CheckpointKind.CHILD):
        counts.append(_count(children, "child request"))
    if unknown := kinds.count(CheckpointKind.UNKNOWN):
        counts.append(_count(unknown, "other request"))
    if CheckpointKind.RECONCILE in kinds:
        counts.append("the id listing")
    return f"{name}: {', '.join(counts)} failed; first: {plain_error(failures[0].error)}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
