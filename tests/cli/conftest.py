"""A small vault for the CLI tests, written through the vault's own API."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.store import Vault


def _dash(item_id: str, title: str, **extra: object) -> ItemRecord:
    content = {"id": item_id, "title": title, "folder_id": "1", **extra}
    return ItemRecord("dashboards", item_id, content, title=title, folder_id="1")


@pytest.fixture
def small_vault(tmp_path: Path) -> Path:
    """Two complete runs: the second changed one dashboard and added one."""
    path = tmp_path / "small.db"
    with Vault(path) as vault:
        for items in (
            (_dash("1", "Sales"), _dash("2", "Costs")),
            (_dash("1", "Sales", tiles=2), _dash("2", "Costs"), _dash("3", "New")),
        ):
            run_id = vault.start_run(
                options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
            )
            with vault.writer() as writer:
                writer.write(Batch(run_id, items=items))
            vault.finish_run(run_id, status="complete", counts={"dashboards": len(items)}, stats={})
    return path
