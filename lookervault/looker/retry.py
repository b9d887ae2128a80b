"""Which failed requests may be sent again: a retry policy per HTTP verb, and the one retry loop.

A request is retried only when sending it twice cannot do harm. GET, PUT, PATCH and DELETE are
idempotent (Looker's PATCH sets fields to the given values, so a repeat converges): they are
retried after 429, 500/502/503/504, a 2xx body that is not JSON, and any transport error but a
failed certificate check. POST may create something each time it arrives, so it is retried only
when Looker cannot have acted: a 429 (refused before any work) or a transport error raised before
the request left (connect failure, connect or pool timeout). Any other failure of a POST raises at
once, saying the request may have been applied. A caller marks a POST that is safe to repeat
(searches, login) by passing IDEMPOTENT; login keeps its own, shorter attempt count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import httpx
import stamina

from lookervault.config import (
    LOGIN_RETRY_ATTEMPTS,
    RETRY_AFTER_MAX_S,
    RETRY_ATTEMPTS,
    RETRY_TIMEOUT_S,
    RETRY_WAIT_INITIAL_S,
    RETRY_WAIT_MAX_S,
)

__all__ = [
    "IDEMPOTENT",
    "LOGIN",
    "NON_IDEMPOTENT",
    "POLICIES",
    "RETRY_STATUSES",
    "UNSENT_ERRORS",
    "RetryPolicy",
    "RetryableError",
    "call_with_retries",
    "is_certificate_error",
    "parse_retry_after",
    "policy_for",
]

_T = TypeVar("_T")

_SPENT_S = 1e-9  # a time budget already used up (stamina warns about a timeout of 0)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Raised before a byte of the request left: the server cannot have acted on it.
UNSENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


class RetryableError(Exception):
    """An answer a retry may fix (429, 5xx, or a 2xx whose body is not JSON)."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.retry_after = retry_after


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Which failures of a request are sent again, and how many attempts it gets in all.

    Attributes:
        name: shown in logs and reprs.
        statuses: answer statuses retried (a RetryableError with one of them).
        exceptions: transport errors retried (certificate failures never are).
        attempts: attempts in all, the first included.
        retry_unparsable: whether a 2xx answer whose body is not JSON is retried.
        repeatable: whether sending the request twice is harmless; when not, a failure after
            the request may have reached Looker is reported as possibly applied.
    """

    name: str
    statuses: frozenset[int]
    exceptions: tuple[type[httpx.TransportError], ...]
    attempts: int
    retry_unparsable: bool
    repeatable: bool

    def retry_delay(self, exc: Exception) -> bool | float:
        """stamina's predicate: retry or not, or the seconds Looker asked us to wait."""
        if isinstance(exc, RetryableError):
            if exc.status in self.statuses:
                return exc.retry_after if exc.retry_after is not None else True
            return self.retry_unparsable and 200 <= exc.status < 300
        if isinstance(exc, self.exceptions):
            return not is_certificate_error(exc)
        return False

    def may_have_applied(self, exc: Exception) -> bool:
        """Whether *exc* may hide a request Looker carried out, which must not be repeated blindly."""
        if self.repeatable:
            return False
        if isinstance(exc, RetryableError):
            return exc.status not in self.statuses
        return isinstance(exc, httpx.HTTPError) and not isinstance(exc, self.exceptions)


IDEMPOTENT = RetryPolicy(
    name="idempotent",
    statuses=RETRY_STATUSES,
    exceptions=(httpx.TransportError,),
    attempts=RETRY_ATTEMPTS,
    retry_unparsable=True,
    repeatable=True,
)
NON_IDEMPOTENT = RetryPolicy(
    name="non-idempotent",
    statuses=frozenset({429}),
    exceptions=UNSENT_ERRORS,
    attempts=RETRY_ATTEMPTS,
    retry_unparsable=False,
    repeatable=False,
)
LOGIN = dataclasses.replace(IDEMPOTENT, name="login", attempts=LOGIN_RETRY_ATTEMPTS)

POLICIES: Mapping[str, RetryPolicy] = {
    "GET": IDEMPOTENT,
    "PUT": IDEMPOTENT,
    "PATCH": IDEMPOTENT,
    "DELETE": IDEMPOTENT,
    "POST": NON_IDEMPOTENT,
}


def policy_for(method: str) -> RetryPolicy:
    """The default policy of an HTTP verb; ValueError for a verb the client does not send."""
    try:
        return POLICIES[method]
    except KeyError:
        raise ValueError(
            f"unsupported HTTP method {method!r}: use one of {sorted(POLICIES)}"
        ) from None


async def call_with_retries(
    policy: RetryPolicy,
    send: Callable[[], Awaitable[_T]],
    on_retry: Callable[[], None] | None = None,
) -> _T:
    """Await ``send()`` until it succeeds or *policy* gives up; the last failure propagates.

    *on_retry* runs before every attempt but the first (e.g. to count retries). The first
    attempt runs bare: stamina's retry state (a tenacity loop, its stop and wait objects) cost
    about a twentieth of the client's CPU when built for every request, and almost every
    request succeeds at once. A retryable first failure is handed to stamina as its attempt 1,
    so the attempts, waits and time budget are exactly those of a loop begun before it.
    """
    started = time.monotonic()
    try:
        return await send()
    except Exception as exc:
        if policy.retry_delay(exc) is False:  # a number, even 0, is a wait: retried
            raise
        first_failure: Exception | None = exc
    # The budget counts from the first attempt; spent, stamina stops after its attempt 1.
    remaining = max(RETRY_TIMEOUT_S - (time.monotonic() - started), _SPENT_S)
    async for attempt in stamina.retry_context(
        on=policy.retry_delay,
        attempts=policy.attempts,
        timeout=remaining,
        wait_initial=RETRY_WAIT_INITIAL_S,
        wait_max=RETRY_WAIT_MAX_S,
    ):
        with attempt:
            if first_failure is not None:
                failure, first_failure = first_failure, None
                raise failure  # attempt 1, already made: stamina decides and waits as before
            if on_retry is not None:
                on_retry()
            return await send()
    raise AssertionError("unreachable: stamina either returns or raises")


def parse_retry_after(value: str | None) -> float | None:
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


def is_certificate_error(exc: BaseException) -> bool:
    """Whether *exc*, or anything in its chain of causes, is a failed TLS certificate check."""
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
