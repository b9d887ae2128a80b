"""Tests of the retry policies: which verb retries which failure, and Retry-After parsing."""

from __future__ import annotations

import dataclasses
import email.utils
import ssl
import time

import anyio
import httpx
import pytest
import stamina

from lookervault.config import LOGIN_RETRY_ATTEMPTS, RETRY_AFTER_MAX_S, RETRY_ATTEMPTS
from lookervault.looker import retry as retry_module
from lookervault.looker.retry import (
    IDEMPOTENT,
    LOGIN,
    NON_IDEMPOTENT,
    POLICIES,
    RETRY_STATUSES,
    RetryableError,
    RetryPolicy,
    call_with_retries,
    is_certificate_error,
    parse_retry_after,
    policy_for,
)

VERBS = {"GET", "POST", "PATCH", "PUT", "DELETE"}
SENT_FAILURES = [
    httpx.ReadTimeout("slow"),
    httpx.ReadError("reset"),
    httpx.RemoteProtocolError("peer closed connection"),
    httpx.WriteError("broken pipe"),
]
UNSENT_FAILURES = [
    httpx.ConnectError("refused"),
    httpx.ConnectTimeout("slow"),
    httpx.PoolTimeout("busy"),
]
CERT_FAILURE = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")


def test_policy_table_covers_every_verb() -> None:
    """Every verb the client sends has a policy, and only those verbs do."""
    assert set(POLICIES) == VERBS
    assert all(isinstance(p, RetryPolicy) for p in POLICIES.values())
    assert {v for v, p in POLICIES.items() if not p.repeatable} == {"POST"}


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_policy_for_each_verb(verb: str) -> None:
    """policy_for agrees with the table."""
    assert policy_for(verb) is POLICIES[verb]


def test_policy_for_unknown_verb() -> None:
    """An unknown verb is a ValueError naming it."""
    with pytest.raises(ValueError, match="'HEAD'"):
        policy_for("HEAD")


def test_policies_are_frozen_data() -> None:
    """Policies cannot be changed in place, and their attempts come from config."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        IDEMPOTENT.attempts = 1  # type: ignore[misc]
    assert IDEMPOTENT.attempts == NON_IDEMPOTENT.attempts == RETRY_ATTEMPTS
    assert LOGIN.attempts == LOGIN_RETRY_ATTEMPTS
    assert LOGIN.retry_delay(RetryableError(503, "x")) is True


@pytest.mark.parametrize("status", sorted(RETRY_STATUSES))
def test_idempotent_retries_statuses(status: int) -> None:
    """IDEMPOTENT retries 429 and 500/502/503/504."""
    assert IDEMPOTENT.retry_delay(RetryableError(status, "x")) is True
    assert not IDEMPOTENT.may_have_applied(RetryableError(status, "x"))


@pytest.mark.parametrize("failure", SENT_FAILURES + UNSENT_FAILURES)
def test_idempotent_retries_transport_errors(failure: httpx.TransportError) -> None:
    """IDEMPOTENT retries every transport error."""
    assert IDEMPOTENT.retry_delay(failure) is True


def test_idempotent_retries_unparsable_answer() -> None:
    """IDEMPOTENT retries a 200 whose body is not JSON."""
    assert IDEMPOTENT.retry_delay(RetryableError(200, "not JSON")) is True


@pytest.mark.parametrize("policy", [IDEMPOTENT, NON_IDEMPOTENT, LOGIN])
def test_certificate_errors_never_retried(policy: RetryPolicy) -> None:
    """A failed certificate check is never retried, and was never applied."""
    assert policy.retry_delay(CERT_FAILURE) is False
    assert not policy.may_have_applied(CERT_FAILURE)


@pytest.mark.parametrize("policy", [IDEMPOTENT, NON_IDEMPOTENT])
def test_retry_after_honoured(policy: RetryPolicy) -> None:
    """A 429 with Retry-After waits as long as Looker asked."""
    assert policy.retry_delay(RetryableError(429, "x", retry_after=2.5)) == 2.5


@pytest.mark.parametrize("status", [500, 502, 503, 504, 200])
def test_non_idempotent_answers_not_retried(status: int) -> None:
    """NON_IDEMPOTENT never retries a 5xx or an unparsable answer, and says it may have applied."""
    failure = RetryableError(status, "x")
    assert NON_IDEMPOTENT.retry_delay(failure) is False
    assert NON_IDEMPOTENT.may_have_applied(failure)


def test_non_idempotent_429_retried() -> None:
    """NON_IDEMPOTENT retries a 429: Looker refused the request before doing anything."""
    assert NON_IDEMPOTENT.retry_delay(RetryableError(429, "x")) is True
    assert not NON_IDEMPOTENT.may_have_applied(RetryableError(429, "x"))


@pytest.mark.parametrize("failure", UNSENT_FAILURES)
def test_non_idempotent_unsent_retried(failure: httpx.TransportError) -> None:
    """NON_IDEMPOTENT retries failures raised before the request left."""
    assert NON_IDEMPOTENT.retry_delay(failure) is True
    assert not NON_IDEMPOTENT.may_have_applied(failure)


@pytest.mark.parametrize("failure", SENT_FAILURES)
def test_non_idempotent_sent_not_retried(failure: httpx.TransportError) -> None:
    """NON_IDEMPOTENT never retries a failure after the request may have reached Looker."""
    assert NON_IDEMPOTENT.retry_delay(failure) is False
    assert NON_IDEMPOTENT.may_have_applied(failure)


def test_other_exceptions_never_retried() -> None:
    """Exceptions that are neither answers nor transport errors propagate untouched."""
    for policy in (IDEMPOTENT, NON_IDEMPOTENT, LOGIN):
        assert policy.retry_delay(KeyError("x")) is False


@pytest.mark.anyio
async def test_call_with_retries_counts_retries() -> None:
    """The one retry loop calls on_retry before every attempt but the first."""
    outcomes: list[Exception | None] = [httpx.ConnectError("a"), RetryableError(429, "b"), None]
    retries = 0

    async def send() -> str:
        failure = outcomes.pop(0)
        if failure is not None:
            raise failure
        return "done"

    def count() -> None:
        nonlocal retries
        retries += 1

    assert await call_with_retries(NON_IDEMPOTENT, send, count) == "done"
    assert retries == 2


@pytest.mark.anyio
async def test_call_with_retries_stops_at_first_unretried_failure() -> None:
    """A failure the policy does not retry propagates after one attempt."""
    calls = 0

    async def send() -> None:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("slow")

    with pytest.raises(httpx.ReadTimeout):
        await call_with_retries(NON_IDEMPOTENT, send)
    assert calls == 1


@pytest.mark.anyio
async def test_a_first_attempt_that_succeeds_builds_no_retry_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only a retryable failure starts stamina's loop; a success or a final failure never does."""

    def no_loop(**_: object) -> None:
        raise AssertionError("stamina's retry loop was built")

    monkeypatch.setattr(retry_module.stamina, "retry_context", no_loop)

    async def succeed() -> str:
        return "done"

    async def refused() -> None:
        raise RetryableError(404, "not here")

    assert await call_with_retries(IDEMPOTENT, succeed) == "done"
    with pytest.raises(RetryableError):
        await call_with_retries(IDEMPOTENT, refused)


