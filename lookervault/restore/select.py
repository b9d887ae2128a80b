"""What to restore: items by type and id, a folder subtree, or every item of a type, read from
the vault's latest state or one run's snapshot, in the order a restore must create them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lookervault import jsonio
from lookervault.errors import UsageError
from lookervault.vault.store import Vault

__all__ = ["RESTORABLE", "SELECTABLE", "Selection", "Wanted", "select_items"]

_ACCESS = "content_metadata_access"
_MERGE = "merge_queries"
# Restore order: what each type references is restored before it. Access rules come with the
# folders and boards selected (keyed "folders/ID", "boards/ID"), not by name.
RESTORABLE = (
    "permission_sets", "model_sets", "groups", "roles", "user_attributes", "themes", "users",
    "memberships", "folders", "looks", "dashboards", "boards", _ACCESS, "scheduled_plans", "alerts",
)  # fmt: skip
SELECTABLE = tuple(kind for kind in RESTORABLE if kind not in (_ACCESS, "memberships"))
# Membership lists the vault keeps under their owner's id: vault type -> the owner's kind.
_MEMBERSHIPS = {
    "role_groups": "roles",
    "role_users": "roles",
    "group_groups": "groups",
    "user_attribute_group_values": "user_attributes",
    "user_attribute_values": "users",
}


@dataclass(frozen=True, slots=True)
class Wanted:
    """What the user asked for."""

    pairs: tuple[tuple[str, str], ...] = ()  # (type, id)
    types: tuple[str, ...] = ()  # every item of these types
    folder: str | None = None  # this folder's subtree
    run_id: int | None = None  # None: the latest state


@dataclass
class Selection:
    """The backed-up objects to restore per type (in RESTORABLE order) and what was not found."""

    items: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {kind: {} for kind in RESTORABLE}
    )
    missing: list[tuple[str, str, str]] = field(default_factory=list)  # (type, id, why)
    # Backed-up merge queries by id: what merged-results tiles are rebuilt from.
    merge_queries: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Looks and dashboards in Looker's trash when backed up, left out of a type or folder
    # selection (someone had deleted them): (type, id, title). Named by TYPE ID they come back.
    trashed: list[tuple[str, str, str]] = field(default_factory=list)
    # Backed-up look tiles of dashboards not selected: look id -> those dashboards' ids (a look
    # re-created with a new id leaves their tiles as they are: the plan names them).
    tiles_elsewhere: dict[str, list[str]] = field(default_factory=dict)

    def count(self) -> int:
        """Objects selected."""
        return sum(len(objects) for objects in self.items.values())


def select_items(vault: Vault, wanted: Wanted) -> Selection:
    """The objects ``wanted`` names, read from the vault.

    Raises:
        UsageError: a type that restore does not handle, or a run the vault does not have.
    """
    if wanted.run_id is not None and wanted.run_id not in vault.queries.run_ids():
        raise UsageError(f"no run {wanted.run_id} in vault {vault.path} (see `lookervault runs`)")
    for kind in (*wanted.types, *(kind for kind, _ in wanted.pairs)):
        if kind not in SELECTABLE:
            raise UsageError(f"restore handles {', '.join(SELECTABLE)}; not {kind!r}")
    backup = _load(vault, wanted.run_id)
    selection = Selection(merge_queries=backup[_MERGE])
    for kind in wanted.types:
        selection.items[kind].update(_live(backup[kind], selection, kind))
    for kind, item_id in wanted.pairs:
        obj = backup[kind].get(item_id)
        if obj is None:
            where = f"run {wanted.run_id}" if wanted.run_id is not None else "the vault"
            selection.missing.append((kind, item_id, f"not in {where}"))
        else:
            selection.items[kind][item_id] = obj
    if wanted.folder is not None:
        _select_folder(backup, wanted, selection)
    _select_access(backup, selection)
    _select_memberships(backup, selection)
    for kind, objects in selection.items.items():
        selection.items[kind] = {key: objects[key] for key in sorted(objects, key=_num)}
    selection.items["folders"] = _top_down(selection.items["folders"])
    for dash_id, dash in backup["dashboards"].items():
        if dash_id not in selection.items["dashboards"] and not dash.get("deleted"):
            for element in dash.get("dashboard_elements") or ():
                if element.get("look_id") is not None:
                    shows = selection.tiles_elsewhere.setdefault(str(element["look_id"]), [])
                    shows.append(dash_id)
    trashed = {t for t in selection.trashed if t[1] not in selection.items[t[0]]}
    selection.trashed = sorted(trashed, key=lambda t: (t[0], _num(t[1])))
    return selection


def _load(vault: Vault, run_id: int | None) -> dict[str, dict[str, dict[str, Any]]]:
    kinds = (*RESTORABLE, _MERGE, *_MEMBERSHIPS, "content_metadata")
    backup: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in kinds}
    for kind, item_id, content in vault.iter_items(kinds, run_id=run_id):
        backup[kind][item_id] = jsonio.loads(content)
    return backup


def _live(
    objects: Mapping[str, dict[str, Any]], selection: Selection, kind: str
) -> dict[str, dict[str, Any]]:
    """Objects that were not in Looker's trash when backed up; the others go to ``trashed``."""
    live = {}
    for key, obj in objects.items():
        if not obj.get("deleted"):
            live[key] = obj
        else:
            selection.trashed.append((kind, key, str(obj.get("title") or "")))
    return live


