"""Tests for lookervault.looker.client against an httpx.MockTransport that plays Looker."""

from __future__ import annotations

import email.utils
import logging
import time
from urllib.parse import parse_qs

import anyio
import httpx
import pytest

from lookervault.config import (
    RATE_DECREASE,
    RATE_EPISODE_SAMPLES,
    RATE_GAIN,
    RETRY_AFTER_MAX_S,
    TOKEN_REFRESH_MARGIN_S,
)
from lookervault.errors import ApiError, AuthError, ConnectError, ExitCode, NotFoundError
from lookervault.looker.client import LookerClient
from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.metrics import Metrics
from tests.looker.fake_looker import (
    ATTEMPTS,
    BASE_URL,
    CLIENT_ID,
    SECRET,
    TOKEN_LIFETIME_S,
    FakeClock,
    FakeLooker,
    Reply,
    SpyLimiter,
    settings,
)

# --- login, token, logout --------------------------------------------------------------


@pytest.mark.anyio
async def test_login_sends_form_body_not_query(make_client, looker: FakeLooker) -> None:
    """Credentials travel in a form body, never in the query string."""
    async with make_client():
        pass
    (login,) = looker.requests_to("/login")
    assert login.method == "POST"
    assert login.url.query == b""
    assert login.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(login.content.decode()) == {"client_id": [CLIENT_ID], "client_secret": [SECRET]}


@pytest.mark.anyio
async def test_bearer_header_and_params(make_client, looker: FakeLooker) -> None:
    """Requests carry the bearer token and the query parameters."""
    async with make_client() as client:
        answer = await client.get_json("/dashboards/search", {"limit": 5, "deleted": False})
    assert answer == {"path": "/api/4.0/dashboards/search"}
    (request,) = looker.requests_to("/dashboards/search")
    assert request.headers["Authorization"] == "Bearer token-1-Xy7"
    assert request.url.params["limit"] == "5"
    assert request.url.params["deleted"] == "false"


@pytest.mark.anyio
async def test_logout_on_exit(make_client, looker: FakeLooker) -> None:
    """Leaving the context logs out with the current token."""
    async with make_client():
        pass
    (logout,) = looker.requests_to("/logout")
    assert logout.method == "DELETE"
    assert logout.headers["Authorization"] == "Bearer token-1-Xy7"
    assert looker.valid_token is None


