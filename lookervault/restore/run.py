"""One restore: select from the vault, read Looker, plan, and (with apply) carry the plan out.

A restore is recorded in the vault only when it applies. `resume` continues the last restore
that did not finish "ok" with its own selection and options; pending creates of any earlier
restore are looked for in Looker before anything is posted, so nothing is created twice.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from lookervault.backup.instance import check_same_instance
from lookervault.errors import UsageError
from lookervault.looker.client import LookerClient
from lookervault.restore.apply import ApplyResult, apply_plan
from lookervault.restore.entries import Action
from lookervault.restore.plan import Plan, PlanOptions, make_plan
from lookervault.restore.select import Wanted, select_items
from lookervault.restore.target import Target
from lookervault.restore.writes import Writes
from lookervault.settings import ConnectionSettings
from lookervault.vault.restores import RestoreLedger
from lookervault.vault.store import Vault

__all__ = ["RestoreOptions", "RestoreResult", "restore"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RestoreOptions:
    """What to restore and how."""

    wanted: Wanted = Wanted()
    plan: PlanOptions = PlanOptions()
    apply: bool = False
    resume: bool = False


@dataclass
class RestoreResult:
    """The plan, and what applying it did (None when only planned)."""

    plan: Plan
    restore_id: int | None = None
    applied: ApplyResult | None = None
    refused: str = ""  # why apply did not start (--on-conflict fail with conflicts)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Nothing missing, refused or failed."""
        failed = self.applied is not None and bool(self.applied.failures)
        return not (self.plan.missing or self.refused or failed)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the plan's keys plus restore_id, applied, failures, notes."""
        data = self.plan.as_json()
        data["restore_id"] = self.restore_id
        data["refused"] = self.refused or None
        applied = self.applied
        data["applied"] = applied.done if applied else None
        data["failures"] = [f.as_json() for f in applied.failures] if applied else []
        data["notes"] = applied.notes if applied else []
        return data


async def restore(
    settings: ConnectionSettings,
    vault: Vault,
    options: RestoreOptions,
    *,
    transport: Any = None,  # an httpx transport (tests serve the mock in-process)
) -> RestoreResult:
    """Plan (and with ``options.apply`` carry out) one restore into ``settings``' Looker."""
    ledger = RestoreLedger(vault)
    restore_id = None
    if options.resume:
        last = ledger.last_unfinished()
        if last is None:
            raise UsageError("nothing to resume: the last restore finished")
        restore_id, options = last.restore_id, _options_from(last.options, apply=True)
    selection = select_items(vault, options.wanted)
    # Same instance only: ids are identity here (moving content to another Looker comes later).
    check_same_instance(settings.base_url, vault.looker_urls(), allow_other=False)
    id_map = ledger.id_map()
    pending = ledger.pending()
    async with LookerClient(settings, concurrency=1, transport=transport) as client:
        plan = await make_plan(Target(client), selection, id_map, options.plan, pending)
        result = RestoreResult(plan, options=_options_json(options))
        if not options.apply:
            return result
        conflicts = plan.summary()[str(Action.CONFLICT)]
        if options.plan.on_conflict == "fail" and conflicts:
            result.refused = f"{conflicts} conflicts and --on-conflict fail: nothing applied"
            return result
        if restore_id is None:
            restore_id = ledger.start(options.wanted.run_id, result.options, settings.base_url)
        result.restore_id = restore_id
        writes = Writes(client, ledger, restore_id, id_map, pending, prune=options.plan.prune)
        writes.merge_queries = selection.merge_queries
        result.applied = await apply_plan(
            writes, plan, selection, enable_schedules=options.plan.enable_schedules
        )
    ledger.finish(restore_id, "ok" if result.ok else "partial")
    return result


def _options_json(options: RestoreOptions) -> dict[str, Any]:
    wanted = asdict(options.wanted)
    wanted["pairs"] = [list(pair) for pair in options.wanted.pairs]
    return {"wanted": wanted, "plan": asdict(options.plan)}


def _options_from(stored: dict[str, Any], *, apply: bool) -> RestoreOptions:
    wanted = dict(stored.get("wanted") or {})
    wanted["pairs"] = tuple(tuple(pair) for pair in wanted.get("pairs") or ())
    wanted["types"] = tuple(wanted.get("types") or ())
    return RestoreOptions(
        wanted=Wanted(**wanted), plan=PlanOptions(**(stored.get("plan") or {})), apply=apply
    )
