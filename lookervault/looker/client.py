"""The Looker API 4.0 HTTP client: login and token refresh, retries, rate limiting, JSON."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, NoReturn, TypeVar

import anyio
import httpx
import stamina

from lookervault import __version__, jsonio
from lookervault.config import (
    API_PATH,
    CONNECTIONS_PER_POOL,
    DEFAULT_CONCURRENCY,
    DEFAULT_TOKEN_LIFETIME_S,
    KEEPALIVE_EXPIRY_S,
    LOGIN_RETRY_ATTEMPTS,
    LOGOUT_TIMEOUT_S,
    RETRY_AFTER_MAX_S,
    RETRY_ATTEMPTS,
    RETRY_TIMEOUT_S,
    RETRY_WAIT_INITIAL_S,
    RETRY_WAIT_MAX_S,
    TOKEN_REFRESH_MARGIN_S,
)
from lookervault.errors import ApiError, AuthError, ConnectError, NotFoundError
from lookervault.looker.pools import PooledClients
from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.metrics import Metrics
from lookervault.settings import ConnectionSettings

__all__ = ["RETRY_STATUSES", "LookerClient"]

_T = TypeVar("_T")
_SENT_AT = "lookervault.sent_at"  # response extension: limiter clock time the request left
logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_REFUSED_AT_LOGIN = frozenset({401, 403, 404})  # Looker answers 404 to unknown credentials
_MS = 1000.0


class _RetryableError(Exception):
    """A response a retry may fix (429, 5xx, or a 200 whose body is not JSON)."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.retry_after = retry_after


