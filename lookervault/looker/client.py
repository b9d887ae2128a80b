"""The Looker API 4.0 HTTP client: login and token refresh, retries, rate limiting, JSON."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, NoReturn, TypeVar

import anyio
import httpx

from lookervault import jsonio
from lookervault.config import API_PATH, DEFAULT_CONCURRENCY
from lookervault.errors import ApiError, AuthError
from lookervault.looker.deadline import timeout_kwargs
from lookervault.looker.listing import ListPage, error_class, total_count
from lookervault.looker.messages import describe_transport, looker_message
from lookervault.looker.payload import split_page
from lookervault.looker.pools import PooledClients, open_pooled_clients
from lookervault.looker.priority import PrioritySlots
from lookervault.looker.request_counter import RequestCounter
from lookervault.looker.retry import (
    IDEMPOTENT,
    RETRY_STATUSES,
    RetryableError,
    RetryPolicy,
    call_with_retries,
    parse_retry_after,
    policy_for,
)
from lookervault.looker.session import TokenSession
from lookervault.looker.throttle import AdaptiveLimiter
from lookervault.metrics import Metrics
from lookervault.settings import ConnectionSettings

__all__ = ["RETRY_STATUSES", "LookerClient"]

_T = TypeVar("_T")
_SENT_AT = "lookervault.sent_at"  # response extension: limiter clock time the request left
logger = logging.getLogger(__name__)
_JSON_HEADERS = {"Content-Type": "application/json"}
_MS = 1000.0
_MAY_HAVE_APPLIED = "; the request may have been applied: check before trying again"


class LookerClient:
    """An authenticated async session with one Looker instance.

    Use it as ``async with LookerClient(settings) as client: await client.get_json(...)``.
    It sends GET, POST, PATCH, PUT and DELETE (see :meth:`request_json`), each retried as
    its verb allows (:mod:`lookervault.looker.retry`). Many tasks may share one client: at
    most ``concurrency`` requests are in flight, every attempt passes the shared
    :class:`AdaptiveLimiter`, and one login refreshes the token for all of them.

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
        max_requests: int | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        self.settings = settings
        self.base_url = settings.base_url
        self.api_url = settings.api_url
        self.metrics = metrics if metrics is not None else Metrics()
        self.requests = RequestCounter(self.metrics, max_requests)  # per type; the budget
        self.limiter = limiter if limiter is not None else AdaptiveLimiter()
        self._concurrency = concurrency
        self._transport = transport
        self._http: PooledClients | None = None
        self._slots = PrioritySlots(concurrency)  # id listings and pages before leaves
        self._session = TokenSession(
            settings,
            send=self._send_unauthorized,
            read_json=self._read_json,
            metrics=self.metrics,
            clock=clock,
        )

    @property
    def concurrency(self) -> int:
        """Requests this client keeps in flight at most."""
        return self._concurrency

    def __repr__(self) -> str:
        return f"<LookerClient {self.api_url} concurrency={self._concurrency}>"

    async def __aenter__(self) -> LookerClient:
        self._http = open_pooled_clients(
            self.base_url,
            timeout=self.settings.timeout,
            verify_ssl=self.settings.verify_ssl,
            concurrency=self._concurrency,
            transport=self._transport,
        )
        try:
            await self._session.refresh(stale=None)
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

    async def logout(self) -> None:
        """End the session now (best effort); leaving the client then only closes it.

        A request after this logs in again.
        """
        await self._logout()

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        params: _Params | None = None,
        body: Any = None,
        retry: RetryPolicy | None = None,
    ) -> Any:
        """Send *method* to *path* (relative to /api/4.0) and parse the JSON answer.

        *body*, unless None, is sent as JSON: bytes exactly as given, anything else serialized
        with :func:`lookervault.jsonio.dumps`. An empty answer (e.g. 204) is None. *retry*
        defaults to the verb's policy (:data:`lookervault.looker.retry.POLICIES`); pass
        ``IDEMPOTENT`` to mark a POST as safe to repeat (e.g. a search).

        Raises:
            NotFoundError: Looker answered 404.
            AuthError: Looker rejected the token even after a fresh login.
            ApiError: any other error status, or retries ran out, or (POST) a failure after
                which the request may have been applied: its message says so.
            ValueError: an absolute URL, or a verb other than GET/POST/PATCH/PUT/DELETE.
        """
        method = method.upper()
        default = policy_for(method)  # also refuses a verb the client does not send
        policy = retry if retry is not None else default
        content = None if body is None else _json_bytes(body)
        return await self._request_json(method, _api_path(path), params, policy, content)

    async def get_json(
        self, path: str, params: Mapping[str, str | int | bool] | None = None
    ) -> Any:
        """GET *path* (relative to /api/4.0, e.g. ``/dashboards/search``) and parse its JSON.

        Raises:
            NotFoundError: Looker answered 404.
            AuthError: Looker rejected the token even after a fresh login.
            ApiError: any other error status, or retries ran out.
        """
        return await self.request_json("GET", path, params=params)

    async def post_json(
        self,
        path: str,
        body: Any = None,
        *,
        params: _Params | None = None,
        retry: RetryPolicy | None = None,
    ) -> Any:
        """POST *body* to *path*; retried only where it cannot be applied twice (see retry)."""
        return await self.request_json("POST", path, params=params, body=body, retry=retry)

    async def patch_json(self, path: str, body: Any, *, params: _Params | None = None) -> Any:
        """PATCH *path* with *body* (the fields to set) and return Looker's answer."""
        return await self.request_json("PATCH", path, params=params, body=body)

    async def put_json(self, path: str, body: Any, *, params: _Params | None = None) -> Any:
        """PUT *body* at *path* and return Looker's answer."""
        return await self.request_json("PUT", path, params=params, body=body)

    async def delete(self, path: str, *, params: _Params | None = None) -> Any:
        """DELETE *path*; Looker's answer, None when empty (204)."""
        return await self.request_json("DELETE", path, params=params)

    async def get_decoded(
        self,
        path: str,
        params: Mapping[str, str | int | bool] | None = None,
        *,
        decode: Callable[[bytes], _T],
        retry: RetryPolicy = IDEMPOTENT,
    ) -> _T:
        """GET *path* and turn the body into a value with *decode* (e.g. split it into items).

        A ValueError from *decode* means a broken body (truncated, an HTML page served with
        status 200) and is retried like a 5xx; other exceptions from it propagate untouched.
        """
        return await self._request_json("GET", _api_path(path), params, retry, None, decode)

    async def get_page(
        self, path: str, params: _Params | None = None, *, retry: RetryPolicy = IDEMPOTENT
    ) -> ListPage:
        """GET one page of a list: its items and Looker's X-Total-Count when it sent one."""
        url, decode = _api_path(path), split_page
        items, headers = await self._request_json("GET", url, params, retry, None, decode, True)
        return ListPage(items, total_count(headers))

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
        policy: RetryPolicy,
        content: bytes | None,
        decode: Callable[[bytes], Any] | None = None,
        with_headers: bool = False,
    ) -> Any:
        async def attempt() -> Any:
            response = await self._send_authorized(method, url, params, content)
            answer = self._read_json(method, url, response, decode)
            return (answer, response.headers) if with_headers else answer

        try:
            return await call_with_retries(policy, attempt, lambda: self.metrics.add("retries"))
        except (RetryableError, httpx.HTTPError) as exc:
            raise self._api_error(method, url, policy, exc) from exc

    def _api_error(
        self, method: str, url: str, policy: RetryPolicy, exc: RetryableError | httpx.HTTPError
    ) -> ApiError:
        if isinstance(exc, RetryableError):
            status, message = exc.status, exc.message
        else:
            status, message = None, describe_transport(exc)
        if policy.may_have_applied(exc):
            message += _MAY_HAVE_APPLIED
        return ApiError(method, self._url(url), status, message)

    async def _send_authorized(
        self, method: str, url: str, params: _Params | None, content: bytes | None
    ) -> httpx.Response:
        response, token = await self._send(
            method, url, params=params, content=content, authorized=True
        )
        if response.status_code != httpx.codes.UNAUTHORIZED:
            return response
        logger.info("Looker answered 401 to %s %s: logging in again", method, url)
        await self._session.refresh(stale=token)
        response, _ = await self._send(method, url, params=params, content=content, authorized=True)
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
        content: bytes | None = None,
        authorized: bool = False,
    ) -> tuple[httpx.Response, str | None]:
        """One HTTP exchange: a concurrency slot, a current token, a rate permit, the request.

        The token comes before the permit, so requests waiting for a login hold no permits and
        leave paced, not together. Login runs outside the slots and takes an urgent permit:
        requests holding every slot, or queued for permits, may be waiting for it.
        """
        http = self._require_http()
        async with self._slots if authorized else contextlib.nullcontext():
            token = await self._session.current() if authorized else None
            sent_at = await self.limiter.acquire(urgent=not authorized)
            if authorized and not self._session.is_current(token):
                token = await self._session.current()  # renewed or due while we queued
            headers = dict(_JSON_HEADERS) if content is not None else {}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            self.requests.count()
            started = time.perf_counter()
            try:
                response = await http.request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    data=data,
                    content=content,
                    **timeout_kwargs(),
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
            raise RetryableError(status, "the answer is not valid JSON") from None
        self.limiter.on_success(sent_at=response.extensions.get(_SENT_AT))
        return answer

    def _on_retryable_status(self, response: httpx.Response) -> NoReturn:
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        self.metrics.add("errors")
        if status == httpx.codes.TOO_MANY_REQUESTS:
            self.metrics.add("rate_limited")
            self.limiter.on_rate_limited(retry_after, sent_at=response.extensions.get(_SENT_AT))
        raise RetryableError(status, looker_message(response), retry_after)

    def _raise_for_status(self, method: str, url: str, response: httpx.Response) -> NoReturn:
        status = response.status_code
        if response.is_redirect:
            # Never followed: the Authorization header must not travel to another host.
            where = response.headers.get("Location", "?")
            raise ApiError(method, self._url(url), status, f"redirect to {where} not followed")
        raise error_class(status)(method, self._url(url), status, looker_message(response))

    async def _send_unauthorized(
        self, method: str, url: str, *, data: Mapping[str, str] | None = None
    ) -> httpx.Response:
        response, _ = await self._send(method, url, data=data)
        return response

    # --- plumbing ------------------------------------------------------------------------

    async def _logout(self) -> None:
        await self._session.logout(self._http, may_send=self.requests.may_send())

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


def _json_bytes(body: Any) -> bytes:
    return body if isinstance(body, bytes) else jsonio.dumps(body)


def _parse_json(body: bytes) -> Any:
    return jsonio.loads(body) if body.strip() else None
