"""Mock writes of dashboards and their parts: filters, elements and the layout components the
server makes for each element (there is no endpoint that creates a layout component)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lookervault.mock.content import _ELEMENT_BASE, _SETTINGS_BASE
from lookervault.mock.content_writes import folder_fields, owner_fields, stamp, trash
from lookervault.mock.world import _CAN, _cmd_id
from lookervault.mock.write_support import (
    IdSource,
    accepted,
    must_exist,
    refuse,
    require,
    title_taken,
    validation_failed,
)

if TYPE_CHECKING:
    from lookervault.mock.data import MockData

__all__: list[str] = []

# A dashboard as the server stores it when a setting is not sent.
_SETTINGS_DEFAULTS: dict[str, Any] = {
    **_SETTINGS_BASE,
    "description": None,
    "certification_metadata": None,
}
# An element as the server stores it when a field is not sent: the generated elements' defaults
# (content.py) without their permissions and type, and the fields a generated element sets.
_ELEMENT_DEFAULTS: dict[str, Any] = {
    **{key: value for key, value in _ELEMENT_BASE.items() if key not in ("can", "type")},
    "look_id": None,
    "note_display": None,
    "note_state": None,
    "note_text": None,
    "note_text_as_html": None,
    "query": None,
    "query_id": None,
    "result_maker_id": None,
    "subtitle_text": None,
    "title": None,
    "title_hidden": False,
    "alert_count": 0,
}


class DashboardWrites:
    """The dashboard write endpoints over one MockData and its query table."""

    def __init__(
        self, data: MockData, queries: dict[str, Any], ids: IdSource, merges: dict[str, Any]
    ) -> None:
        self.data, self.queries, self.ids, self.merges = data, queries, ids, merges
        self.dashboards = data.objects["dashboards"]

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /dashboards: title and folder required, titles unique per folder, slugs unique."""
        require("dashboards", body)
        fields = accepted("dashboards", body)
        fields["folder_id"] = str(fields["folder_id"])
        self._check(fields, but=None)
        number = IdSource.next_id(self.data, "dashboards")
        dash = {
            "can": _CAN,
            "content_favorite_id": None,
            "content_metadata_id": _cmd_id("dashboards", int(number)),
            "id": number,
            "user_id": self.data.me_id,
            "created_at": stamp(self.data),
            "last_accessed_at": None,
            "last_viewed_at": None,
            "favorite_count": 0,
            "view_count": 0,
            "usage_count": 0,
            **_SETTINGS_DEFAULTS,
            "slug": f"s{number:>21}",
            "model": None,
            **fields,
            "deleted": False,
            "deleted_at": None,
            "deleter_id": None,
            "dashboard_elements": [],
            "dashboard_filters": [],
            "edit_uri": f"/dashboards/{number}/edit",
            "last_updater_name": None,
            "url": f"/dashboards/{number}",
        }
        dash["dashboard_layouts"] = [self._new_layout(dash)]
        self._derive(dash)
        self.dashboards[number] = dash
        return dash

    def update(self, dash_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /dashboards/{id}: writable fields; deleted=false brings it back from the trash."""
        old = self._get(dash_id)
        dash = {**old, **accepted("dashboards", body)}
        dash["folder_id"] = str(dash["folder_id"])
        self._check(dash, but=dash_id)
        trash(self.data, dash, old)
        self._derive(dash)
        self.dashboards[dash_id] = dash
        return dash

    def create_filter(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /dashboard_filters."""
        require("dashboard_filters", body)
        dash = self._get(str(body["dashboard_id"]))
        row = {"can": _CAN, "id": self.ids.next_child(), "field": None, "row": 0,
               "listens_to_filters": [], "allow_multiple_values": True, "required": False,
               "default_value": None, "model": None, "explore": None, "dimension": None,
               "ui_config": None, **accepted("dashboard_filters", body)}  # fmt: skip
        row["dashboard_id"] = dash["id"]
        self._replace(dash, dashboard_filters=[*dash["dashboard_filters"], row])
        return row

    def update_filter(self, filter_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /dashboard_filters/{id}."""
        dash, index = self._owner_of("dashboard_filters", filter_id)
        fields = accepted("dashboard_filters", body)
        fields.pop("dashboard_id", None)
        row = {**dash["dashboard_filters"][index], **fields}
        rows = list(dash["dashboard_filters"])
        rows[index] = row
        self._replace(dash, dashboard_filters=rows)
        return row

    def create_element(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /dashboard_elements: the server also makes the element's layout component."""
        require("dashboard_elements", body)
        dash = self._get(str(body["dashboard_id"]))
        fields = accepted("dashboard_elements", body)
        element = {"can": _CAN, **_ELEMENT_DEFAULTS, **fields, "id": self.ids.next_child()}
        if isinstance(fields.get("result_maker"), dict):  # Looker keeps the filter bindings
            element["result_maker"] = {
                "filterables": fields["result_maker"].get("filterables"),
            }
        self._element_refs(element)
        layout = dash["dashboard_layouts"][0]
        element["dashboard_id"], element["dashboard_layout_id"] = dash["id"], layout["id"]
        component = self._new_component(element, layout, len(dash["dashboard_elements"]))
        layout = {
            **layout,
            "dashboard_layout_components": [*layout["dashboard_layout_components"], component],
        }
        self._replace(dash, dashboard_elements=[*dash["dashboard_elements"], element],
                      dashboard_layouts=[layout, *dash["dashboard_layouts"][1:]])  # fmt: skip
        return element

    def update_element(self, element_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /dashboard_elements/{id}: the element keeps its id (alerts stay attached)."""
        dash, index = self._owner_of("dashboard_elements", element_id)
        fields = accepted("dashboard_elements", body)
        fields.pop("dashboard_id", None)
        element = {**dash["dashboard_elements"][index], **fields}
        self._element_refs(element)
        rows = list(dash["dashboard_elements"])
        rows[index] = element
        self._replace(dash, dashboard_elements=rows)
        return element

    def delete_element(self, element_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """DELETE /dashboard_elements/{id}: the tile and its layout component go."""
        del body
        dash, index = self._owner_of("dashboard_elements", element_id)
        elements = [e for e in dash["dashboard_elements"] if e["id"] != element_id]
        layouts = [
            {**layout, "dashboard_layout_components": [
                c for c in layout["dashboard_layout_components"]
                if c["dashboard_element_id"] != element_id
            ]}
            for layout in dash["dashboard_layouts"]
        ]  # fmt: skip
        self._replace(dash, dashboard_elements=elements, dashboard_layouts=layouts)
        return {}

    def update_component(self, component_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /dashboard_layout_components/{id}: position and size only."""
        for dash in self.dashboards.values():
            for li, layout in enumerate(dash["dashboard_layouts"]):
                for ci, component in enumerate(layout["dashboard_layout_components"]):
                    if component["id"] == component_id:
                        new = {**component, **accepted("dashboard_layout_components", body)}
                        components = list(layout["dashboard_layout_components"])
                        components[ci] = new
                        layouts = list(dash["dashboard_layouts"])
                        layouts[li] = {**layout, "dashboard_layout_components": components}
                        self._replace(dash, dashboard_layouts=layouts)
                        return new
        raise refuse(404, "Not found")

    # ----- helpers ------------------------------------------------------------------------------

    def _get(self, dash_id: str) -> dict[str, Any]:
        dash = self.dashboards.get(dash_id)
        if dash is None:
            raise refuse(404, "Not found")
        return dash

    def _check(self, dash: dict[str, Any], *, but: str | None) -> None:
        must_exist(self.data.objects["folders"], dash.get("folder_id"), "folder_id")
        if not dash.get("deleted") and title_taken(
            self.dashboards.values(), dash["folder_id"], dash.get("title"), but=but
        ):
            raise validation_failed(
                "title", "already_exists", "Dashboard with this title already exists"
            )
        slug = dash.get("slug")
        if slug and any(d["slug"] == slug and d["id"] != but for d in self.dashboards.values()):
            raise validation_failed("slug", "already_exists", "Slug has already been taken")

    def _derive(self, dash: dict[str, Any]) -> None:
        dash.update(
            **owner_fields(self.data, dash.get("user_id")),
            **folder_fields(self.data, dash["folder_id"]),
            updated_at=stamp(self.data),
            last_updater_id=self.data.me_id,
        )

    def _element_refs(self, element: dict[str, Any]) -> None:
        if element.get("type") == "text" and (element.get("query_id") or element.get("look_id")):
            raise validation_failed(
                "result_maker_id",
                "invalid",
                "Result Maker IDs should not be provided for text elements",
            )
        if element.get("merge_result_id") is not None:
            must_exist(self.merges, element["merge_result_id"], "merge_result_id")
            element["merge_result_id"] = str(element["merge_result_id"])
        if element.get("look_id") is not None:
            must_exist(self.data.objects["looks"], element["look_id"], "look_id")
            element["look_id"] = str(element["look_id"])
            element["query_id"] = self.data.objects["looks"][element["look_id"]]["query_id"]
        if element.get("query_id") is not None:
            must_exist(self.queries, element["query_id"], "query_id")
            element["query_id"] = str(element["query_id"])
            element["query"] = self.queries[element["query_id"]]
            element["result_maker_id"] = element["id"]
        else:
            element["query"], element["result_maker_id"] = None, None

    def _owner_of(self, part: str, part_id: str) -> tuple[dict[str, Any], int]:
        for dash in self.dashboards.values():
            for index, row in enumerate(dash[part]):
                if row["id"] == part_id:
                    return dash, index
        raise refuse(404, "Not found")

    def _replace(self, dash: dict[str, Any], **parts: Any) -> None:
        """Copy-on-write: the served caches notice a new dict."""
        self.dashboards[dash["id"]] = {**dash, **parts}

    def _new_layout(self, dash: dict[str, Any]) -> dict[str, Any]:
        return {"can": _CAN, "id": self.ids.next_child(), "dashboard_id": dash["id"],
                "type": "newspaper", "active": True, "column_width": None, "width": None,
                "deleted": False, "dashboard_title": dash["title"],
                "dashboard_layout_components": [], "label": None, "description": None,
                "order": 0, "lookml_link_id": None}  # fmt: skip

    def _new_component(
        self, element: dict[str, Any], layout: dict[str, Any], index: int
    ) -> dict[str, Any]:
        merge = self.merges.get(str(element.get("merge_result_id")))
        vis = (element.get("query") or merge or {}).get("vis_config") or {}
        return {"can": _CAN, "deleted": False, "element_title_hidden": False,
                "id": self.ids.next_child(), "dashboard_layout_id": layout["id"],
                "dashboard_element_id": element["id"], "row": index * 6, "column": 0,
                "width": 8, "height": 6, "element_title": element.get("title"),
                "vis_type": vis.get("type"), "granular_row": index * 24, "granular_column": 0,
                "granular_width": 32, "granular_height": 24}  # fmt: skip