class LookerClient:
    """An authenticated async session with one Looker instance.

    Use it as ``async with LookerClient(settings) as client: await client.get_json(...)``.
    Many tasks may share one client: at most ``concurrency`` requests are in flight, every
    attempt passes the shared :class:`AdaptiveLimiter`, and one login refreshes the token
    for all of them.

    Metrics counted: requests, bytes (response bodies), retries, rate_limited, and errors
    (every failed attempt, including those a retry later fixed).
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        limiter: AdaptiveLimiter | None = None,
        metrics: Metrics | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        self.settings = settings
        self.base_url = settings.base_url
        self.api_url = settings.api_url
        self.metrics = metrics if metrics is not None else Metrics()
        self.limiter = limiter if limiter is not None else AdaptiveLimiter()
        self._concurrency = concurrency
        self._transport = transport
        self._clock = clock
        self._http: PooledClients | None = None
        self._slots = anyio.Semaphore(concurrency)
        self._auth_lock = anyio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def __repr__(self) -> str:
        return f"<LookerClient {self.api_url} concurrency={self._concurrency}>"

    async def __aenter__(self) -> LookerClient:
        self._http = self._open_http()
        try:
            await self._refresh(stale=None)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Shielded: logout and close must happen even when the caller was cancelled.
        with anyio.CancelScope(shield=True):
            await self._logout()
            await self._close()

    async def get_json(
        self, path: str, params: Mapping[str, str | int | bool] | None = None
    ) -> Any:
        """GET *path* (relative to /api/4.0, e.g. ``/dashboards/search``) and parse its JSON.

        Raises:
            NotFoundError: Looker answered 404.
            AuthError: Looker rejected the token even after a fresh login.
            ApiError: any other error status, or retries ran out.
        """
        return await self._request_json("GET", _api_path(path), params)

    async def get_decoded(
        self,
        path: str,
        params: Mapping[str, str | int | bool] | None = None,
        *,
        decode: Callable[[bytes], _T],
    ) -> _T:
        """GET *path* and turn the body into a value with *decode* (e.g. split it into items).

        A ValueError from *decode* means a broken body (truncated, an HTML page served with
        status 200) and is retried like a 5xx; other exceptions from it propagate untouched.
        """
        return await self._request_json("GET", _api_path(path), params, decode)

    async def versions(self) -> dict[str, Any]:
        """Return Looker's ``GET /versions`` answer (looker_release_version, ...)."""
        answer = await self.get_json("/versions")
        if not isinstance(answer, dict):
            raise ApiError("GET", self._url("/versions"), 200, "answer is not a JSON object")
        return answer

    # --- requests ------------------------------------------------------------------------

    async def _request_json(
        self,
        method: str,
        url: str,
        params: _Params | None,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Any:
        try:
            async for attempt in stamina.retry_context(
                on=_retry_delay,
                attempts=RETRY_ATTEMPTS,
                timeout=RETRY_TIMEOUT_S,
                wait_initial=RETRY_WAIT_INITIAL_S,
                wait_max=RETRY_WAIT_MAX_S,
            ):
                with attempt:
                    if attempt.num > 1:
                        self.metrics.add("retries")
                    response = await self._send_authorized(method, url, params)
                    return self._read_json(method, url, response, decode)
        except _RetryableError as exc:
            raise ApiError(method, self._url(url), exc.status, exc.message) from exc
        except httpx.HTTPError as exc:
            raise ApiError(method, self._url(url), None, _describe_transport(exc)) from exc
        raise AssertionError("unreachable: stamina either returns or raises")

    async def _send_authorized(
        self, method: str, url: str, params: _Params | None
    ) -> httpx.Response:
        response, token = await self._send(method, url, params=params, authorized=True)
        if response.status_code != httpx.codes.UNAUTHORIZED:
            return response
        logger.info("Looker answered 401 to %s %s: logging in again", method, url)
        await self._refresh(stale=token)
        response, _ = await self._send(method, url, params=params, authorized=True)
        if response.status_code == httpx.codes.UNAUTHORIZED:
            self.metrics.add("errors")
            raise AuthError(
                f"Looker rejected the access token for {method} {self._url(url)} "
                f"even after logging in again (client_id {self.settings.client_id})"
            )
        return response

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: _Params | None = None,
        data: Mapping[str, str] | None = None,
        authorized: bool = False,
    ) -> tuple[httpx.Response, str | None]:
        """One HTTP exchange: a concurrency slot, a rate permit, a current token, the request.

        The token is read only once the slot and the permit are held, so a wait for either
        never sends a token that expired meanwhile. Login runs outside the slots: requests
        holding every slot may be waiting for it.
        """
        http = self._require_http()
        async with self._slots if authorized else contextlib.nullcontext():
            await self.limiter.acquire()
            sent_at = self.limiter.now()
            token = await self._current_token() if authorized else None
            headers = {"Authorization": f"Bearer {token}"} if token else None
            self.metrics.add("requests")
            started = time.perf_counter()
            try:
                response = await http.request(
                    method, url, params=params, headers=headers, data=data
                )
            except httpx.HTTPError as exc:
                self.metrics.add("errors")
                logger.debug("%s %s -> %s", method, url, type(exc).__name__)
                raise
        response.extensions[_SENT_AT] = sent_at
        self.metrics.add("bytes", len(response.content))
        elapsed_ms = (time.perf_counter() - started) * _MS
        self.metrics.add("request_ms", round(elapsed_ms))  # time in flight: slot utilization
        logger.debug("%s %s -> %d (%.0f ms)", method, url, response.status_code, elapsed_ms)
        return response, token

    def _read_json(
        self,
        method: str,
        url: str,
        response: httpx.Response,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Any:
        status = response.status_code
        if status in RETRY_STATUSES:
            self._on_retryable_status(response)
        if not response.is_success:
            self.metrics.add("errors")
            self._raise_for_status(method, url, response)
        try:
            answer = (decode or _parse_json)(response.content)
        except ValueError:
            self.metrics.add("errors")
            raise _RetryableError(status, "the answer is not valid JSON") from None
        self.limiter.on_success()
        return answer

    def _on_retryable_status(self, response: httpx.Response) -> NoReturn:
        status = response.status_code
        retry_after = _parse_retry_after(response.headers.get("Retry-After"))
        self.metrics.add("errors")
        if status == httpx.codes.TOO_MANY_REQUESTS:
            self.metrics.add("rate_limited")
            self.limiter.on_rate_limited(retry_after, sent_at=response.extensions.get(_SENT_AT))
        raise _RetryableError(status, _looker_message(response), retry_after)

    def _raise_for_status(self, method: str, url: str, response: httpx.Response) -> NoReturn:
        status = response.status_code
        if response.is_redirect:
            # Never followed: the Authorization header must not travel to another host.
            where = response.headers.get("Location", "?")
            raise ApiError(method, self._url(url), status, f"redirect to {where} not followed")
        error = NotFoundError if status == httpx.codes.NOT_FOUND else ApiError
        raise error(method, self._url(url), status, _looker_message(response))

    # --- authentication ------------------------------------------------------------------

    async def _current_token(self) -> str | None:
        token = self._token
        if token is None or self._clock() >= self._refresh_at:
            await self._refresh(stale=token)
        return self._token

    async def _refresh(self, *, stale: str | None) -> None:
        """Log in again unless another task already replaced the *stale* token."""
        async with self._auth_lock:
            fresh = self._token is not None and self._clock() < self._refresh_at
            if fresh and self._token != stale:
                return
            await self._login()

    async def _login(self) -> None:
        url = API_PATH + "/login"
        try:
            async for attempt in stamina.retry_context(
                on=_retry_delay,
                attempts=LOGIN_RETRY_ATTEMPTS,
                timeout=RETRY_TIMEOUT_S,
                wait_initial=RETRY_WAIT_INITIAL_S,
                wait_max=RETRY_WAIT_MAX_S,
            ):
                with attempt:
                    answer = await self._post_login(url)
        except httpx.HTTPError as exc:
            raise _connect_error(self.base_url, exc) from exc
        except _RetryableError as exc:
            raise ApiError("POST", self._url(url), exc.status, exc.message) from exc
        self._store_token(answer)

    async def _post_login(self, url: str) -> Any:
        form = {
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret.get_secret_value(),
        }
        response, _ = await self._send("POST", url, data=form)
        if response.status_code in _REFUSED_AT_LOGIN:
            self.metrics.add("errors")
            raise AuthError(
                f"Looker refused the API credentials for {self.base_url} "
                f"(client_id {self.settings.client_id})"
            )
        return self._read_json("POST", url, response)

    def _store_token(self, answer: Any) -> None:
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError(f"Looker's login answer from {self.base_url} has no access_token")
        lifetime = answer.get("expires_in")
        if not isinstance(lifetime, int | float) or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME_S
        # Short-lived tokens would otherwise be refreshed before every request.
        margin = min(TOKEN_REFRESH_MARGIN_S, lifetime / 2)
        self._token = token
        self._refresh_at = self._clock() + lifetime - margin
        logger.info("logged in to %s (token valid for %d s)", self.base_url, lifetime)

    async def _logout(self) -> None:
        token, self._token = self._token, None
        if token is None or self._http is None:
            return
        try:
            with anyio.fail_after(LOGOUT_TIMEOUT_S):
                response = await self._http.request(
                    "DELETE", API_PATH + "/logout", headers={"Authorization": f"Bearer {token}"}
                )
        except Exception as exc:  # best effort: the token expires on its own anyway
            logger.info("logout from %s failed: %s", self.base_url, type(exc).__name__)
            return
        if response.is_success:
            logger.info("logged out of %s", self.base_url)
        else:
            logger.info("logout from %s answered %d", self.base_url, response.status_code)

    # --- plumbing ------------------------------------------------------------------------

    def _open_http(self) -> PooledClients:
        # One TLS context for every pool: each costs a read of the CA bundle and a few MB.
        tls = httpx.create_ssl_context(verify=self.settings.verify_ssl)

        def make(connections: int) -> httpx.AsyncClient:
            limits = httpx.Limits(
                max_connections=connections,
                max_keepalive_connections=connections,
                keepalive_expiry=KEEPALIVE_EXPIRY_S,
            )
            return httpx.AsyncClient(
                base_url=self.base_url,
                headers={"Accept": "application/json", "User-Agent": f"lookervault/{__version__}"},
                timeout=httpx.Timeout(self.settings.timeout),
                limits=limits,
                verify=tls,
                follow_redirects=False,
                http2=False,
                transport=self._transport,
            )

        # An injected transport (tests) has no pool to spread over.
        per_pool = self._concurrency if self._transport is not None else CONNECTIONS_PER_POOL
        return PooledClients(make, self._concurrency, per_pool)

    def _require_http(self) -> PooledClients:
        if self._http is None:
            raise RuntimeError("use LookerClient inside 'async with'")
        return self._http

    async def _close(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    def _url(self, path: str) -> str:
        return self.base_url + path


_Params = Mapping[str, str | int | bool]


def _api_path(path: str) -> str:
    # Only relative paths: an absolute URL would carry our token to whatever host it names.
    if "://" in path or path.startswith("//"):
        raise ValueError(f"path must be relative to {API_PATH}, not {path!r}")
    return API_PATH + "/" + path.lstrip("/")


def _retry_delay(exc: Exception) -> bool | float:
    """stamina's predicate: retry transient failures, waiting Retry-After when Looker sent it."""
    if isinstance(exc, _RetryableError):
        return exc.retry_after if exc.retry_after is not None else True
    if isinstance(exc, httpx.TransportError):
        return not _is_certificate_error(exc)
    return False


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_MAX_S)


def _parse_json(body: bytes) -> Any:
    return jsonio.loads(body) if body.strip() else None


def _looker_message(response: httpx.Response) -> str:
    """Looker's ``message`` from an error body, else the HTTP reason phrase."""
    try:
        body = _parse_json(response.content)
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(message, str) and message:
        return message
    return response.reason_phrase or "error"


def _is_certificate_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _describe_transport(exc: httpx.HTTPError) -> str:
    reason = str(exc)
    return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__


def _connect_error(base_url: str, exc: httpx.HTTPError) -> ConnectError:
    if _is_certificate_error(exc):
        return ConnectError(
            f"cannot connect to {base_url}: its TLS certificate failed verification; if you "
            "trust this host, turn verification off with LOOKERSDK_VERIFY_SSL=false "
            "(or verify_ssl=false in looker.ini)"
        )
    return ConnectError(f"cannot connect to {base_url}: {_describe_transport(exc)}")
