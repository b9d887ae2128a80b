"""Mock writes of boards: the board, its sections, their items, and the order fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lookervault.mock.content_writes import stamp
from lookervault.mock.world import _CAN, _cmd_id
from lookervault.mock.write_support import IdSource, accepted, must_exist, refuse, require

if TYPE_CHECKING:
    from lookervault.mock.data import MockData

__all__: list[str] = []


class BoardWrites:
    """The board write endpoints over one MockData."""

    def __init__(self, data: MockData, ids: IdSource) -> None:
        self.data, self.ids = data, ids
        self.boards = data.objects["boards"]

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /boards."""
        require("boards", body)
        number = IdSource.next_id(self.data, "boards")
        now = stamp(self.data)
        board = {"can": _CAN, "content_metadata_id": _cmd_id("boards", int(number)),
                 "created_at": now, "deleted_at": None, "description": None,
                 "board_sections": [], "id": number, "section_order": [], "title": None,
                 "updated_at": now, "user_id": self.data.me_id, "primary_homepage": False,
                 **accepted("boards", body)}  # fmt: skip
        board["section_order"] = []  # sections do not exist yet
        self.boards[number] = board
        self.data.content_metadata_access[board["content_metadata_id"]] = []
        return board

    def update(self, board_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /boards/{id}; section_order must name exactly the board's sections."""
        board = self._board(board_id)
        fields = accepted("boards", body)
        if "section_order" in fields:
            self._check_order(fields["section_order"], board["board_sections"])
        self.boards[board_id] = board = {**board, **fields, "updated_at": stamp(self.data)}
        return board

    def create_section(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /board_sections."""
        require("board_sections", body)
        board = self._board(str(body["board_id"]))
        now = stamp(self.data)
        section = {"can": _CAN, "created_at": now, "deleted_at": None, "description": None,
                   "board_items": [], "id": self.ids.next_child(), "title": None,
                   "updated_at": now, **accepted("board_sections", body)}  # fmt: skip
        section.update(board_id=board["id"], item_order=[], visible_item_order=[])
        self.boards[board["id"]] = {
            **board,
            "board_sections": [*board["board_sections"], section],
            "section_order": [*board["section_order"], section["id"]],
        }
        return section

    def update_section(self, section_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH /board_sections/{id}; item_order must name exactly the section's items."""
        board, index = self._section(section_id)
        old = board["board_sections"][index]
        fields = accepted("board_sections", body)
        fields.pop("board_id", None)
        if "item_order" in fields:
            self._check_order(fields["item_order"], old["board_items"])
            fields["visible_item_order"] = fields["item_order"]
        section = {**old, **fields, "updated_at": stamp(self.data)}
        self._put_section(board, index, section)
        return section

    def create_item(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /board_items: points at a dashboard or a look that exists."""
        require("board_items", body)
        board, index = self._section(str(body["board_section_id"]))
        fields = accepted("board_items", body)
        is_look = fields.get("look_id") is not None
        kind = "looks" if is_look else "dashboards"
        target = str(fields.get("look_id") if is_look else fields.get("dashboard_id"))
        must_exist(self.data.objects[kind], target, "look_id" if is_look else "dashboard_id")
        item = {"can": _CAN, "content_created_by": None, "content_favorite_id": None,
                "content_metadata_id": _cmd_id(kind, int(target)), "content_updated_at": None,
                "custom_description": None, "custom_title": None, "custom_url": None,
                "dashboard_id": None, "description": None, "favorite_count": 0,
                "id": self.ids.next_child(), "image_url": None, "location": None,
                "look_id": None, "lookml_dashboard_id": None, "order": 0, "title": None,
                "url": f"/{kind}/{target}", "use_custom_description": False,
                "use_custom_title": False, "use_custom_url": False, "view_count": 0,
                "custom_image_data_base64": None, "custom_image_url": None,
                "use_custom_image": False, **fields}  # fmt: skip
        item["board_section_id"] = board["board_sections"][index]["id"]
        item["look_id" if is_look else "dashboard_id"] = target
        old = board["board_sections"][index]
        # Looker lists a section's items by their `order` field.
        items = sorted(
            [*old["board_items"], item], key=lambda i: (i.get("order") or 0, int(str(i["id"])))
        )
        section = {**old, "board_items": items,
                   "item_order": [*old["item_order"], item["id"]],
                   "visible_item_order": [*old["item_order"], item["id"]]}  # fmt: skip
        self._put_section(board, index, section)
        return item

    def _board(self, board_id: str) -> dict[str, Any]:
        board = self.boards.get(board_id)
        if board is None:
            raise refuse(404, "Not found")
        return board

    def _section(self, section_id: str) -> tuple[dict[str, Any], int]:
        for board in self.boards.values():
            for index, section in enumerate(board["board_sections"]):
                if section["id"] == section_id:
                    return board, index
        raise refuse(404, "Not found")

    def _put_section(self, board: dict[str, Any], index: int, section: dict[str, Any]) -> None:
        sections = list(board["board_sections"])
        sections[index] = section
        self.boards[board["id"]] = {**board, "board_sections": sections}

    @staticmethod
    def _check_order(order: Any, rows: list[dict[str, Any]]) -> None:
        if not isinstance(order, list) or sorted(map(str, order)) != sorted(r["id"] for r in rows):
            raise refuse(422, "order must list every id exactly once")
