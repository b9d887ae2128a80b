"""What a plan says about one object: its action and why (shared by the planners and restorers)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Action", "PlanEntry"]


class Action(StrEnum):
    """What a restore does to one object."""

    CREATE = "CREATE"
    UPDATE = "UPDATE"
    UNDELETE = "UNDELETE"
    SKIP = "SKIP"
    CONFLICT = "CONFLICT"
    BLOCKED = "BLOCKED"


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """One object's action."""

    kind: str
    source_id: str
    title: str | None
    action: Action
    target_id: str | None = None  # the object in Looker the action works on
    reason: str = ""
    resume: bool = False  # a killed restore created it: finish it

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "type": self.kind,
            "id": self.source_id,
            "title": self.title,
            "action": str(self.action),
            "target_id": self.target_id,
            "reason": self.reason,
        }
