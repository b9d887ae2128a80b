"""Merged-results tiles: the merge query is re-created (its source queries kept) and the tile
points at it, its filter bindings (result_maker.filterables[].listen) sent; the restored
dashboard equals its backup through the id map."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.restore.compare import differences
from lookervault.restore.entries import Action
from lookervault.restore.run import RestoreOptions
from lookervault.restore.select import Wanted
from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.restores import RestoreLedger
from lookervault.vault.store import Vault
from tests.restore.scene import run_restore, writable_mock

pytestmark = pytest.mark.anyio

_MERGE = {
    "can": {}, "id": "5", "column_limit": None, "dynamic_fields": None, "pivots": None,
    "sorts": None, "total": None, "limit": "500", "vis_config": {"type": "looker_column"},
    "result_maker_id": "77",
    "source_queries": [
        {"merge_fields": None, "name": "left", "query_id": "1", "query_slug": None},
        {"merge_fields": [{"field_name": "a.id", "source_field_name": "b.id"}], "name": "right",
         "query_id": "2", "query_slug": None},
    ],
}  # fmt: skip


async def test_merged_results_tile_is_rebuilt(tmp_path: Path) -> None:
    """A gone dashboard with a merged-results tile comes back with a new merge query."""
    mock = writable_mock(seed=3)
    dash_id, dash = next(
        (k, d) for k, d in sorted(mock.data.objects["dashboards"].items()) if not d["deleted"]
    )
    tile = {**dash["dashboard_elements"][0], "id": "77", "query": None, "query_id": None,
            "look_id": None, "merge_result_id": "5", "result_maker_id": "77", "type": "vis",
            "result_maker": {
                "id": "77", "query_id": None, "merge_result_id": "5", "vis_config": {"type": "x"},
                "filterables": [{"model": "m", "view": "v", "name": "n",
                                 "listen": [{"dashboard_filter_name": "Date", "field": "v.date"}]}],
            }}  # fmt: skip
    layout = dash["dashboard_layouts"][0]
    component = {
        **layout["dashboard_layout_components"][0],
        "id": "77",
        "dashboard_element_id": "77",
        "vis_type": "looker_column",
    }
    backed_up = {**dash, "dashboard_elements": [tile],
                 "dashboard_layouts": [{**layout, "dashboard_layout_components": [component]}]}  # fmt: skip
    db = tmp_path / "v.db"
    with Vault(db) as vault:
        run_id = vault.start_run(
            options={},
            looker_url="http://mock",
            looker_release=None,
            api_version=None,
            tool_version="0",
        )
        with vault.writer() as writer:
            items = (
                ItemRecord("dashboards", dash_id, backed_up),
                ItemRecord("merge_queries", "5", _MERGE),
            )
            writer.write(Batch(run_id, items=items))
        vault.finish_run(run_id, status="complete", counts={}, stats={})
    del mock.data.objects["dashboards"][dash_id]
    mock._forget_type("dashboards")
    options = RestoreOptions(wanted=Wanted(pairs=(("dashboards", dash_id),)), apply=True)
    result = await run_restore(mock, db, options)
    assert result.ok and [e.action for e in result.plan.entries] == [Action.CREATE]
    with Vault(db) as vault:
        id_map = RestoreLedger(vault).id_map()
    new_dash = mock.data.objects["dashboards"][id_map["dashboards"][dash_id]]
    merge_id = new_dash["dashboard_elements"][0]["merge_result_id"]
    assert merge_id == id_map["merge_queries"]["5"] != "5"
    assert mock.writes is not None
    assert differences(_MERGE, mock.writes.merge_queries[merge_id], id_map) == []
    assert differences(backed_up, new_dash, id_map) == []
    listen = new_dash["dashboard_elements"][0]["result_maker"]["filterables"][0]["listen"]
    assert listen == [{"dashboard_filter_name": "Date", "field": "v.date"}]
