"""A fake Looker for httpx.MockTransport, and test doubles of the clock and the limiter."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
from pydantic import SecretStr

from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.settings import ConnectionSettings

__all__ = [
    "ATTEMPTS",
    "BASE_URL",
    "CLIENT_ID",
    "SECRET",
    "TOKEN_LIFETIME_S",
    "FakeClock",
    "FakeLooker",
    "Reply",
    "SpyLimiter",
    "play",
    "settings",
]

BASE_URL = "https://looker.test:19999"
CLIENT_ID = "the-client-id"
SECRET = "the-client-secret-Zq9"
TOKEN_LIFETIME_S = 3600
ATTEMPTS = 3  # tests/conftest.py caps stamina at three attempts

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SpyLimiter(AdaptiveLimiter):
    """Records what the client tells the limiter, without ever pausing."""

    def __init__(self) -> None:
        super().__init__()
        self.rate_limited: list[float | None] = []
        self.successes = 0
        self.acquired = 0
        self.urgent = 0

    async def acquire(self, *, urgent: bool = False) -> float:
        self.acquired += 1
        self.urgent += urgent
        return self.now()

    def on_rate_limited(self, retry_after: float | None, *, sent_at: float | None = None) -> None:
        assert sent_at is not None  # the client stamps when the refused request left
        self.rate_limited.append(retry_after)

    def on_success(self, *, sent_at: float | None = None) -> None:
        assert sent_at is not None
        self.successes += 1


class FakeLooker:
    """A handler for httpx.MockTransport: login, logout, and scripted answers per path."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.scripts: dict[str, list[Reply]] = {}
        self.login_replies: list[Reply] = []
        self.tokens: list[str] = []
        self.valid_token: str | None = None
        self.expires_in = TOKEN_LIFETIME_S

    def script(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to /api/4.0<path> with *replies*, in order."""
        self.scripts.setdefault("/api/4.0" + path, []).extend(replies)

    def requests_to(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/api/4.0" + path]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/api/4.0/login":
            return self._login(request)
        if path == "/api/4.0/logout" and self.scripts.get(path):
            return self._scripted(request)
        if path == "/api/4.0/versions" and not self.scripts.get(path):
            # As a real Looker: /versions needs no token.
            return httpx.Response(200, json={"looker_release_version": "26.12.3"})
        if request.headers.get("Authorization") != f"Bearer {self.valid_token}":
            return httpx.Response(401, json={"message": "Requires authentication."})
        if path == "/api/4.0/logout":
            self.valid_token = None
            return httpx.Response(204)
        return self._scripted(request)

    def _login(self, request: httpx.Request) -> httpx.Response:
        if self.login_replies:
            return play(self.login_replies.pop(0), request)
        form = parse_qs(request.content.decode())
        if form != {"client_id": [CLIENT_ID], "client_secret": [SECRET]}:
            return httpx.Response(404, json={"message": "Not found"})
        token = f"token-{len(self.tokens) + 1}-Xy7"
        self.tokens.append(token)
        self.valid_token = token
        return httpx.Response(
            200,
            json={"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in},
        )

    def _scripted(self, request: httpx.Request) -> httpx.Response:
        queue = self.scripts.get(request.url.path)
        if not queue:
            return httpx.Response(200, json={"path": request.url.path})
        reply = queue.pop(0) if len(queue) > 1 else queue[0]  # the last reply repeats
        return play(reply, request)


def play(reply: Reply, request: httpx.Request) -> httpx.Response:
    if isinstance(reply, Exception):
        raise reply
    if isinstance(reply, httpx.Response):
        return reply
    return reply(request)


def settings(**changes: object) -> ConnectionSettings:
    values: dict[str, object] = {
        "base_url": BASE_URL,
        "client_id": CLIENT_ID,
        "client_secret": SecretStr(SECRET),
    }
    values.update(changes)
    return ConnectionSettings(**values)  # type: ignore[arg-type]
