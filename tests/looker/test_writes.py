"""Tests of the client's write verbs: bodies, answers, and which failures each verb retries."""

from __future__ import annotations

import json

import httpx
import pytest

from lookervault.errors import ApiError, NotFoundError
from lookervault.looker.retry import IDEMPOTENT
from lookervault.metrics import Metrics
from tests.looker.fake_looker import BASE_URL, FakeLooker

PATH = "/dashboards"
APPLIED = "may have been applied"


def _call(client, method: str, **kwargs):
    """Send *method* to PATH with a small body where the verb takes one."""
    body = None if method in ("GET", "DELETE") else {"title": "t"}
    return client.request_json(method, PATH, body=body, **kwargs)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.anyio
async def test_post_5xx_not_retried(make_client, looker: FakeLooker, status: int) -> None:
    """A POST answered 5xx raises at once: Looker may have created the object already."""
    looker.script(PATH, httpx.Response(status), httpx.Response(200, json={"id": 1}))
    async with make_client() as client:
        with pytest.raises(ApiError, match=APPLIED) as info:
            await client.post_json(PATH, {"title": "t"})
    assert info.value.status == status
    assert info.value.method == "POST"
    assert len(looker.requests_to(PATH)) == 1


@pytest.mark.anyio
async def test_post_429_retried(make_client, looker: FakeLooker, metrics: Metrics) -> None:
    """A POST refused with 429 was not applied, so it is sent again."""
    looker.script(PATH, httpx.Response(429), httpx.Response(201, json={"id": 7}))
    async with make_client() as client:
        assert await client.post_json(PATH, {"title": "t"}) == {"id": 7}
    assert len(looker.requests_to(PATH)) == 2
    assert metrics.get("retries") == 1


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("busy")],
)
@pytest.mark.anyio
async def test_post_unsent_failure_retried(make_client, looker: FakeLooker, failure) -> None:
    """A POST that failed before it left (connect, pool) is sent again."""
    looker.script(PATH, failure, httpx.Response(201, json={"id": 7}))
    async with make_client() as client:
        assert await client.post_json(PATH, {"title": "t"}) == {"id": 7}
    assert len(looker.requests_to(PATH)) == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed connection"),
        httpx.ReadError("reset"),
        httpx.WriteTimeout("stuck"),
    ],
)
@pytest.mark.anyio
async def test_post_sent_failure_not_retried(make_client, looker: FakeLooker, failure) -> None:
    """A POST lost after it left may have been applied: ApiError after one request."""
    looker.script(PATH, failure, httpx.Response(201, json={"id": 7}))
    async with make_client() as client:
        with pytest.raises(ApiError, match=APPLIED) as info:
            await client.post_json(PATH, {"title": "t"})
    assert info.value.status is None
    assert type(failure).__name__ in str(info.value)
    assert len(looker.requests_to(PATH)) == 1


@pytest.mark.anyio
async def test_post_unparsable_answer_not_retried(make_client, looker: FakeLooker) -> None:
    """A POST answered 200 with a body that is not JSON was applied: not sent again."""
    looker.script(PATH, httpx.Response(200, text="<html>proxy</html>"), httpx.Response(200))
    async with make_client() as client:
        with pytest.raises(ApiError, match=APPLIED):
            await client.post_json(PATH, {"title": "t"})
    assert len(looker.requests_to(PATH)) == 1


@pytest.mark.anyio
async def test_post_429_exhausted_not_applied(make_client, looker: FakeLooker) -> None:
    """A POST refused with 429 until retries run out is not reported as possibly applied."""
    looker.script(PATH, httpx.Response(429, json={"message": "Slow down"}))
    async with make_client() as client:
        with pytest.raises(ApiError, match="429 Slow down") as info:
            await client.post_json(PATH, {"title": "t"})
    assert APPLIED not in str(info.value)


@pytest.mark.anyio
async def test_post_marked_idempotent_retried(make_client, looker: FakeLooker) -> None:
    """A POST the caller marks as safe to repeat is retried on 503."""
    looker.script("/queries/run", httpx.Response(503), httpx.Response(200, json=[1]))
    async with make_client() as client:
        assert await client.post_json("/queries/run", {"q": 1}, retry=IDEMPOTENT) == [1]
    assert len(looker.requests_to("/queries/run")) == 2


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
@pytest.mark.anyio
async def test_idempotent_writes_retried_on_503(
    make_client, looker: FakeLooker, method: str
) -> None:
    """PATCH, PUT and DELETE are retried after a 503, like GET."""
    looker.script(PATH, httpx.Response(503), httpx.Response(200, json={"ok": True}))
    async with make_client() as client:
        assert await _call(client, method) == {"ok": True}
    assert [r.method for r in looker.requests_to(PATH)] == [method, method]


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
@pytest.mark.anyio
async def test_idempotent_writes_retried_after_read_timeout(
    make_client, looker: FakeLooker, method: str
) -> None:
    """An idempotent write lost in flight is sent again: repeating it converges."""
    looker.script(PATH, httpx.ReadTimeout("slow"), httpx.Response(200, json={"ok": True}))
    async with make_client() as client:
        assert await _call(client, method) == {"ok": True}
    assert len(looker.requests_to(PATH)) == 2


