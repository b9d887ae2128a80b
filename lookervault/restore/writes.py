"""The restore's writes: each create bracketed in the vault so that none is ever made twice.

Before a POST the step is recorded pending; after it the new id goes to the id map. A POST that
may have succeeded (the connection dropped, the process was killed) is never sent again blindly:
a pending create is first looked for in Looker (by id map, or among the children not yet mapped).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lookervault.looker.client import LookerClient
from lookervault.looker.writable import writable_body
from lookervault.restore.target import Target
from lookervault.vault.restores import RestoreLedger

__all__ = ["Writes"]

Signature = Callable[[Mapping[str, Any]], Any]


class Writes:
    """One restore's write session: the client, the ledger, the id map as it grows."""

    def __init__(
        self,
        client: LookerClient,
        ledger: RestoreLedger,
        restore_id: int,
        id_map: dict[str, dict[str, str]],
        pending: set[tuple[str, str]],
        *,
        prune: bool = False,
    ) -> None:
        self.client, self.ledger, self.restore_id = client, ledger, restore_id
        self.target = Target(client)
        self.id_map, self.pending = id_map, pending
        self.writes = 0
        self.prune = prune  # --prune: the one delete a restore makes (tiles the backup lacks)
        self.merge_queries: dict[str, dict[str, Any]] = {}  # backed-up merge queries by id

    def remember(self, kind: str, source_id: str, target_id: str) -> None:
        """Put a mapping in the id map (vault and memory); the step stays pending."""
        self.ledger.map(self.restore_id, kind, source_id, target_id)
        self.id_map.setdefault(kind, {})[source_id] = target_id

    def done(self, kind: str, source_id: str, action: str, target_id: str | None) -> None:
        """The step is complete: the id map and the step in one transaction."""
        self.ledger.record(self.restore_id, kind, source_id, action, target_id)
        if target_id is not None and target_id != source_id:
            self.id_map.setdefault(kind, {})[source_id] = target_id
        self.pending.discard((kind, source_id))

    async def post(self, kind: str, source_id: str, path: str, body: dict[str, Any]) -> dict:
        """Create one object; the new id is in the id map before this returns."""
        self.ledger.intend(self.restore_id, kind, source_id, "CREATE")
        self.pending.add((kind, source_id))
        result = await self.client.post_json(path, body)
        self.writes += 1
        self.remember(kind, source_id, str(result["id"]))
        return result

    async def put(self, path: str, body: Any) -> Any:
        """Replace an existing object."""
        self.writes += 1
        return await self.client.put_json(path, body)

    async def delete(self, path: str) -> None:
        """Delete one part (only under --prune)."""
        self.writes += 1
        await self.client.delete(path)

    async def add_grant(self, body: dict[str, Any]) -> Any:
        """Add one access grant: a repeat is refused by Looker (409), never applied twice."""
        self.writes += 1
        return await self.client.post_json("/content_metadata_access", body)

    async def patch(self, path: str, body: dict[str, Any]) -> Any:
        """Change fields of an existing object."""
        self.writes += 1
        return await self.client.patch_json(path, body)

    async def child(
        self,
        kind: str,
        source_id: str,
        path: str,
        body: dict[str, Any],
        existing: Mapping[str, Mapping[str, Any]],
        signature: Signature,
    ) -> tuple[str, bool]:
        """The id of a part (tile, filter, section, item) in Looker, created if missing.

        Returns (id, created now). A part is matched by the id map, then by its own id (same
        instance), then, when a stopped restore may have created it, by ``signature`` among the
        parts no mapping claims.
        """
        mapped = self.id_map.get(kind, {}).get(source_id)
        for candidate in (mapped, source_id):
            if candidate is not None and candidate in existing:
                return candidate, False
        if (kind, source_id) in self.pending:
            claimed = set(self.id_map.get(kind, {}).values())
            for part_id, row in existing.items():
                if part_id not in claimed and signature(row) == signature(body):
                    self.done(kind, source_id, "CREATE", part_id)
                    return part_id, False
        result = await self.post(kind, source_id, path, body)
        self.done(kind, source_id, "CREATE", str(result["id"]))
        return str(result["id"]), True

    async def query(self, query: Mapping[str, Any]) -> str:
        """A query in Looker equal to the backed-up one (created once per source query).

        Never sends the old client_id: Looker refuses it ("client_id already in use").
        """
        source_id = str(query.get("id"))
        mapped = self.id_map.get("queries", {}).get(source_id)
        if mapped is not None:
            return mapped
        result = await self.post("queries", source_id, "/queries", writable_body("queries", query))
        self.done("queries", source_id, "CREATE", str(result["id"]))
        return str(result["id"])

    async def merge_query(self, source_id: str) -> str | None:
        """A merge query in Looker equal to the backed-up one (None: the vault lacks it).

        Its source queries keep their ids (queries are never deleted on the same instance)
        unless this restore re-created them.
        """
        mapped = self.id_map.get("merge_queries", {}).get(source_id)
        if mapped is not None:
            return mapped
        merge = self.merge_queries.get(source_id)
        if merge is None:
            return None
        body = writable_body("merge_queries", merge)
        body["source_queries"] = [
            {**source, "query_id": self.id_map.get("queries", {}).get(
                str(source.get("query_id")), source.get("query_id"))}
            for source in merge.get("source_queries") or ()
        ]  # fmt: skip
        result = await self.post("merge_queries", source_id, "/merge_queries", body)
        self.done("merge_queries", source_id, "CREATE", str(result["id"]))
        return str(result["id"])
