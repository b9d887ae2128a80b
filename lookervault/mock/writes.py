"""The mock's write endpoints (the `writable` knob): what a restore sends, answered as Looker does.

Off by default, so the default mock is read-only as before. Read-only fields in a body are
ignored, ids and timestamps are the server's, references must exist, titles are unique within a
folder, and the trash is left with `PATCH deleted=false`. `forbid_writes` answers 403 to writes
of the named types. The /__mock__/hard_delete endpoints delete as an admin would, for tests.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from lookervault.mock.admin_writes import ADMIN_KINDS, create_admin, update_admin
from lookervault.mock.board_writes import BoardWrites
from lookervault.mock.content_writes import (
    create_access,
    create_folder,
    create_look,
    create_merge_query,
    create_query,
    update_folder,
    update_look,
)
from lookervault.mock.dashboard_writes import DashboardWrites
from lookervault.mock.deletes import hard_delete, hard_delete_folder
from lookervault.mock.member_writes import add_group_user, set_user_roles
from lookervault.mock.plan_writes import (
    create_alert,
    create_scheduled_plan,
    replace_alert,
    update_scheduled_plan,
)
from lookervault.mock.related_writes import (
    add_group_group,
    set_group_value,
    set_group_values,
    set_role_groups,
    set_role_users,
    set_user_value,
    update_content_metadata,
)
from lookervault.mock.responses import _error, _not_found, _Response
from lookervault.mock.write_support import IdSource, WriteRefusedError, answer

if TYPE_CHECKING:
    from lookervault.mock.app import MockLooker

__all__ = ["WRITE_METHODS", "MockWrites"]

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
_Handler = Callable[[str, dict[str, Any]], Any]


def _admin_create(data: Any, kind: str, _: str, body: dict[str, Any]) -> Any:
    return create_admin(data, kind, body)


class MockWrites:
    """Routes and answers write requests against one MockLooker's data."""

    def __init__(self, app: MockLooker) -> None:
        self.app = app
        data = app.data
        self.queries: dict[str, Any] = {str(q["id"]): q for q in data._queries}
        # One state with what GET serves: posted merge queries and queries join app.related's.
        related = app.related
        self.merge_queries: dict[str, Any] = related.merge_queries
        ids = IdSource()
        self.dashboards = DashboardWrites(data, self.queries, ids, self.merge_queries)
        self.boards = BoardWrites(data, ids)
        self._routes: list[tuple[str, re.Pattern[str], str, _Handler]] = []
        add = self._add
        add("POST", "/folders", "folders", lambda _, b: self._create_folder(ids, b))
        add("PATCH", "/folders/{}", "folders", functools.partial(update_folder, data))
        add("POST", "/content_metadata_access", "content_metadata_access",
            lambda _, b: create_access(data, ids, b))  # fmt: skip
        add("POST", "/queries", "queries", lambda _, b: self._create_query(b))
        add("POST", "/merge_queries", "merge_queries",
            lambda _, b: create_merge_query(self.queries, self.merge_queries, b))  # fmt: skip
        add("POST", "/looks", "looks", lambda _, b: create_look(data, self.queries, b))
        add("PATCH", "/looks/{}", "looks", lambda i, b: update_look(data, self.queries, i, b))
        add("POST", "/dashboards", "dashboards", lambda _, b: self.dashboards.create(b))
        add("PATCH", "/dashboards/{}", "dashboards", self.dashboards.update)
        add(
            "POST",
            "/dashboard_filters",
            "dashboards",
            lambda _, b: self.dashboards.create_filter(b),
        )
        add("PATCH", "/dashboard_filters/{}", "dashboards", self.dashboards.update_filter)
        add(
            "POST",
            "/dashboard_elements",
            "dashboards",
            lambda _, b: self.dashboards.create_element(b),
        )
        add("PATCH", "/dashboard_elements/{}", "dashboards", self.dashboards.update_element)
        add("DELETE", "/dashboard_elements/{}", "dashboards", self.dashboards.delete_element)
        add(
            "PATCH",
            "/dashboard_layout_components/{}",
            "dashboards",
            self.dashboards.update_component,
        )
        add("POST", "/boards", "boards", lambda _, b: self.boards.create(b))
        add("PATCH", "/boards/{}", "boards", self.boards.update)
        add("POST", "/board_sections", "boards", lambda _, b: self.boards.create_section(b))
        add("PATCH", "/board_sections/{}", "boards", self.boards.update_section)
        add("POST", "/board_items", "boards", lambda _, b: self.boards.create_item(b))
        add(
            "POST",
            "/scheduled_plans",
            "scheduled_plans",
            lambda _, b: create_scheduled_plan(data, b),
        )
        add("POST", "/alerts", "alerts", lambda _, b: create_alert(data, b))  # fmt: skip
        add("PATCH", "/scheduled_plans/{}", "scheduled_plans",
            functools.partial(update_scheduled_plan, data))  # fmt: skip
        add("PUT", "/alerts/{}", "alerts", functools.partial(replace_alert, data))
        add("POST", "/groups/{}/users", "users", functools.partial(add_group_user, data))
        add("PUT", "/users/{}/roles", "users", functools.partial(set_user_roles, data))
        add("PUT", "/roles/{}/groups", "roles", functools.partial(set_role_groups, related))
        add("PUT", "/roles/{}/users", "users", functools.partial(set_role_users, related))
        add("POST", "/groups/{}/groups", "groups", functools.partial(add_group_group, related))
        add("POST", "/user_attributes/{}/group_values", "user_attributes",
            functools.partial(set_group_values, related))  # fmt: skip
        add("PATCH", "/groups/{}/attribute_values/{}", "user_attributes",
            functools.partial(set_group_value, related))  # fmt: skip
        add("PATCH", "/users/{}/attribute_values/{}", "users",
            functools.partial(set_user_value, related))  # fmt: skip
        add("PATCH", "/content_metadata/{}", "content_metadata",
            functools.partial(update_content_metadata, related))  # fmt: skip
        for kind in ADMIN_KINDS:
            add("POST", f"/{kind}", kind, functools.partial(_admin_create, data, kind))
            add("PATCH", f"/{kind}/{{}}", kind, functools.partial(update_admin, data, kind))

    def _create_folder(self, ids: IdSource, body: dict[str, Any]) -> dict[str, Any]:
        """A new folder inherits its parent's access, as in Looker."""
        folder = create_folder(self.app.data, ids, body)
        self.app.related.inherits[str(folder["content_metadata_id"])] = True
        return folder

    def _create_query(self, body: dict[str, Any]) -> dict[str, Any]:
        query = create_query(self.app.data, self.queries, body)
        self.app.related.written_queries[str(query["id"])] = query
        return query

    def _add(self, method: str, template: str, kind: str, handler: _Handler) -> None:
        pattern = re.compile("^" + re.escape(template).replace(r"\{\}", "([^/]+)") + "$")
        self._routes.append((method, pattern, kind, handler))

    def handle(self, method: str, path: str, raw: bytes) -> _Response | None:
        """The answer to a write below /api/4.0, or None when no write route matches."""
        for route_method, pattern, kind, handler in self._routes:
            found = pattern.match(path)
            if route_method != method or found is None:
                continue
            if kind in self.app.options.forbid_writes:
                return _error(403, "You do not have permission to do that.")
            try:
                body = orjson.loads(raw or b"{}")
            except orjson.JSONDecodeError:
                return _error(400, "Request body is not valid JSON")
            takes_list = method == "PUT" or path.endswith("/group_values")
            if not isinstance(body, dict) and not (takes_list and isinstance(body, list)):
                return _error(400, "Request body must be a JSON object")
            try:
                result = handler("/".join(found.groups()), body)  # ids, "/" between
            except WriteRefusedError as refused:
                return refused.response
            self.app._forget_type(kind if kind != "queries" else "")
            self.app.stats.writes += 1
            return answer(result)
        return None

    def admin(self, method: str, path: str) -> _Response:
        """POST /__mock__/hard_delete_folder/{id} and /__mock__/hard_delete/{type}/{id}."""
        parts = path.strip("/").split("/")
        if method != "POST":
            return _not_found()
        if len(parts) == 2 and parts[0] == "hard_delete_folder":
            deleted = hard_delete_folder(self.app.data, parts[1])
        elif len(parts) == 3 and parts[0] == "hard_delete":
            deleted = hard_delete(self.app.data, parts[1], parts[2])
        else:
            return _not_found()
        if deleted is None:
            return _not_found()
        for kind in deleted:
            self.app._forget_type(kind)
        return answer(deleted)