@pytest.mark.parametrize("body", [b'{"title":"caf\xc3\xa9","n":  1}', b"[]"])
@pytest.mark.anyio
async def test_bytes_body_sent_exactly(make_client, looker: FakeLooker, body: bytes) -> None:
    """A bytes body reaches Looker byte for byte, typed application/json."""
    async with make_client() as client:
        await client.post_json(PATH, body)
    (request,) = looker.requests_to(PATH)
    assert request.content == body
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"].startswith("Bearer ")


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT"])
@pytest.mark.anyio
async def test_object_body_serialized(make_client, looker: FakeLooker, method: str) -> None:
    """A Python body is serialized as JSON, huge integers and non-ASCII text intact."""
    body = {"title": "café", "id": 123456789012345678901234567890}
    async with make_client() as client:
        await client.request_json(method, PATH, body=body)
    (request,) = looker.requests_to(PATH)
    assert request.method == method
    assert json.loads(request.content) == body
    assert request.headers["Content-Type"] == "application/json"


@pytest.mark.anyio
async def test_no_body_no_content_type(make_client, looker: FakeLooker) -> None:
    """A request without a body sends no Content-Type and no content."""
    async with make_client() as client:
        await client.delete(PATH)
    (request,) = looker.requests_to(PATH)
    assert request.content == b""
    assert "Content-Type" not in request.headers


@pytest.mark.anyio
async def test_answer_parsed(make_client, looker: FakeLooker) -> None:
    """The JSON answer of a write is returned parsed; params travel in the query."""
    looker.script(PATH, httpx.Response(201, json={"id": "42", "title": "t"}))
    async with make_client() as client:
        answer = await client.post_json(PATH, {"title": "t"}, params={"fields": "id,title"})
    assert answer == {"id": "42", "title": "t"}
    assert looker.requests_to(PATH)[0].url.params["fields"] == "id,title"


@pytest.mark.anyio
async def test_delete_204_is_none(make_client, looker: FakeLooker) -> None:
    """DELETE answered 204 without a body returns None."""
    looker.script("/dashboards/7", httpx.Response(204))
    async with make_client() as client:
        assert await client.delete("/dashboards/7") is None


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "PUT", "DELETE"])
@pytest.mark.anyio
async def test_404_is_not_found_on_every_verb(make_client, looker: FakeLooker, method: str) -> None:
    """A 404 raises NotFoundError at once, whatever the verb."""
    looker.script(PATH, httpx.Response(404, json={"message": "Not found"}))
    async with make_client() as client:
        with pytest.raises(NotFoundError) as info:
            await _call(client, method)
    assert info.value.method == method
    assert info.value.url == f"{BASE_URL}/api/4.0{PATH}"
    assert APPLIED not in str(info.value)
    assert len(looker.requests_to(PATH)) == 1


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
@pytest.mark.anyio
async def test_401_relogin_on_write(make_client, looker: FakeLooker, method: str) -> None:
    """A revoked token on a write means one new login and the same request sent again."""
    async with make_client() as client:
        looker.valid_token = "revoked"
        assert await _call(client, method) == {"path": f"/api/4.0{PATH}"}
    assert len(looker.tokens) == 2
    sent = looker.requests_to(PATH)
    assert len(sent) == 2
    assert sent[0].content == sent[1].content


@pytest.mark.parametrize("method", ["post", "Patch"])
@pytest.mark.anyio
async def test_verb_case_ignored(make_client, looker: FakeLooker, method: str) -> None:
    """Verbs are accepted in any case and sent in capitals."""
    async with make_client() as client:
        await client.request_json(method, PATH, body={})
    assert looker.requests_to(PATH)[0].method == method.upper()


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "TRACE"])
@pytest.mark.anyio
async def test_other_verbs_refused(make_client, looker: FakeLooker, method: str) -> None:
    """Verbs without a retry policy are refused before anything is sent."""
    async with make_client() as client:
        with pytest.raises(ValueError, match="unsupported HTTP method"):
            await client.request_json(method, PATH, retry=IDEMPOTENT)
    assert looker.requests_to(PATH) == []


@pytest.mark.anyio
async def test_write_to_absolute_url_refused(make_client, looker: FakeLooker) -> None:
    """Writes, like reads, only go to paths relative to /api/4.0."""
    async with make_client() as client:
        with pytest.raises(ValueError, match="relative"):
            await client.post_json("https://evil.test/api/4.0/dashboards", {})
    assert {r.url.host for r in looker.requests} == {"looker.test"}