@pytest.mark.parametrize("reply", [httpx.Response(500), httpx.ConnectError("gone")])
@pytest.mark.anyio
async def test_logout_failure_never_raises(
    make_client, looker: FakeLooker, reply: Reply, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed logout is logged, not raised."""
    caplog.set_level(logging.INFO)
    looker.script("/logout", reply)
    async with make_client():
        pass
    assert len(looker.requests_to("/logout")) == 1
    assert "logout from" in caplog.text


@pytest.mark.anyio
async def test_logout_even_when_cancelled(make_client, looker: FakeLooker) -> None:
    """Cancelling the work inside the context still logs out and closes."""
    with anyio.move_on_after(0.01):
        async with make_client():
            await anyio.sleep(10)
    assert len(looker.requests_to("/logout")) == 1


@pytest.mark.anyio
async def test_refresh_before_expiry(make_client, looker: FakeLooker, clock: FakeClock) -> None:
    """The token is renewed shortly before it expires, not after."""
    async with make_client() as client:
        clock.now += TOKEN_LIFETIME_S - TOKEN_REFRESH_MARGIN_S - 1
        await client.get_json("/user")
        assert len(looker.tokens) == 1
        clock.now += 2
        await client.get_json("/user")
    assert len(looker.tokens) == 2
    assert looker.requests_to("/user")[-1].headers["Authorization"] == "Bearer token-2-Xy7"


@pytest.mark.anyio
async def test_concurrent_requests_share_one_refresh(
    make_client, looker: FakeLooker, clock: FakeClock
) -> None:
    """Many tasks finding the token expiring trigger exactly one login."""
    async with make_client() as client:
        clock.now += TOKEN_LIFETIME_S
        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(client.get_json, "/user")
    assert len(looker.tokens) == 2
    assert {r.headers["Authorization"] for r in looker.requests_to("/user")} == {
        "Bearer token-2-Xy7"
    }


@pytest.mark.anyio
async def test_401_relogin_then_retry_once(make_client, looker: FakeLooker) -> None:
    """A revoked token is replaced by one new login, and the request is sent again."""
    async with make_client() as client:
        looker.valid_token = "revoked"
        assert await client.get_json("/user") == {"path": "/api/4.0/user"}
    assert len(looker.tokens) == 2
    assert len(looker.requests_to("/user")) == 2


@pytest.mark.anyio
async def test_second_401_is_auth_error(make_client, looker: FakeLooker) -> None:
    """A 401 right after a fresh login is an AuthError, not a loop."""
    looker.script("/user", httpx.Response(401, json={"message": "Requires authentication."}))
    async with make_client() as client:
        with pytest.raises(AuthError, match="even after logging in again"):
            await client.get_json("/user")
    assert len(looker.requests_to("/user")) == 2


@pytest.mark.parametrize("status", [401, 403, 404])
@pytest.mark.anyio
async def test_wrong_credentials(make_client, looker: FakeLooker, status: int) -> None:
    """Looker refusing the API key at /login is an AuthError naming the host and client_id."""
    looker.login_replies.append(httpx.Response(status, json={"message": "Not found"}))
    with pytest.raises(AuthError) as info:
        async with make_client():
            pass
    message = str(info.value)
    assert message == (f"Looker refused the API credentials for {BASE_URL} (client_id {CLIENT_ID})")
    assert info.value.exit_code == ExitCode.CONNECT
    assert len(looker.requests_to("/login")) == 1


@pytest.mark.anyio
async def test_login_404_where_no_looker_answers_versions_is_no_api(
    make_client, looker: FakeLooker
) -> None:
    """A JSON 404 at /login from a server whose /versions is not Looker's says no Looker API."""
    looker.login_replies.append(httpx.Response(404, json={"message": "Not found"}))
    looker.script("/versions", httpx.Response(404, json={"message": "Not found"}))
    with pytest.raises(ConnectError, match=f"^no Looker API at {BASE_URL}: POST"):
        async with make_client():
            pass
    assert len(looker.requests_to("/versions")) == 1


@pytest.mark.parametrize(
    ("reply", "what"),
    [
        (
            httpx.Response(
                404, text="<html>Not Found</html>", headers={"content-type": "text/html"}
            ),
            "an HTML page",
        ),
        (httpx.Response(404), "an empty body"),
        (httpx.Response(404, json={"error": "nope"}), "a body that is not Looker's"),
    ],
    ids=["html", "empty", "other-json"],
)
@pytest.mark.anyio
async def test_login_404_without_looker_body_is_no_api(
    make_client, looker: FakeLooker, reply: httpx.Response, what: str
) -> None:
    """A 404 at /login that is not Looker's JSON error says no Looker API is at that URL."""
    looker.login_replies.append(reply)
    with pytest.raises(ConnectError) as info:
        async with make_client():
            pass
    assert str(info.value) == (
        f"no Looker API at {BASE_URL}: POST {BASE_URL}/api/4.0/login answered 404 with {what}; "
        "set base_url to the API host (e.g. https://company.looker.com), without a path"
    )
    assert info.value.exit_code == ExitCode.CONNECT
    assert len(looker.requests_to("/login")) == 1


@pytest.mark.anyio
async def test_login_retries_server_errors(make_client, looker: FakeLooker) -> None:
    """A 503 at login is retried like any request."""
    looker.login_replies.append(httpx.Response(503))
    async with make_client() as client:
        await client.get_json("/user")
    assert len(looker.requests_to("/login")) == 2


@pytest.mark.anyio
async def test_connect_failure_at_login(make_client, looker: FakeLooker) -> None:
    """An unreachable host is a ConnectError naming the base URL."""
    looker.login_replies.extend([httpx.ConnectError("Connection refused")] * ATTEMPTS)
    with pytest.raises(ConnectError, match=f"cannot connect to {BASE_URL}: ConnectError: "):
        async with make_client():
            pass


@pytest.mark.anyio
async def test_tls_failure_at_login(make_client, looker: FakeLooker) -> None:
    """A certificate failure is explained, says how to opt out, and is not retried."""
    failure = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    looker.login_replies.extend([failure] * ATTEMPTS)
    with pytest.raises(ConnectError) as info:
        async with make_client():
            pass
    assert "certificate failed verification" in str(info.value)
    assert "LOOKERSDK_VERIFY_SSL=false" in str(info.value)
    assert len(looker.requests_to("/login")) == 1


@pytest.mark.anyio
async def test_login_answer_without_token(make_client, looker: FakeLooker) -> None:
    """A login answer without access_token is an AuthError."""
    looker.login_replies.append(httpx.Response(200, json={"expires_in": 60}))
    with pytest.raises(AuthError, match="no access_token"):
        async with make_client():
            pass


# --- retries ---------------------------------------------------------------------------


@pytest.mark.parametrize("retry_after", [None, "2"])
@pytest.mark.anyio
async def test_429_then_success(
    make_client, looker: FakeLooker, limiter: SpyLimiter, metrics: Metrics, retry_after
) -> None:
    """A 429 is retried, the limiter hears about it, and metrics count it."""
    headers = {"Retry-After": retry_after} if retry_after else {}
    looker.script(
        "/user",
        httpx.Response(429, headers=headers, json={"message": "Too many requests"}),
        httpx.Response(200, json={"id": 1}),
    )
    async with make_client() as client:
        assert await client.get_json("/user") == {"id": 1}
    assert limiter.rate_limited == [None if retry_after is None else 2.0]
    assert metrics.get("rate_limited") == 1
    assert metrics.get("retries") == 1
    assert limiter.successes >= 1


@pytest.mark.anyio
async def test_429_slows_the_shared_limiter(looker: FakeLooker, clock: FakeClock) -> None:
    """An episode of 429s (a second one confirms it) lowers the shared limiter's rate once."""
    limiter = AdaptiveLimiter(per_second=100)
    oks = [httpx.Response(200, json={})] * (RATE_EPISODE_SAMPLES - 2)  # and the login
    refused = httpx.Response(429, headers={"Retry-After": "0"})
    looker.script("/user", *oks, refused, refused, httpx.Response(200, json={}))
    transport = httpx.MockTransport(looker)
    async with LookerClient(settings(), limiter=limiter, transport=transport, clock=clock) as c:
        for _ in range(RATE_EPISODE_SAMPLES - 1):
            await c.get_json("/user")
    # At most RATE_DECREASE x the rate it sent at (100/s or less); the retry adds a step.
    assert limiter.current_rate <= 100 * RATE_DECREASE + RATE_GAIN
    assert not limiter.slow_start


@pytest.mark.anyio
async def test_login_takes_an_urgent_permit(
    make_client, looker: FakeLooker, limiter: SpyLimiter
) -> None:
    """The login skips the queue of requests that wait for it; API requests do not."""
    looker.script("/user", httpx.Response(200, json={}))
    async with make_client() as client:
        await client.get_json("/user")
    assert (limiter.acquired, limiter.urgent) == (2, 1)


@pytest.mark.anyio
async def test_429_with_http_date(make_client, looker: FakeLooker, limiter: SpyLimiter) -> None:
    """A Retry-After given as an HTTP date becomes a bounded delay in seconds."""
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    looker.script("/user", httpx.Response(429, headers={"Retry-After": when}), httpx.Response(200))
    async with make_client() as client:
        await client.get_json("/user")
    (delay,) = limiter.rate_limited
    assert delay is not None
    assert 0 <= delay <= RETRY_AFTER_MAX_S


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.anyio
async def test_server_error_then_success(
    make_client, looker: FakeLooker, metrics: Metrics, status: int
) -> None:
    """5xx answers are retried until the request succeeds."""
    looker.script("/user", httpx.Response(status), httpx.Response(200, json=[1, 2]))
    async with make_client() as client:
        assert await client.get_json("/user") == [1, 2]
    assert metrics.get("retries") == 1
    assert metrics.get("errors") == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("peer closed connection"),
    ],
)
@pytest.mark.anyio
async def test_transport_error_then_success(make_client, looker: FakeLooker, failure) -> None:
    """Transport errors are retried."""
    looker.script("/user", failure, httpx.Response(200, json={"ok": True}))
    async with make_client() as client:
        assert await client.get_json("/user") == {"ok": True}


