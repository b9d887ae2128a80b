"""The plan: per selected object one action, decided from the backup, the id map and Looker now.

CREATE (gone from Looker), UNDELETE (in Looker's trash), SKIP (already as backed up), UPDATE
(differs; --on-conflict overwrite), CONFLICT (differs, or its title is taken, and the policy
leaves it alone), BLOCKED (a dependency neither exists nor is being restored).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lookervault.content import id_sort_key
from lookervault.restore.access import plan_access
from lookervault.restore.boards import without_items
from lookervault.restore.checks import dependencies, missing_explores
from lookervault.restore.compare import differences
from lookervault.restore.entries import Action, PlanEntry
from lookervault.restore.memberships import plan_membership
from lookervault.restore.select import RESTORABLE, Selection
from lookervault.restore.target import Target
from lookervault.restore.users import plan_user
from lookervault.restore.wanted import body_for, desired

__all__ = ["POLICIES", "Plan", "PlanOptions", "make_plan", "not_restorable"]


# After these the object exists in Looker (things that reference it are not blocked).
_WILL_EXIST = frozenset(
    {Action.CREATE, Action.UPDATE, Action.UNDELETE, Action.SKIP, Action.CONFLICT}
)
POLICIES = ("skip", "overwrite", "copy", "fail")


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """How to plan: the conflict policy and whether schedules keep their enabled state."""

    on_conflict: str = "skip"
    enable_schedules: bool = False
    prune: bool = False  # an updated dashboard loses the tiles the backup does not have


@dataclass
class Plan:
    """Every entry in restore order, what was asked for but not found, what cannot be restored."""

    entries: list[PlanEntry] = field(default_factory=list)
    missing: list[tuple[str, str, str]] = field(default_factory=list)
    not_restorable: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Objects per action, every action named (0 when none)."""
        counts = Counter(str(entry.action) for entry in self.entries)
        return {str(action): counts.get(str(action), 0) for action in Action}

    def will_exist(self, kind: str, source_id: str) -> bool | None:
        """Whether the plan leaves this object in Looker (None: not in the plan)."""
        for entry in self.entries:
            if entry.kind == kind and entry.source_id == source_id:
                return entry.action in _WILL_EXIST
        return None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict: summary, entries, missing, not_restorable."""
        return {
            "summary": self.summary(),
            "entries": [entry.as_json() for entry in self.entries],
            "missing": [{"type": k, "id": i, "reason": why} for k, i, why in self.missing],
            "not_restorable": self.not_restorable,
        }


async def make_plan(
    target: Target,
    selection: Selection,
    id_map: dict[str, dict[str, str]],
    options: PlanOptions,
    pending: set[tuple[str, str]] | None = None,
) -> Plan:
    """Decide every selected object's action (reads Looker, changes nothing).

    ``id_map`` gains, in memory, the objects a stopped restore created but could not record.
    """
    plan = Plan(missing=list(selection.missing))
    planner = _Planner(target, id_map, options, pending or set(), plan)
    planner.elements = {
        str(element.get("id")): dash_id
        for dash_id, dash in selection.items["dashboards"].items()
        for element in dash.get("dashboard_elements") or ()
    }
    for kind in RESTORABLE:
        for source_id, obj in selection.items[kind].items():
            plan.entries.append(await planner.decide(kind, source_id, obj))
    plan.not_restorable = not_restorable(selection) + _tiles_left(plan, selection)
    return plan


def _tiles_left(plan: Plan, selection: Selection) -> list[str]:
    """Dashboards outside the restore whose tiles show a look this restore re-creates."""
    notes = []
    for entry in plan.entries:
        others = selection.tiles_elsewhere.get(entry.source_id)
        if entry.kind == "looks" and entry.action == Action.CREATE and others:
            notes.append(
                f"look {entry.source_id} comes back with a new id; tiles of dashboards not being "
                f"restored still show the old one: {', '.join(sorted(set(others), key=id_sort_key))}"
            )
    return notes


class _Planner:
    def __init__(
        self,
        target: Target,
        id_map: dict[str, dict[str, str]],
        options: PlanOptions,
        pending: set[tuple[str, str]],
        plan: Plan,
    ) -> None:
        self.target, self.id_map, self.options = target, id_map, options
        self.pending, self.plan = pending, plan
        self.elements: dict[str, str] = {}  # backed-up tile id -> its dashboard's id

    async def decide(self, kind: str, source_id: str, obj: dict[str, Any]) -> PlanEntry:
        field: dict[str, Any] = obj["field"] if isinstance(obj.get("field"), dict) else {}
        title = (
            obj.get("title") or obj.get("name") or obj.get("custom_title")
            or obj.get("display_name") or field.get("title")
        )  # fmt: skip
        if kind == "content_metadata_access":
            exists = await self._exists(obj["owner"], obj["owner_id"])
            return await plan_access(self.target, source_id, obj, title, self.id_map, exists=exists)
        if kind == "memberships":
            owner = dependencies(kind, obj, self.elements)[0]
            restored = self.plan.will_exist(*owner) is True
            return await plan_membership(
                self.target, source_id, obj, title, self.id_map, restored=restored
            )
        if kind == "users":
            return await plan_user(self.target, source_id, obj, title, self.id_map)
        mapped = self.id_map.get(kind, {}).get(source_id)
        target_id = mapped or source_id
        current = await self.target.get(kind, target_id)

        def entry(action: Action, reason: str = "", **extra: Any) -> PlanEntry:
            return PlanEntry(kind, source_id, title, action, target_id, reason, **extra)

        if (kind, source_id) in self.pending:
            found = current if mapped else None
            if found is None:  # a create that may have happened: look for it by its natural key
                found_id = await self.target.find(kind, body_for(kind, obj, self.id_map))
                found = {"id": found_id} if found_id else None
            if found is not None:
                target_id = str(found["id"])
                if target_id != source_id:  # what follows refers to it by this id
                    self.id_map.setdefault(kind, {})[source_id] = target_id
                return entry(
                    Action.CREATE, "resuming: finish what a stopped restore began", resume=True
                )
        if current is None:
            target_id = None
            return await self._gone(kind, source_id, obj, entry)
        if current.get("deleted"):
            blocked = await self._blocked(kind, obj)
            return (
                entry(Action.BLOCKED, blocked)
                if blocked
                else entry(Action.UNDELETE, "in the trash")
            )
        wanted = desired(kind, obj, self.id_map, self.options.enable_schedules)
        if kind == "boards":  # items on content that is gone for good cannot come back
            wanted = without_items(wanted, await self._lost_items(obj))
        changed = differences(wanted, current, self.id_map)
        if not changed:
            return entry(Action.SKIP, "as in the backup")
        reason = "differs at " + ", ".join(changed[:3]) + (" ..." if len(changed) > 3 else "")
        if self.options.on_conflict == "overwrite":
            return entry(Action.UPDATE, reason)
        if self.options.on_conflict == "copy" and kind in ("looks", "dashboards", "boards"):
            target_id = None
            return entry(Action.CREATE, "a copy: " + reason)
        return entry(Action.CONFLICT, reason)

    async def _gone(self, kind: str, source_id: str, obj: dict[str, Any], entry: Any) -> PlanEntry:
        blocked = await self._blocked(kind, obj)
        if blocked:
            return entry(Action.BLOCKED, blocked)
        if kind in ("looks", "dashboards"):
            folder = self._resolve("folders", obj.get("folder_id"))
            taken = folder and await self.target.live_title_owner(
                kind, folder, str(obj.get("title"))
            )
            if taken:
                if self.options.on_conflict == "copy":
                    return entry(Action.CREATE, f"a copy: title taken by {kind[:-1]} {taken}")
                return entry(Action.CONFLICT, f"title taken in the folder by {kind[:-1]} {taken}")
        return entry(Action.CREATE, "gone from Looker")

    def _resolve(self, kind: str, source_id: Any) -> str | None:
        if source_id is None:
            return None
        return self.id_map.get(kind, {}).get(str(source_id), str(source_id))

    async def _exists(self, kind: str, source_id: Any) -> bool:
        if source_id is None:
            return True
        planned = self.plan.will_exist(kind, str(source_id))
        if planned is not None:
            return planned
        return await self.target.get(kind, self._resolve(kind, source_id)) is not None

    async def _lost_items(self, board: dict[str, Any]) -> set[str]:
        """Ids of the board's items whose dashboard or look neither exists nor is restored."""
        lost = set()
        for section in board.get("board_sections") or ():
            for item in section.get("board_items") or ():
                refs = [("dashboards", item.get("dashboard_id")), ("looks", item.get("look_id"))]
                for kind, ref in refs:
                    if ref is not None and not await self._exists(kind, ref):
                        lost.add(str(item.get("id")))
        return lost

    async def _blocked(self, kind: str, obj: dict[str, Any]) -> str:
        """Why the object cannot be restored now ("" when it can)."""
        if kind == "folders" and (obj.get("is_personal") or obj.get("is_embed")):
            return "a personal or embed folder: Looker creates these itself"
        # A board item on content that is gone is reported when applying; the board is not blocked.
        needs = [] if kind == "boards" else dependencies(kind, obj, self.elements)
        missing = [f"{k[:-1]} {i}" for k, i in needs if not await self._exists(k, i)]
        explores = await missing_explores(self.target, kind, obj)
        missing += [f"explore {name}" for name in explores]
        return ("missing: " + ", ".join(missing)) if missing else ""


