"""The round trip of issue 14 as a user runs it: `lookervault restore` in a child process against
the writable mock on a loopback port, with merged-results tiles (--merge-queries) and a folder
whose access does not inherit (content metadata `inherits`), checked by a second backup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from lookervault.mock.app import MockLooker
from lookervault.mock.server import serve_in_thread
from lookervault.restore.compare import differences
from lookervault.restore.wanted import desired
from lookervault.vault.restores import RestoreLedger
from lookervault.vault.store import Vault
from tests.chaos.support import child_env, cli_command, run_child
from tests.restore.scene import RESTORED, backup, fullest_folder, hard_delete_folder, writable_mock

pytestmark = pytest.mark.integration


def _run(db: Path, run_id: int, kind: str) -> dict[str, Any]:
    with Vault(db) as vault:
        return {i: orjson.loads(c) for _, i, c in vault.iter_items([kind], run_id=run_id)}


def _scene() -> tuple[MockLooker, str]:
    """Merged-results tiles in the folder to delete, and the folder not inheriting its access."""
    mock = writable_mock(seed=3, merge_queries=60)
    folder = fullest_folder(mock)
    cmid = str(mock.data.objects["folders"][folder]["content_metadata_id"])
    mock.related.inherits[cmid] = False
    return mock, folder


def test_folder_round_trip_through_the_cli(tmp_path: Path) -> None:
    """Plan, apply, back up again: every deleted object equals its backup after id mapping."""
    mock, folder = _scene()
    db = tmp_path / "v.db"
    with serve_in_thread(mock) as base_url:
        anyio.run(backup, mock, db, base_url)
        gone = anyio.run(hard_delete_folder, mock, folder)
        env = child_env(base_url)
        planned = run_child(cli_command("restore", "--folder", folder, "--db", str(db)), env)
        assert planned.code == 0, planned.err
        assert mock.stats.writes == 0
        applied = run_child(
            cli_command("restore", "--folder", folder, "--apply", "--db", str(db), "--json"), env
        )
        assert applied.code == 0, applied.err
        report = json.loads(applied.out)
        again = run_child(cli_command("restore", "--folder", folder, "--db", str(db)), env)
        anyio.run(backup, mock, db, base_url)
    # the plan (as in the README): the top folder's access is set not to inherit, nothing blocked
    assert "inherits -> false" in planned.out and "CONFLICT 0, BLOCKED 0" in planned.out
    assert report["failures"] == [] and report["summary"]["BLOCKED"] == 0
    assert "plan: CREATE 0, UPDATE 0, UNDELETE 0, SKIP" in again.out, again.out
    with Vault(db) as vault:
        id_map = RestoreLedger(vault).id_map()
    related = ("merge_queries", "content_metadata", "content_metadata_access")
    first = {kind: _run(db, 1, kind) for kind in (*RESTORED, *related)}
    second = {kind: _run(db, 2, kind) for kind in first}
    restored = {(e["type"], e["id"]) for e in report["entries"] if e["action"] == "CREATE"}

    dashboards = [first["dashboards"][d] for d in gone["dashboards"]]
    tiles = [e for d in dashboards for e in d["dashboard_elements"]]
    assert any(d["dashboard_filters"] for d in dashboards)
    assert {"text", "vis"} <= {e["type"] for e in tiles}
    assert any(e.get("look_id") for e in tiles) and any(e.get("merge_result_id") for e in tiles)
    assert gone["looks"] and gone["boards"] and gone["scheduled_plans"] and gone["alerts"]
    compared = 0
    for kind, ids in gone.items():
        for source_id in ids:
            if first[kind][source_id].get("deleted"):
                continue  # in the trash when backed up: not restored (reported by name)
            assert (kind, source_id) in restored, (kind, source_id)
            new_id = id_map.get(kind, {}).get(source_id, source_id)
            # what a restore wants: the backup with schedules and alerts disabled (the default)
            wanted = desired(kind, first[kind][source_id], id_map, enable_schedules=False)
            assert differences(wanted, second[kind][new_id], id_map) == [], (kind, source_id)
            compared += 1
    assert compared >= 20, compared

    merged = {str(e["merge_result_id"]) for e in tiles if e.get("merge_result_id")}
    for merge_id in merged:  # re-created merge queries equal their backups
        new_id = id_map["merge_queries"][merge_id]
        assert new_id != merge_id
        old, new = first["merge_queries"][merge_id], second["merge_queries"][new_id]
        assert differences(old, new, id_map) == [], merge_id
    for source_id in gone["folders"]:  # `inherits` as backed up
        old = first["folders"][source_id]
        new = second["folders"][id_map["folders"][source_id]]
        meta = first["content_metadata"][str(old["content_metadata_id"])]
        now = second["content_metadata"][str(new["content_metadata_id"])]
        assert now["inherits"] == meta["inherits"], source_id
    grant, grants = ("permission_type", "group_id", "user_id"), 0
    for kind in ("folders", "boards"):  # every access rule of the re-created folder and boards
        for source_id in gone[kind]:
            old = first[kind][source_id]["content_metadata_id"]
            new = second[kind][id_map[kind][source_id]]["content_metadata_id"]
            rules = [sorted(tuple(str(r[k]) for k in grant) for r in run["content_metadata_access"]
                            .get(str(cmid), [])) for run, cmid in ((first, old), (second, new))]  # fmt: skip
            assert rules[0] == rules[1], (kind, source_id)
            grants += len(rules[1])
    assert grants >= 4, grants  # folder 5's and board 5's two grants each
    top = first["folders"][folder]
    assert first["content_metadata"][str(top["content_metadata_id"])]["inherits"] is False
