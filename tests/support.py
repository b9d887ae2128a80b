"""Helpers shared by tests: compare a vault with the mock Looker's ground truth."""

from __future__ import annotations

from pathlib import Path

import orjson

from lookervault.mock.data import canonical_hash
from lookervault.vault.records import Batch, ItemRecord
from lookervault.vault.store import Vault

__all__ = ["assert_vault_equals", "history_item", "history_run", "vault_hashes"]


def vault_hashes(db: Path) -> dict[str, dict[str, str]]:
    """{content type: {id: canonical hash}} of every item the vault holds (gone items excluded)."""
    hashes: dict[str, dict[str, str]] = {}
    with Vault(db) as vault:
        for content_type, item_id, content in vault.iter_items():
            hashes.setdefault(content_type, {})[item_id] = canonical_hash(orjson.loads(content))
    return hashes


def assert_vault_equals(
    db: Path, truth: dict[str, dict[str, str]], types: list[str] | None = None
) -> None:
    """The vault holds exactly the server's objects, item by item, for `types` (default: all)."""
    got = vault_hashes(db)
    for name in types or sorted(truth):
        expected = truth.get(name, {})
        actual = got.get(name, {})
        missing = sorted(set(expected) - set(actual))[:5]
        extra = sorted(set(actual) - set(expected))[:5]
        changed = sorted(i for i in set(expected) & set(actual) if expected[i] != actual[i])[:5]
        assert not (missing or extra or changed), (
            f"{name}: missing {missing}, extra {extra}, changed {changed}"
        )


def history_item(item_id: str, content_type: str = "dashboards", **content: object) -> ItemRecord:
    """An item whose content is ``{"id": item_id, **content}``, its title and folder lifted out."""
    title = str(content.get("title", f"t{item_id}"))
    folder = content.get("folder_id")
    return ItemRecord(
        content_type,
        item_id,
        {"id": item_id, **content},
        title=title,
        folder_id=str(folder) if folder is not None else None,
        deleted=bool(content.get("deleted")),
    )


def history_run(
    vault: Vault, *items: ItemRecord, status: str = "complete", gone=(), unseen=()
) -> int:
    """One run writing ``items``, marking ``gone``, then unseen types gone, then finished."""
    run_id = vault.start_run(
        options={}, looker_url="u", looker_release=None, api_version=None, tool_version="0"
    )
    with vault.writer() as writer:
        writer.write(Batch(run_id, items=items, gone=tuple(gone)))
    for content_type in unseen:
        vault.mark_unseen_gone(run_id, content_type)
    counts: dict[str, int] = {}
    for item in items:
        counts[item.content_type] = counts.get(item.content_type, 0) + 1
    for content_type, _ in gone:
        counts[content_type] = counts.get(content_type, 0)
    vault.finish_run(run_id, status=status, counts=counts, stats={})
    return run_id