@pytest.mark.anyio
async def test_invalid_json_then_success(make_client, looker: FakeLooker) -> None:
    """A 200 whose body is not JSON (a proxy page) is treated as transient."""
    looker.script(
        "/user",
        httpx.Response(200, text="<html>Gateway says hi</html>"),
        httpx.Response(200, json={"ok": True}),
    )
    async with make_client() as client:
        assert await client.get_json("/user") == {"ok": True}


@pytest.mark.anyio
async def test_retries_exhausted_status(make_client, looker: FakeLooker, metrics: Metrics) -> None:
    """When retries run out the error carries the status and Looker's message."""
    looker.script("/user", httpx.Response(503, json={"message": "Down for maintenance"}))
    async with make_client() as client:
        with pytest.raises(ApiError) as info:
            await client.get_json("/user")
    assert info.value.status == 503
    assert info.value.message == "Down for maintenance"
    assert info.value.url == f"{BASE_URL}/api/4.0/user"
    assert len(looker.requests_to("/user")) == ATTEMPTS
    assert metrics.get("retries") == ATTEMPTS - 1


@pytest.mark.anyio
async def test_retries_exhausted_transport(make_client, looker: FakeLooker) -> None:
    """When a transport error persists the ApiError names its class."""
    looker.script("/user", httpx.ReadTimeout("timed out"))
    async with make_client() as client:
        with pytest.raises(ApiError, match="ReadTimeout") as info:
            await client.get_json("/user")
    assert info.value.status is None


