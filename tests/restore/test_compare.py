"""compare.py on its own: server fields ignored, references mapped, real changes found."""

from __future__ import annotations

from lookervault.restore.compare import differences, is_same, normalize

_BACKUP = {
    "id": "7",
    "title": "Sales",
    "folder_id": "3",
    "created_at": "2020-01-01T00:00:00.000+00:00",
    "view_count": 12,
    "can": {"show": True},
    "dashboard_elements": [
        {"id": "70", "look_id": "5", "title": "Tile", "query_id": "9", "query": {"id": "9", "model": "m", "client_id": "x"}},
    ],
    "dashboard_layouts": [{"id": "71", "dashboard_layout_components": [{"id": "72", "dashboard_element_id": "70", "row": 0}]}],
}  # fmt: skip
_MAP = {"dashboards": {"7": "17"}, "folders": {"3": "13"}, "looks": {"5": "15"},
        "dashboard_elements": {"70": "170"}}  # fmt: skip


def _restored(**changes: object) -> dict:
    return {
        "id": "17",
        "title": "Sales",
        "folder_id": "13",
        "created_at": "2026-12-02T00:00:00.000+00:00",
        "view_count": 0,
        "can": {"show": False},
        "dashboard_elements": [
            {"id": "170", "look_id": "15", "title": "Tile", "query_id": "99", "query": {"id": "99", "model": "m", "client_id": "y"}},
        ],
        "dashboard_layouts": [{"id": "171", "dashboard_layout_components": [{"id": "172", "dashboard_element_id": "170", "row": 0}]}],
        **changes,
    }  # fmt: skip


def test_restored_copy_with_new_ids_is_the_same() -> None:
    """New ids, timestamps, counters, permissions and query ids are not differences."""
    assert differences(_BACKUP, _restored(), _MAP) == []
    assert is_same(_BACKUP, _restored(), _MAP)


def test_unmapped_reference_is_a_difference() -> None:
    """Without the id map the references point elsewhere."""
    found = differences(_BACKUP, _restored(), {})
    assert "/folder_id" in found and "/dashboard_elements/0/look_id" in found


def test_changed_content_is_found_by_path() -> None:
    """A changed title, a tile moved, a query on another model: each named by its path."""
    moved = _restored(title="Costs")
    moved["dashboard_layouts"][0]["dashboard_layout_components"][0]["row"] = 6
    moved["dashboard_elements"][0]["query"]["model"] = "other"
    assert differences(_BACKUP, moved, _MAP) == [
        "/dashboard_elements/0/query/model",
        "/dashboard_layouts/0/dashboard_layout_components/0/row",
        "/title",
    ]


def test_missing_tile_and_missing_field_are_differences() -> None:
    """A list of another length and a field present on one side only both count."""
    fewer = _restored(dashboard_elements=[])
    assert differences(_BACKUP, fewer, _MAP) == ["/dashboard_elements (length 1 != 0)"]
    extra = _restored(description="new")
    assert differences(_BACKUP, extra, _MAP) == ["/description"]


def test_order_lists_are_mapped_element_by_element() -> None:
    """A board section's item_order maps each backed-up item id."""
    backup = {"item_order": ["1", "2"], "board_id": "4"}
    current = {"item_order": ["11", "12"], "board_id": "14"}
    ids = {"board_items": {"1": "11", "2": "12"}, "boards": {"4": "14"}}
    assert is_same(backup, current, ids)
    assert not is_same(backup, {**current, "item_order": ["12", "11"]}, ids)


def test_normalize_keeps_nulls_and_drops_only_server_fields() -> None:
    """A null reference stays null; ordinary fields pass through."""
    assert normalize({"id": "1", "look_id": None, "name": "x"}) == {"look_id": None, "name": "x"}


def test_values_looker_hides_are_not_compared() -> None:
    """A hidden attribute's default and values are never given out: only the rest counts."""
    attribute = {"name": "secret", "value_is_hidden": True, "default_value": "s3cr3t"}
    assert is_same(attribute, {**attribute, "default_value": None})
    assert not is_same(attribute, {**attribute, "name": "other", "default_value": None})
    shown = {**attribute, "value_is_hidden": False}
    assert not is_same(shown, {**shown, "default_value": None})
    assert is_same([{"group_id": "3", "value": "x", "value_is_hidden": True}],
                   [{"group_id": "3", "value_is_hidden": True}])  # fmt: skip
