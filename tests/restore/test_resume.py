"""A create that reached Looker but not the vault (killed in between): --resume finds it by its
natural key and finishes it instead of creating it twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.restore.entries import Action
from lookervault.restore.run import RestoreOptions
from lookervault.restore.select import Wanted
from lookervault.vault.restores import RestoreLedger
from lookervault.vault.store import Vault
from tests.restore.scene import (
    SETTINGS,
    backup,
    fullest_folder,
    hard_delete_folder,
    run_restore,
    writable_mock,
)

pytestmark = pytest.mark.anyio


async def test_unrecorded_creates_are_found_not_repeated(tmp_path: Path) -> None:
    """A folder and a dashboard made before the kill are adopted; each exists once at the end."""
    mock = writable_mock(seed=3)
    db = tmp_path / "v.db"
    await backup(mock, db)
    folder = fullest_folder(mock)
    before = mock.ground_truth()
    dash_id = next(
        k
        for k, d in sorted(before["dashboards"].items())
        if d["folder_id"] == folder and not d["deleted"]
    )
    await hard_delete_folder(mock, folder)
    assert mock.writes is not None
    old = before["folders"][folder]
    made = (
        mock.writes.dashboards
    )  # what the killed restore had sent: the folder, then the dashboard
    from lookervault.mock.content_writes import create_folder

    new_folder = create_folder(
        mock.data, mock.writes.dashboards.ids, {"name": old["name"], "parent_id": old["parent_id"]}
    )
    new_dash = made.create(
        {"title": before["dashboards"][dash_id]["title"], "folder_id": new_folder["id"]}
    )
    mock._forget_type("folders"), mock._forget_type("dashboards")
    wanted = Wanted(folder=folder)
    with Vault(db) as vault:
        ledger = RestoreLedger(vault)
        rid = ledger.start(None, {"wanted": {"folder": folder}, "plan": {}}, SETTINGS.base_url)
        ledger.intend(rid, "folders", folder, "CREATE")
        ledger.intend(rid, "dashboards", dash_id, "CREATE")
    result = await run_restore(mock, db, RestoreOptions(resume=True))
    assert result.ok, result.as_json()
    entries = {(e.kind, e.source_id): e for e in result.plan.entries}
    assert (
        entries[("folders", folder)].resume
        and entries[("folders", folder)].target_id == new_folder["id"]
    )
    assert entries[("dashboards", dash_id)].resume
    with Vault(db) as vault:
        id_map = RestoreLedger(vault).id_map()
    assert (
        id_map["folders"][folder] == new_folder["id"]
        and id_map["dashboards"][dash_id] == new_dash["id"]
    )
    names = [(f["parent_id"], f["name"]) for f in mock.data.objects["folders"].values()]
    assert names.count((old["parent_id"], old["name"])) == 1
    titles = [
        d["title"]
        for d in mock.data.objects["dashboards"].values()
        if d["folder_id"] == new_folder["id"]
    ]
    assert len(titles) == len(set(titles))
    final = await run_restore(mock, db, RestoreOptions(wanted=wanted))
    assert {e.action for e in final.plan.entries} == {Action.SKIP}
