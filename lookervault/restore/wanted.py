"""What a restore wants Looker to hold for a backed-up object, and the bodies that ask for it.

The wanted state is the backup with the restore's safety applied (schedules and alerts disabled
unless --enable-schedules); request bodies carry only the fields Looker accepts, every reference
mapped through the id map.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lookervault.looker.writable import writable_body
from lookervault.restore.compare import REFERENCES

__all__ = ["IdMap", "body_for", "desired", "mapped", "undelete_body"]

IdMap = Mapping[str, Mapping[str, str]]


def mapped(id_map: IdMap, kind: str, source_id: Any) -> str | None:
    """The id in Looker of a backed-up object (its own id unless the restore made a new one)."""
    if source_id is None:
        return None
    return id_map.get(kind, {}).get(str(source_id), str(source_id))


def desired(
    kind: str, obj: dict[str, Any], id_map: IdMap, enable_schedules: bool
) -> dict[str, Any]:
    """The backup as the restore leaves it in Looker (before id mapping)."""
    wanted = dict(obj)
    if kind == "scheduled_plans" and not enable_schedules:
        wanted["enabled"] = False
    if kind == "alerts" and not enable_schedules:
        wanted["is_disabled"] = True
        wanted["disabled_reason"] = wanted.get("disabled_reason") or "restored disabled"
    if kind in ("looks", "dashboards"):
        wanted["deleted"] = False
    del id_map
    return wanted


def body_for(write_kind: str, obj: Mapping[str, Any], id_map: IdMap) -> dict[str, Any]:
    """The create or update body of ``write_kind`` for a backed-up object, references mapped."""
    body = writable_body(write_kind, obj)
    if write_kind in ("looks", "dashboards"):
        body.pop("deleted", None)  # restored live (out of the trash only by undelete_body)
    for key, ref_kind in REFERENCES.items():
        if key in body and not isinstance(body[key], (dict, list)):
            body[key] = mapped(id_map, ref_kind, body[key])
    return body


def undelete_body(obj: Mapping[str, Any], id_map: IdMap) -> dict[str, Any]:
    """Out of the trash, into its folder (re-created by this restore when it was gone too)."""
    body: dict[str, Any] = {"deleted": False}
    folder = mapped(id_map, "folders", obj.get("folder_id"))
    if folder is not None and folder != str(obj.get("folder_id")):
        body["folder_id"] = folder
    return body