def _select_folder(backup: dict[str, Any], wanted: Wanted, selection: Selection) -> None:
    folders = backup["folders"]
    if wanted.folder not in folders:
        selection.missing.append(("folders", str(wanted.folder), "not in the backup"))
        return
    subtree = [str(wanted.folder)]
    for current in subtree:  # grows while iterating: breadth-first
        subtree += [key for key, f in folders.items() if f.get("parent_id") == current]
    chosen = selection.items
    chosen["folders"].update({key: folders[key] for key in subtree})
    for kind in ("looks", "dashboards"):
        inside = {k: o for k, o in backup[kind].items() if o.get("folder_id") in subtree}
        chosen[kind].update(_live(inside, selection, kind))
    elements = {
        str(e["id"])
        for d in chosen["dashboards"].values()
        for e in d.get("dashboard_elements") or ()
    }
    chosen["scheduled_plans"].update(
        _pointing(backup["scheduled_plans"], chosen["dashboards"], chosen["looks"])
    )
    chosen["alerts"].update(
        {
            k: a
            for k, a in backup["alerts"].items()
            if str(a.get("dashboard_element_id")) in elements
        }
    )
    chosen["boards"].update({k: b for k, b in backup["boards"].items() if _board_points(b, chosen)})


def _select_access(backup: dict[str, Any], selection: Selection) -> None:
    """The access rules of every selected folder and board that has any, and whether a folder
    inherits its parent's access (only a subfolder can: a board or a root folder never does)."""
    for kind in ("folders", "boards"):
        for key, obj in selection.items[kind].items():
            cmid = str(obj.get("content_metadata_id"))
            rules = backup[_ACCESS].get(cmid) or []
            meta = backup["content_metadata"].get(cmid)
            inherits = meta.get("inherits") if isinstance(meta, dict) else None
            if inherits is not None and meta.get("parent_id") is None:
                inherits = None  # nothing to set
            if rules or inherits is False:
                title = f"access to {kind[:-1]} {obj.get('name') or obj.get('title')}"
                selection.items[_ACCESS][f"{kind}/{key}"] = {
                    "owner": kind,
                    "owner_id": key,
                    "rules": rules,
                    "title": title,
                    "inherits": inherits,
                }


def _select_memberships(backup: dict[str, Any], selection: Selection) -> None:
    """The membership lists of every selected role, group and user attribute (once backed up)."""
    for vault_type, owner in _MEMBERSHIPS.items():
        for key, obj in selection.items[owner].items():
            rows = backup[vault_type].get(key)
            if isinstance(rows, list):
                name = obj.get("name") or obj.get("display_name") or obj.get("email")
                title = f"{vault_type.replace('_', ' ')} of {name}"
                selection.items["memberships"][f"{vault_type}/{key}"] = {
                    "type": vault_type,
                    "owner_id": key,
                    "rows": rows,
                    "title": title,
                }


def _pointing(
    plans: Mapping[str, dict[str, Any]], dashboards: Mapping[str, Any], looks: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    return {
        key: plan
        for key, plan in plans.items()
        if str(plan.get("dashboard_id")) in dashboards or str(plan.get("look_id")) in looks
    }


def _board_points(board: dict[str, Any], chosen: Mapping[str, Mapping[str, Any]]) -> bool:
    return any(
        str(item.get("dashboard_id")) in chosen["dashboards"]
        or str(item.get("look_id")) in chosen["looks"]
        for section in board.get("board_sections") or ()
        for item in section.get("board_items") or ()
    )


def _top_down(folders: Mapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Parents before children."""

    def depth(key: str) -> int:
        seen: set[str] = set()
        while key in folders and key not in seen:
            seen.add(key)
            key = str(folders[key].get("parent_id"))
        return len(seen)

    return {key: folders[key] for key in sorted(folders, key=lambda k: (depth(k), _num(k)))}


def _num(key: str) -> tuple[int, int | str]:
    return (0, int(key)) if key.isdigit() else (1, key)  # "folders/5" after numbers, by name
