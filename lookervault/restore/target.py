"""The current state of the Looker a restore writes to: objects by id, explores, titles in a folder,
and the object a killed restore may have created before it could record it."""

from __future__ import annotations

from typing import Any

from lookervault.errors import NotFoundError
from lookervault.looker.client import LookerClient

__all__ = ["GET_PATHS", "Target"]

ADMIN = ("permission_sets", "model_sets", "groups", "roles", "user_attributes", "themes")
GET_PATHS = {
    "folders": "/folders/{}",
    "looks": "/looks/{}",
    "dashboards": "/dashboards/{}",
    "boards": "/boards/{}",
    "scheduled_plans": "/scheduled_plans/{}",
    "alerts": "/alerts/{}",
    "users": "/users/{}",
    **{kind: f"/{kind}/{{}}" for kind in ADMIN},
}
_SEARCH = {
    "folders": ("/folders/search", {}),
    "looks": ("/looks/search", {}),
    "dashboards": ("/dashboards/search", {}),
    "boards": ("/boards/search", {}),
    "scheduled_plans": ("/scheduled_plans/search", {"all_users": "true"}),
    "alerts": ("/alerts/search", {"all_owners": "true"}),
    **{kind: (f"/{kind}/search", {}) for kind in ADMIN},
    "user_attributes": ("/user_attributes", {}),
}
# What identifies an object when its id is unknown (the one a killed restore created).
_NATURAL_KEYS = {
    "folders": ("name", "parent_id"),
    "looks": ("title", "folder_id"),
    "dashboards": ("title", "folder_id"),
    "boards": ("title", "user_id"),
    "scheduled_plans": ("name", "user_id", "dashboard_id", "look_id"),
    "alerts": ("owner_id", "dashboard_element_id", "cron", "threshold"),
    **dict.fromkeys(ADMIN, ("name",)),
}


class Target:
    """Reads the Looker a restore writes to, caching what a plan asks twice."""

    def __init__(self, client: LookerClient) -> None:
        self.client = client
        self._explores: dict[tuple[str, str], bool] = {}

    async def get(self, kind: str, item_id: str | None) -> dict[str, Any] | None:
        """The object as Looker has it now, or None when it does not exist."""
        if item_id is None:
            return None
        try:
            return await self.client.get_json(GET_PATHS[kind].format(item_id))
        except NotFoundError:
            return None

    async def explore_exists(self, model: str, explore: str) -> bool:
        """Whether the LookML model and explore a query needs exist."""
        key = (model, explore)
        if key not in self._explores:
            try:
                await self.client.get_json(
                    f"/lookml_models/{model}/explores/{explore}", {"fields": "name"}
                )
                self._explores[key] = True
            except NotFoundError:
                self._explores[key] = False
        return self._explores[key]

    async def live_title_owner(self, kind: str, folder_id: str, title: str) -> str | None:
        """The id of a live look or dashboard in the folder with this title, if any."""
        path, _ = _SEARCH[kind]
        params = {"folder_id": folder_id, "fields": "id,title,deleted", "deleted": "false"}
        rows = await self.client.get_json(path, params)
        return next((str(r["id"]) for r in rows if r.get("title") == title), None)

    async def find(self, kind: str, wanted: dict[str, Any]) -> str | None:
        """The id of an object equal to ``wanted`` on its natural key (None: not there)."""
        path, params = _SEARCH[kind]
        keys = _NATURAL_KEYS[kind]
        rows = await self.client.get_json(path, {**params, "fields": ",".join(("id", *keys))})
        for row in rows:
            if all(_same(row.get(key), wanted.get(key)) for key in keys):
                return str(row["id"])
        return None


def _same(a: Any, b: Any) -> bool:
    return (str(a) if a is not None else None) == (str(b) if b is not None else None)
