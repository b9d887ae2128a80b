"""The baseline: a plain sequential looker-sdk backup script, the way most teams back up Looker today.

What it does (and why): `looker_sdk.init40()` from LOOKERSDK_* variables; for each content type it
pages the SDK's search_*/all_* method with limit/offset (100 per page, like LookerVault), one call
after the other; dashboards and looks twice (live and trash); every look again with `look(id)`
(search_looks omits the query a restore needs, the same per-item fetch LookerVault makes);
`lookml_model_explore` per explore and `all_content_metadata_accesses` per folder and board. Each
object is serialized back to JSON with the SDK's serializer and written into one SQLite table,
committing after every page. Prints one JSON line: items per type, requests, elapsed seconds.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import looker_sdk
import orjson
from looker_sdk.rtl.serialize import serialize40

__all__ = ["run_backup"]

PAGE_SIZE = 100
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS backup (content_type TEXT, item_id TEXT, content BLOB, "
    "PRIMARY KEY (content_type, item_id))"
)


class _Backup:
    """One sequential pass over the instance, writing as it goes."""

    def __init__(self, sdk: Any, conn: sqlite3.Connection) -> None:
        self.sdk = sdk
        self.conn = conn
        self.requests = 0
        self.items: dict[str, int] = {}

    def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.requests += 1
        return method(*args, **kwargs)

    def pages(self, method: Callable[..., Any], **kwargs: Any) -> Iterator[Sequence[Any]]:
        offset = 0
        while True:
            page = self.call(method, limit=PAGE_SIZE, offset=offset, **kwargs)
            yield page
            if len(page) < PAGE_SIZE:
                return
            offset += PAGE_SIZE

    def save(self, content_type: str, rows: Sequence[tuple[str, Any]]) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO backup VALUES (?, ?, ?)",
            [(content_type, key, serialize40(api_model=obj)) for key, obj in rows],
        )
        self.conn.commit()
        self.items[content_type] = self.items.get(content_type, 0) + len(rows)

    def save_pages(self, content_type: str, method: Callable[..., Any], **kwargs: Any) -> list[Any]:
        kept: list[Any] = []
        for page in self.pages(method, **kwargs):
            self.save(content_type, [(str(obj.id), obj) for obj in page])
            kept += page
        return kept


def _back_up_content(job: _Backup) -> tuple[list[Any], list[Any]]:
    sdk = job.sdk
    for deleted in ("false", "true"):
        job.save_pages("dashboards", sdk.search_dashboards, deleted=deleted, sorts="id")
        for page in job.pages(sdk.search_looks, deleted=deleted == "true", sorts="id"):
            job.save("looks", [(str(lk.id), job.call(sdk.look, str(lk.id))) for lk in page])
    folders = job.save_pages("folders", sdk.search_folders, sorts="id")
    boards = job.save_pages("boards", sdk.search_boards, sorts="id")
    return folders, boards


def _back_up_admin(job: _Backup) -> dict[str, list[Any]]:
    sdk = job.sdk
    listed: dict[str, list[Any]] = {"users": job.save_pages("users", sdk.search_users, sorts="id")}
    for name, method in (
        ("groups", sdk.search_groups),
        ("roles", sdk.search_roles),
        ("permission_sets", sdk.search_permission_sets),
        ("model_sets", sdk.search_model_sets),
        ("themes", sdk.search_themes),
    ):
        listed[name] = job.save_pages(name, method, sorts="id")
    job.save_pages("scheduled_plans", sdk.search_scheduled_plans, all_users=True, sorts="id")
    job.save_pages("alerts", sdk.search_alerts, all_owners=True)
    attributes = job.call(sdk.all_user_attributes)
    job.save("user_attributes", [(str(a.id), a) for a in attributes])
    listed["user_attributes"] = list(attributes)
    return listed


def _back_up_related(job: _Backup, listed: dict[str, list[Any]], containers: list[Any]) -> None:
    """The objects a restore needs that the types above only point to, one request per parent."""
    sdk = job.sdk
    for role in listed["roles"]:
        job.save("role_groups", [(str(role.id), job.call(sdk.role_groups, str(role.id)))])
        job.save("role_users", [(str(role.id), job.call(sdk.role_users, str(role.id)))])
    for group in listed["groups"]:
        job.save("group_groups", [(str(group.id), job.call(sdk.all_group_groups, str(group.id)))])
    for attribute in listed["user_attributes"]:
        values = job.call(sdk.all_user_attribute_group_values, str(attribute.id))
        job.save("user_attribute_group_values", [(str(attribute.id), values)])
    for user in listed["users"]:
        values = job.call(sdk.user_attribute_user_values, str(user.id))
        job.save("user_attribute_values", [(str(user.id), values)])
    for obj in containers:
        if obj.content_metadata_id is not None:
            cmid = str(obj.content_metadata_id)
            job.save("content_metadata", [(cmid, job.call(sdk.content_metadata, cmid))])
    for dashboard in job.call(sdk.all_dashboards, fields="id"):
        if "::" in str(dashboard.id):
            job.save(
                "lookml_dashboards", [(str(dashboard.id), job.call(sdk.dashboard, dashboard.id))]
            )


def _back_up_lookml(job: _Backup) -> None:
    sdk = job.sdk
    models: list[Any] = []
    for page in job.pages(sdk.all_lookml_models):
        job.save("lookml_models", [(m.name, m) for m in page])
        models += page
    for model in models:
        for nav in model.explores or ():
            explore = job.call(sdk.lookml_model_explore, model.name, nav.name)
            job.save("explores", [(explore.id or f"{model.name}::{nav.name}", explore)])


def _back_up_access(job: _Backup, containers: list[Any]) -> None:
    for obj in containers:
        cmid = obj.content_metadata_id
        if cmid is not None:
            entries = job.call(job.sdk.all_content_metadata_accesses, str(cmid))
            job.save("content_metadata_access", [(str(cmid), entries)])


def run_backup(db: Path) -> dict[str, Any]:
    """Back up everything into `db`, sequentially; returns the counts and the elapsed time."""
    start = time.perf_counter()
    sdk = looker_sdk.init40()
    conn = sqlite3.connect(db)
    try:
        conn.execute(_SCHEMA)
        job = _Backup(sdk, conn)
        folders, boards = _back_up_content(job)
        listed = _back_up_admin(job)
        _back_up_lookml(job)
        _back_up_access(job, folders + boards)
        _back_up_related(job, listed, folders + boards)
    finally:
        conn.close()
        sdk.auth.logout()
        sdk.transport.session.close()
    elapsed = time.perf_counter() - start
    return {"items": job.items, "requests": job.requests, "elapsed_s": elapsed}


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.baseline_sdk --db FILE` with LOOKERSDK_* in the environment."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args(argv)
    sys.stdout.write(orjson.dumps(run_backup(args.db)).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