@pytest.mark.anyio
async def test_404_is_not_found(make_client, looker: FakeLooker) -> None:
    """A 404 raises NotFoundError at once, without retries."""
    looker.script("/dashboards/7", httpx.Response(404, json={"message": "Not found"}))
    async with make_client() as client:
        with pytest.raises(NotFoundError) as info:
            await client.get_json("/dashboards/7")
    assert isinstance(info.value, ApiError)
    assert info.value.status == 404
    assert len(looker.requests_to("/dashboards/7")) == 1


@pytest.mark.anyio
async def test_400_carries_lookers_message(make_client, looker: FakeLooker) -> None:
    """Other 4xx answers are not retried and carry Looker's message."""
    looker.script(
        "/dashboards/search",
        httpx.Response(400, json={"message": "Invalid filter", "documentation_url": "x"}),
    )
    async with make_client() as client:
        with pytest.raises(ApiError, match="400 Invalid filter") as info:
            await client.get_json("/dashboards/search")
    assert not isinstance(info.value, NotFoundError)
    assert len(looker.requests_to("/dashboards/search")) == 1


@pytest.mark.anyio
async def test_redirect_not_followed(make_client, looker: FakeLooker) -> None:
    """A redirect is an error: the bearer token never goes to another host."""
    looker.script("/user", httpx.Response(302, headers={"Location": "https://evil.test/steal"}))
    async with make_client() as client:
        with pytest.raises(ApiError, match="not followed"):
            await client.get_json("/user")
    assert {r.url.host for r in looker.requests} == {"looker.test"}


@pytest.mark.anyio
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_login_redirect_never_carries_the_secret_away(
    make_client, looker: FakeLooker, status: int
) -> None:
    """A redirected login fails; neither the secret nor a token reaches the other host."""
    looker.login_replies.append(
        httpx.Response(status, headers={"Location": "https://evil.test/api/4.0/login"})
    )
    with pytest.raises(ApiError, match="not followed") as info:
        async with make_client():
            pass
    assert SECRET not in str(info.value)
    assert {r.url.host for r in looker.requests} == {"looker.test"}


@pytest.mark.anyio
async def test_api_redirect_keeps_the_token_home(make_client, looker: FakeLooker) -> None:
    """Redirects of API calls are never followed: the Authorization header stays on our host."""
    looker.script("/user", httpx.Response(307, headers={"Location": "https://evil.test/user"}))
    async with make_client() as client:
        with pytest.raises(ApiError, match="not followed") as info:
            await client.get_json("/user")
    sent_elsewhere = [r for r in looker.requests if r.url.host != "looker.test"]
    assert sent_elsewhere == []
    assert all(token not in str(info.value) for token in looker.tokens)


@pytest.mark.anyio
async def test_absolute_url_refused(make_client) -> None:
    """Only paths relative to /api/4.0 are accepted."""
    async with make_client() as client:
        with pytest.raises(ValueError, match="relative"):
            await client.get_json("https://evil.test/api/4.0/user")