@pytest.mark.parametrize("policy", [IDEMPOTENT, NON_IDEMPOTENT, LOGIN])
@pytest.mark.anyio
async def test_attempts_in_all_count_the_first(policy: RetryPolicy) -> None:
    """A request that keeps failing is sent `attempts` times in all, the first included."""
    stamina.set_testing(True, attempts=policy.attempts, cap=True)
    calls = retries = 0

    async def send() -> None:
        nonlocal calls
        calls += 1
        raise RetryableError(429, "slow down")

    def count() -> None:
        nonlocal retries
        retries += 1

    with pytest.raises(RetryableError):
        await call_with_retries(policy, send, count)
    assert (calls, retries) == (policy.attempts, policy.attempts - 1)


@pytest.mark.anyio
async def test_the_first_retry_waits_as_looker_asked() -> None:
    """The wait before attempt 2 is still stamina's: Looker's Retry-After here."""
    stamina.set_testing(False)
    sent: list[float] = []

    async def send() -> str:
        sent.append(time.monotonic())
        if len(sent) == 1:
            raise RetryableError(503, "busy", retry_after=0.05)
        return "done"

    assert await call_with_retries(IDEMPOTENT, send) == "done"
    assert sent[1] - sent[0] >= 0.05


@pytest.mark.anyio
async def test_a_retry_after_of_zero_is_retried_at_once() -> None:
    """Retry-After: 0 is a wait of no time, not a refusal to retry."""
    outcomes: list[Exception | None] = [RetryableError(429, "slow down", retry_after=0.0), None]

    async def send() -> str:
        failure = outcomes.pop(0)
        if failure is not None:
            raise failure
        return "done"

    assert await call_with_retries(IDEMPOTENT, send) == "done"


@pytest.mark.anyio
async def test_no_retry_once_the_time_budget_is_spent(monkeypatch: pytest.MonkeyPatch) -> None:
    """A first attempt that used up the retry time budget is not sent again."""
    stamina.set_testing(False)  # stamina's test mode ignores time budgets
    monkeypatch.setattr(retry_module, "RETRY_TIMEOUT_S", 0.01)
    calls = 0

    async def send() -> None:
        nonlocal calls
        calls += 1
        await anyio.sleep(0.02)
        raise RetryableError(503, "busy")

    with pytest.raises(RetryableError):
        await call_with_retries(IDEMPOTENT, send)
    assert calls == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("3", 3.0), ("0.5", 0.5), ("-4", 0.0), ("nan", None)],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    """Delta-seconds are read, negative ones clamped to zero, junk ignored."""
    assert parse_retry_after(value) == expected


def test_parse_retry_after_is_capped() -> None:
    """A Retry-After longer than the cap is cut to the cap."""
    assert parse_retry_after("86400") == RETRY_AFTER_MAX_S


def test_parse_retry_after_http_date() -> None:
    """An HTTP date becomes the seconds until then; a garbled one is ignored."""
    seconds = parse_retry_after(email.utils.formatdate(time.time() + 30, usegmt=True))
    assert seconds is not None
    assert 25 <= seconds <= 30
    assert parse_retry_after("Someday, 99 Foo") is None


def test_certificate_error_found_in_the_chain() -> None:
    """A certificate failure is found as the cause of a wrapping error, or by its text."""
    wrapped = httpx.ConnectError("handshake failed")
    wrapped.__cause__ = ssl.SSLCertVerificationError("bad cert")
    assert is_certificate_error(wrapped)
    assert is_certificate_error(CERT_FAILURE)
    assert not is_certificate_error(httpx.ConnectError("refused"))