def not_restorable(selection: Selection) -> list[str]:
    """What the selected objects hold that no restore can bring back, named."""
    notes = []
    if selection.items["scheduled_plans"]:
        notes.append("scheduled plans: write-only secret parameters of destinations")
    if selection.items["alerts"]:
        notes.append("alerts: followers")
    if selection.items["users"]:
        notes.append(
            "users: only their group and role memberships and their own attribute values "
            "(passwords, API credentials, SSO identities and hidden attribute values never; "
            "users are never created)"
        )
    hidden = [
        str(obj.get("name") or obj.get("id"))
        for obj in selection.items["user_attributes"].values()
        if obj.get("value_is_hidden")
    ]
    if hidden:
        notes.append(
            "user attributes whose values Looker hides (default and group values are never "
            f"given out, so never backed up): {', '.join(hidden)}"
        )
    for kind in ("looks", "dashboards"):
        trashed = [item_id for k, item_id, _ in selection.trashed if k == kind]
        if trashed:
            notes.append(
                f"{kind} in Looker's trash when backed up, left deleted (name them as "
                f"{kind} ID to restore them): {', '.join(trashed)}"
            )
    personal = [k for k, f in selection.items["folders"].items() if f.get("is_personal")]
    if personal:
        notes.append(f"personal folders (Looker creates them): {', '.join(personal)}")
    return notes
