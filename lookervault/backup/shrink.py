"""The shrink guard: a listing much smaller than last time is a warning, not a deletion.

Permission changes and servers that cap `limit` shrink listings; deleting most of a type
between two runs is rare. When a type's items in this run fall under `shrink_threshold` of
its count in the last complete run (that had at least SHRINK_MIN_ITEMS of them), its unseen
items are not marked gone and the run is partial for that type, unless `--accept-shrink`.
"""

from __future__ import annotations

import logging

from lookervault.backup.context import RunContext
from lookervault.backup.outcomes import COMPLETE
from lookervault.config import SHRINK_MIN_ITEMS
from lookervault.content import ContentType
from lookervault.vault.queries import RunRecord

__all__ = ["hold_shrinking_types", "last_complete_counts", "shrink_reason", "shrinking"]

logger = logging.getLogger(__name__)


def last_complete_counts(runs: list[RunRecord], run_id: int) -> dict[str, tuple[int, int]]:
    """Per type, (run id, item count) of the latest earlier run that read the type completely."""
    found: dict[str, tuple[int, int]] = {}
    for run in sorted(runs, key=lambda r: r.run_id, reverse=True):
        if run.run_id >= run_id or run.status != COMPLETE:
            continue
        outcomes = (run.stats or {}).get("outcomes") or {}
        for name, count in (run.counts or {}).items():
            outcome = outcomes.get(name, {}).get("outcome", COMPLETE)
            if name not in found and outcome == COMPLETE and isinstance(count, int):
                found[name] = (run.run_id, count)
    return found


def shrink_reason(count: int, previous: tuple[int, int], threshold: float) -> str | None:
    """Why `count` items are too few to mark the rest gone; None when they are not."""
    run_id, before = previous
    if before < SHRINK_MIN_ITEMS or count >= threshold * before:
        return None
    return (
        f"listed {count} items, {before} in run {run_id} (under {threshold:.0%}): unseen items "
        "are not marked gone; if they really were deleted, run again with --accept-shrink"
    )


async def hold_shrinking_types(context: RunContext, types: tuple[ContentType, ...]) -> None:
    """Hold every type whose count shrank past the threshold (see shrink_reason)."""
    options, vault, outcomes = context.options, context.vault, context.outcomes
    if options.accept_shrink:
        return
    previous = last_complete_counts(await context.in_vault(vault.runs), context.run_id)
    for ct in types:
        if ct.name not in previous or not outcomes.may_mark_gone(ct.name):
            continue
        count = await context.in_vault(vault.count_items, ct.name, run_id=context.run_id)
        reason = shrink_reason(count, previous[ct.name], options.shrink_threshold)
        if reason is not None:
            logger.warning("%s: %s", ct.name, reason)
            outcomes.hold(ct.name, reason)


async def shrinking(context: RunContext, name: str, count: int) -> bool:
    """Whether `count` items of type `name` would be held by the shrink guard."""
    options = context.options
    if options.accept_shrink:
        return False
    previous = last_complete_counts(await context.in_vault(context.vault.runs), context.run_id)
    reference = previous.get(name)
    return reference is not None and (
        shrink_reason(count, reference, options.shrink_threshold) is not None
    )
