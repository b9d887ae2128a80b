"""Who the API user is and which Looker release answers: the mock's `--api-user` and `--release`.

A real Looker gives a non-admin API user less (users without emails and credentials, only their
own schedules and alerts, no trash: 403 where a whole listing needs admin rights) and changes
endpoints between releases (`scheduled_plans/search` only from 24.18; from 25.20
`all_lookml_models` leaves out self-service models unless `include_self_service=true`). Both
knobs are off by default: the default mock is an admin on a current release, as before.
"""

from __future__ import annotations

from typing import Any

import orjson

from lookervault.mock.data import MockData
from lookervault.mock.options import MockOptions
from lookervault.mock.responses import _error, _not_found, _Response
from lookervault.mock.routes import Route

__all__ = [
    "NONADMIN_PERMISSIONS",
    "SEARCH_SCHEDULES_SINCE",
    "SELF_SERVICE_FLAG_SINCE",
    "Caller",
    "parse_release",
    "trim_user",
]

SEARCH_SCHEDULES_SINCE = (24, 18)
SELF_SERVICE_FLAG_SINCE = (25, 20)
# What the non-admin API user may do: see and explore content, nothing of administration.
NONADMIN_PERMISSIONS = ("access_data", "explore", "see_looks", "see_user_dashboards")
_NONADMIN_ROLE_ID = "900001"
_FORBIDDEN = "You are not allowed to perform this action."
# Listing flags that lift "only mine" or show the trash: admin rights only.
_ADMIN_FLAGS = {
    "/scheduled_plans/search": "all_users",
    "/scheduled_plans": "all_users",
    "/alerts/search": "all_owners",
    "/dashboards/search": "deleted",
    "/looks/search": "deleted",
}
_USER_SECRETS = ("email", "credentials_api3", "credentials_email", "credentials_embed")


def parse_release(text: str | None) -> tuple[int, int] | None:
    """ "24.18.3" -> (24, 18); None for anything else."""
    parts = (text or "").split(".")
    if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return int(parts[0]), int(parts[1])


def trim_user(user: dict[str, Any]) -> dict[str, Any]:
    """A user as a non-admin sees it: no email, no credentials."""
    return {
        key: value
        for key, value in user.items()
        if key not in _USER_SECRETS and not key.startswith("credentials_")
    }


class Caller:
    """Answers the questions the API user and the release decide; None: serve as usual."""

    def __init__(self, options: MockOptions, data: MockData) -> None:
        self.admin = options.api_user != "nonadmin"
        self.release = parse_release(options.release) if options.release else None
        self.data = data

    @property
    def active(self) -> bool:
        """Whether any knob is on (the default mock skips every check below)."""
        return not self.admin or self.release is not None

    @property
    def self_service_model(self) -> str | None:
        """The model this release treats as self-service (the first one), when --release is set."""
        if self.release is None or self.release < SELF_SERVICE_FLAG_SINCE:
            return None
        return next(iter(sorted(self.data.objects["lookml_models"])), None)

    def refuse(self, route: Route, query: dict[str, str]) -> _Response | None:
        """A 404 for an endpoint this release lacks, a 403 for what needs admin rights."""
        if (
            self.release is not None
            and self.release < SEARCH_SCHEDULES_SINCE
            and route.path == "/scheduled_plans/search"
        ):
            return _not_found()
        flag = _ADMIN_FLAGS.get(route.path) if route.method == "GET" else None
        if not self.admin and flag and query.get(flag, "").lower() in ("true", "1"):
            return _error(403, _FORBIDDEN)
        return None

    def user_roles(self, user_id: str) -> _Response:
        """GET /users/{user_id}/roles: the user's roles with their permission sets."""
        user = self.data.objects["users"].get(user_id)
        if user is None:
            return _not_found()
        if not self.admin and user_id == self.data.me_id:
            return _Response(200, orjson.dumps([self._nonadmin_role()]))
        roles = self.data.objects["roles"]
        found = [roles[r] for r in user.get("role_ids") or () if r in roles]
        return _Response(200, orjson.dumps(found))

    def reshape(self, route: Route, query: dict[str, str], response: _Response) -> _Response:
        """Trim users for a non-admin; hide the self-service model unless asked for it."""
        if response.status != 200 or route.method != "GET":
            return response
        hidden = self.self_service_model
        if (
            route.path == "/lookml_models"
            and hidden
            and query.get("include_self_service") != "true"
        ):
            models = [m for m in orjson.loads(response.body) if m.get("name") != hidden]
            return _Response(200, orjson.dumps(models))
        if self.admin or route.content_type != "users":
            return response
        body = orjson.loads(response.body)
        if isinstance(body, list):
            return _Response(200, orjson.dumps([trim_user(u) for u in body]))
        if route.kind == "me":
            body["role_ids"] = [_NONADMIN_ROLE_ID]
        return _Response(200, orjson.dumps(trim_user(body)))

    def _nonadmin_role(self) -> dict[str, Any]:
        return {
            "id": _NONADMIN_ROLE_ID,
            "name": "API (no admin)",
            "permission_set": {
                "id": _NONADMIN_ROLE_ID,
                "name": "API (no admin)",
                "all_access": False,
                "built_in": False,
                "permissions": list(NONADMIN_PERMISSIONS),
            },
            "permission_set_id": _NONADMIN_ROLE_ID,
        }
