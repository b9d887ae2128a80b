"""Resuming a run whose checkpoints and failures an earlier release wrote as literal strings."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import httpx
import orjson
import pytest

from lookervault.backup.run import ExtractOptions, extract
from lookervault.content import id_sort_key
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.records import Batch, Failure, ItemRecord
from lookervault.vault.store import Vault
from tests.support import assert_vault_equals

pytestmark = pytest.mark.anyio

_MOCK = MockOptions()
_PAGE_SIZE = 5


class _Requests(httpx.AsyncBaseTransport):
    """Wraps a transport and logs (path, query parameters) of every request."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[str, dict[str, str]]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        query = parse_qs(request.url.query.decode(), keep_blank_values=True)
        self.seen.append((request.url.path, {k: v[-1] for k, v in query.items()}))
        return await self.inner.handle_async_request(request)

    def count(self, path_end: str, **params: str) -> int:
        """Requests (not id listings) to a path ending in `path_end` carrying `params`."""
        return sum(
            1
            for path, query in self.seen
            if path.endswith(path_end)
            and "fields" not in query
            and all(query.get(k) == v for k, v in params.items())
        )


def _record(content_type: str, item_id: str, obj: dict) -> ItemRecord:
    return ItemRecord(content_type, item_id, orjson.dumps(obj))


def _old_attempt(vault: Vault, mock: MockLooker, status: str) -> tuple[int, str]:
    """An unfinished run as the old code left it: literal checkpoint and failure keys.

    Returns the run id and the id of the look whose fetch failed.
    """
    truth = mock.ground_truth()
    live = sorted(
        (i for i, o in truth["dashboards"].items() if not o.get("deleted")), key=id_sort_key
    )
    live_looks = sorted(
        (i for i, o in truth["looks"].items() if not o.get("deleted")), key=id_sort_key
    )
    failed_look, fetched_looks = live_looks[0], live_looks[1:_PAGE_SIZE]
    explore = "ecommerce::orders"
    items = (
        *(_record("dashboards", i, truth["dashboards"][i]) for i in live[:_PAGE_SIZE]),
        *(_record("looks", i, truth["looks"][i]) for i in fetched_looks),
        *(_record("user_attributes", i, o) for i, o in truth["user_attributes"].items()),
        _record("explores", explore, truth["explores"][explore]),
    )
    run_id = vault.start_run(
        options={},
        looker_url="http://mock",
        looker_release=None,
        api_version=None,
        tool_version="0",
    )
    batch = Batch(
        run_id,
        items=items,
        checkpoints=(
            ("dashboards", "deleted=false:offset=0"),
            ("dashboards", "deleted=false:offset=x"),  # garbled: ignored, never fatal
            ("looks", "deleted=false:offset=0"),
            ("user_attributes", "all:all"),
            ("explores", f"child:{explore}"),
        ),
        failures=(
            Failure("looks", f"item:{failed_look}", "HTTP 500"),
            Failure("dashboards", "deleted=true:offset=0", "HTTP 503"),
            Failure("dashboards", "garbled", "from a future release"),
        ),
    )
    with vault.writer() as writer:
        writer.write(batch)
    if status != "running":
        vault.finish_run(run_id, status=status, counts={}, stats={})
    return run_id, failed_look


@pytest.mark.parametrize("status", ["running", "interrupted"])
async def test_resume_reads_checkpoints_an_earlier_release_wrote(
    tmp_path: Path, status: str
) -> None:
    """Old literal keys resume the same run, skip committed pages, retry failures, end complete."""
    mock = MockLooker(MockOptions(preset="tiny"))
    requests = _Requests(httpx.ASGITransport(app=mock))
    settings = ConnectionSettings(
        base_url="http://mock", client_id=_MOCK.client_id, client_secret=_MOCK.client_secret
    )
    with Vault(tmp_path / "v.db") as vault:
        run_id, failed_look = _old_attempt(vault, mock, status)
        options = ExtractOptions(workers=2, page_size=_PAGE_SIZE, resume=True)
        result = await extract(settings, vault, options, transport=requests)
        assert vault.failures(run_id) == []
        assert [run.run_id for run in vault.runs()] == [run_id]
    assert (result.run_id, result.status, result.failures) == (run_id, "complete", [])
    # Committed pages are not asked for again; the pages after them and the failed ones are.
    assert requests.count("/dashboards/search", deleted="false", offset="0") == 0
    assert requests.count("/dashboards/search", deleted="false", offset="5") == 1
    assert requests.count("/dashboards/search", deleted="true", offset="0") == 1
    assert requests.count("/looks/search", deleted="false", offset="0") == 0
    assert requests.count("/user_attributes") == 0
    assert requests.count("/lookml_models/ecommerce/explores/orders") == 0
    assert requests.count("/lookml_models/ecommerce/explores/users") == 1
    assert requests.count(f"/looks/{failed_look}") == 1
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes())
