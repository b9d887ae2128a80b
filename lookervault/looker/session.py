"""The access token of one Looker session: login, renewal before it expires, logout.

Kept apart from the client's request path so that the path reads as sending, and the rules of
when to log in (one login for every task that finds the token stale) live in one place.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx

from lookervault import jsonio
from lookervault.config import (
    API_PATH,
    DEFAULT_TOKEN_LIFETIME_S,
    LOGOUT_TIMEOUT_S,
    TOKEN_REFRESH_MARGIN_S,
)
from lookervault.errors import ApiError, AuthError
from lookervault.looker.messages import connect_error, is_looker_error, no_api_error
from lookervault.looker.pools import PooledClients
from lookervault.looker.retry import LOGIN, RetryableError, call_with_retries
from lookervault.metrics import Metrics
from lookervault.settings import ConnectionSettings

__all__ = ["TokenSession"]

logger = logging.getLogger(__name__)

_REFUSED_AT_LOGIN = frozenset({401, 403})
# Looker answers 404 with its JSON error body to unknown credentials; any other 404 at /login
# (an HTML page, no body) means base_url does not point at a Looker API.
_NOT_FOUND = 404

# send(method, url, data=form) -> the answer; unauthorized, an urgent permit (the client's _send)
SendUnauthorized = Callable[..., Awaitable[httpx.Response]]
# read_json(method, url, response) -> the parsed answer, raising as the client does for errors
ReadJson = Callable[[str, str, httpx.Response], Any]


class TokenSession:
    """Holds the access token and logs in when it is missing, stale or rejected.

    Args:
        settings: base URL and the API credentials (the secret is read only to post it).
        send: sends one request without a token (login, /versions).
        read_json: checks a login answer's status and parses it, as for any request.
        metrics: counts failed attempts as ``errors``.
        clock: monotonic seconds, injectable for tests.
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        send: SendUnauthorized,
        read_json: ReadJson,
        metrics: Metrics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._base_url = settings.base_url
        self._send = send
        self._read_json = read_json
        self._metrics = metrics
        self._clock = clock
        self._lock = anyio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def __repr__(self) -> str:
        state = "logged in" if self._token is not None else "logged out"
        return f"<TokenSession {self._base_url} {state}>"

    def is_current(self, token: str | None) -> bool:
        """Whether *token* is still the session's token and not yet due for renewal."""
        return token == self._token and self._clock() < self._refresh_at

    async def current(self) -> str | None:
        """The token to send now; logs in first when there is none or it is due."""
        token = self._token
        if token is None or self._clock() >= self._refresh_at:
            await self.refresh(stale=token)
        return self._token

    async def refresh(self, *, stale: str | None) -> None:
        """Log in again unless another task already replaced the *stale* token."""
        async with self._lock:
            fresh = self._token is not None and self._clock() < self._refresh_at
            if fresh and self._token != stale:
                return
            await self._login()

    async def logout(self, http: PooledClients | None, *, may_send: bool) -> None:
        """End the session (best effort); without *may_send* the token is left to expire."""
        token, self._token = self._token, None
        if token is None or http is None or not may_send:
            return
        try:
            with anyio.fail_after(LOGOUT_TIMEOUT_S):
                response = await http.request(
                    "DELETE", API_PATH + "/logout", headers={"Authorization": f"Bearer {token}"}
                )
        except Exception as exc:  # best effort: the token expires on its own anyway
            logger.info("logout from %s failed: %s", self._base_url, type(exc).__name__)
            return
        if response.is_success:
            logger.info("logged out of %s", self._base_url)
        else:
            logger.info("logout from %s answered %d", self._base_url, response.status_code)

    async def _login(self) -> None:
        url = API_PATH + "/login"
        try:
            answer = await call_with_retries(LOGIN, lambda: self._post_login(url))
        except httpx.HTTPError as exc:
            raise connect_error(self._base_url, exc) from exc
        except RetryableError as exc:
            raise ApiError("POST", self._base_url + url, exc.status, exc.message) from exc
        self._store_token(answer)

    async def _post_login(self, url: str) -> Any:
        form = {
            "client_id": self._settings.client_id,
            "client_secret": self._settings.client_secret.get_secret_value(),
        }
        response = await self._send("POST", url, data=form)
        if response.status_code == _NOT_FOUND and not await self._is_looker_api(response):
            self._metrics.add("errors")
            raise no_api_error(self._base_url, self._base_url + url, response)
        if response.status_code in _REFUSED_AT_LOGIN or response.status_code == _NOT_FOUND:
            self._metrics.add("errors")
            raise AuthError(
                f"Looker refused the API credentials for {self._base_url} "
                f"(client_id {self._settings.client_id})"
            )
        return self._read_json("POST", url, response)

    async def _is_looker_api(self, login_answer: httpx.Response) -> bool:
        """Whether a 404 at /login came from a Looker API (unknown credentials) or from elsewhere.

        Looker answers unknown credentials with its JSON error body; so might another server
        under a wrong path. Looker serves GET /versions without a token: a Looker API there
        answers it with its release.
        """
        if not is_looker_error(login_answer):
            return False
        probe = await self._send("GET", API_PATH + "/versions")
        try:
            answer = jsonio.loads(probe.content) if probe.is_success else None
        except ValueError:
            answer = None
        return isinstance(answer, dict) and "looker_release_version" in answer

    def _store_token(self, answer: Any) -> None:
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError(f"Looker's login answer from {self._base_url} has no access_token")
        lifetime = answer.get("expires_in")
        if not isinstance(lifetime, int | float) or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME_S
        # Short-lived tokens would otherwise be refreshed before every request.
        margin = min(TOKEN_REFRESH_MARGIN_S, lifetime / 2)
        self._token = token
        self._refresh_at = self._clock() + lifetime - margin
        logger.info("logged in to %s (token valid for %d s)", self._base_url, lifetime)
