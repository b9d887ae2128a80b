"""A 404 on one item or child is "gone" only when Looker no longer lists it (or its parent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from lookervault.backup.run import ExtractOptions, ExtractResult, extract
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.store import Vault

pytestmark = pytest.mark.anyio

_MOCK = MockOptions()
_SETTINGS = ConnectionSettings(
    base_url="http://mock", client_id=_MOCK.client_id, client_secret=_MOCK.client_secret
)


def _hiding(app: MockLooker, path: str, query: bytes = b"") -> Any:
    """The mock, but `path` (with `query` in its query string) answers 404: not visible to us."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        hidden = scope["type"] == "http" and scope["path"] == path
        if hidden and query in scope.get("query_string", b""):
            scope = {**scope, "path": "/api/4.0/no_such_endpoint"}
        await app(scope, receive, send)

    return wrapped


async def _extract(db: Path, app: Any, *types: str) -> ExtractResult:
    with Vault(db) as vault:
        return await extract(
            _SETTINGS,
            vault,
            ExtractOptions(content_types=types, workers=2),
            transport=httpx.ASGITransport(app=app),
        )


async def test_a_listed_item_answering_404_is_a_failure_not_gone(tmp_path: Path) -> None:
    """A look Looker still lists but answers 404 for: a named failure, kept in the vault."""
    db = tmp_path / "v.db"
    mock = MockLooker(MockOptions(preset="tiny"))
    assert (await _extract(db, mock, "looks")).status == "complete"
    look = sorted(mock.data.objects["looks"], key=int)[2]
    result = await _extract(db, _hiding(mock, f"/api/4.0/looks/{look}"), "looks")
    assert result.status == "partial"
    assert [(f.key, "still lists it" in f.error) for f in result.failures] == [
        (f"item:{look}", True)
    ]
    with Vault(db) as vault:
        assert look in vault.item_ids("looks")  # not marked gone


async def test_a_child_answering_404_while_its_parent_exists_is_a_failure(tmp_path: Path) -> None:
    """Access rules answering 404 for an existing folder: a failure, the earlier copy kept."""
    db = tmp_path / "v.db"
    mock = MockLooker(MockOptions(preset="tiny"))
    assert (await _extract(db, mock, "content_metadata_access")).status == "complete"
    folder = next(f for f in mock.data.objects["folders"].values() if f.get("content_metadata_id"))
    cmid = str(folder["content_metadata_id"])
    hidden = _hiding(
        mock, "/api/4.0/content_metadata_access", f"content_metadata_id={cmid}".encode()
    )
    result = await _extract(db, hidden, "content_metadata_access")
    assert result.status == "partial"
    failure = next(f for f in result.failures if f.content_type == "content_metadata_access")
    assert "parent still exists" in failure.error
    with Vault(db) as vault:
        assert cmid in vault.item_ids("content_metadata_access")