# --- answers, metrics, concurrency -----------------------------------------------------


@pytest.mark.parametrize(
    "number", [123456789012345678901234567890, -9223372036854775809, 18446744073709551616]
)
@pytest.mark.anyio
async def test_huge_integers_survive(make_client, looker: FakeLooker, number: int) -> None:
    """Integers beyond 64 bits, which orjson would turn into floats, are parsed exactly."""
    body = b'{"id": %d, "name": "x"}' % number
    looker.script("/user", httpx.Response(200, content=body))
    async with make_client() as client:
        answer = await client.get_json("/user")
    assert answer == {"id": number, "name": "x"}
    assert isinstance(answer["id"], int)


@pytest.mark.anyio
async def test_empty_body_is_none(make_client, looker: FakeLooker) -> None:
    """An empty 2xx body (204) parses as None."""
    looker.script("/user", httpx.Response(204))
    async with make_client() as client:
        assert await client.get_json("/user") is None


@pytest.mark.anyio
async def test_versions(make_client, looker: FakeLooker) -> None:
    """versions() returns GET /versions."""
    looker.script("/versions", httpx.Response(200, json={"looker_release_version": "25.0"}))
    async with make_client() as client:
        assert (await client.versions())["looker_release_version"] == "25.0"


@pytest.mark.anyio
async def test_metrics_and_limiter_per_attempt(
    make_client, looker: FakeLooker, metrics: Metrics, limiter: SpyLimiter
) -> None:
    """Every attempt passes the limiter and is counted, with its body size."""
    body = b'{"k": "v"}'
    looker.script("/user", httpx.Response(500), httpx.Response(200, content=body))
    async with make_client() as client:
        await client.get_json("/user")
    assert metrics.get("requests") == 3  # login, 500, 200
    assert limiter.acquired == 3
    assert metrics.get("bytes") >= len(body)


@pytest.mark.anyio
async def test_concurrency_caps_requests_in_flight(looker: FakeLooker, clock: FakeClock) -> None:
    """No more than `concurrency` requests are ever in flight."""
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.001)
        in_flight -= 1
        return looker(request)

    transport = httpx.MockTransport(handler)
    limiter = SpyLimiter()  # pacing would serialize them: this test is about the slots
    client = LookerClient(
        settings(), concurrency=3, limiter=limiter, transport=transport, clock=clock
    )
    async with client, anyio.create_task_group() as tg:
        for _ in range(30):
            tg.start_soon(client.get_json, "/user")
    assert peak == 3


@pytest.mark.anyio
async def test_use_outside_context_is_refused(make_client) -> None:
    """Calling get_json before entering the context is a clear error."""
    with pytest.raises(RuntimeError, match="async with"):
        await make_client().get_json("/user")


@pytest.mark.anyio
async def test_secrets_never_logged_or_shown(
    make_client, looker: FakeLooker, caplog: pytest.LogCaptureFixture
) -> None:
    """Neither the client secret nor any token shows in logs, errors or reprs."""
    caplog.set_level(logging.DEBUG)
    looker.script("/a", httpx.Response(429), httpx.Response(200))
    looker.script("/b", httpx.Response(404, json={"message": "Not found"}))
    looker.script("/c", httpx.Response(401))
    looker.script("/d", httpx.ReadTimeout("slow"))
    errors: list[Exception] = []
    async with make_client() as client:
        await client.get_json("/a")
        looker.valid_token = "revoked"
        await client.get_json("/user")
        for path in ("/b", "/c", "/d"):
            try:
                await client.get_json(path)
            except (ApiError, AuthError) as exc:
                errors.append(exc)
        shown = [repr(client), str(client.settings), repr(client.settings)]
    looker.login_replies.append(httpx.Response(404, json={"message": "Not found"}))
    try:
        async with make_client():
            pass
    except AuthError as exc:
        errors.append(exc)
    assert len(errors) == 4
    texts = [caplog.text, *shown, *(str(e) for e in errors), *(repr(e) for e in errors)]
    assert len(looker.tokens) >= 2
    for secret in (SECRET, *looker.tokens):
        for text in texts:
            assert secret not in text
    assert "GET /api/4.0/a -> 429" in caplog.text
