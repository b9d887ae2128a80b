"""Helpers shared by tests: compare a vault with the mock Looker's ground truth."""

from __future__ import annotations

from pathlib import Path

import orjson

from lookervault.mock.data import canonical_hash
from lookervault.vault.store import Vault

__all__ = ["assert_vault_equals", "vault_hashes"]


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
