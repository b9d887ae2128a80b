"""Tests for lookervault.looker.session: when the token counts as current, and what shows of it."""

from __future__ import annotations

import httpx
import pytest

from lookervault.looker.session import TokenSession
from lookervault.metrics import Metrics
from tests.looker.fake_looker import SECRET, TOKEN_LIFETIME_S, FakeClock, settings


def _session(clock: FakeClock, answers: list[httpx.Response]) -> TokenSession:
    async def send(method: str, url: str, *, data: object = None) -> httpx.Response:
        return answers.pop(0)

    def read_json(method: str, url: str, response: httpx.Response) -> object:
        return response.json()

    return TokenSession(settings(), send=send, read_json=read_json, metrics=Metrics(), clock=clock)


def _login_answer(token: str) -> httpx.Response:
    return httpx.Response(200, json={"access_token": token, "expires_in": TOKEN_LIFETIME_S})


@pytest.mark.anyio
async def test_a_token_is_current_until_its_renewal_is_due() -> None:
    """The token stays current until the refresh margin before it expires, then is renewed."""
    clock = FakeClock()
    session = _session(clock, [_login_answer("first-Ab3"), _login_answer("second-Cd4")])
    assert await session.current() == "first-Ab3"
    assert session.is_current("first-Ab3")
    assert not session.is_current("older-token")
    clock.now += TOKEN_LIFETIME_S
    assert not session.is_current("first-Ab3")
    assert await session.current() == "second-Cd4"


@pytest.mark.anyio
async def test_refresh_keeps_a_token_another_task_already_renewed() -> None:
    """A task that saw a stale token does not log in again when the token was replaced since."""
    clock = FakeClock()
    session = _session(clock, [_login_answer("first-Ab3"), _login_answer("second-Cd4")])
    await session.refresh(stale=None)
    await session.refresh(stale="from-before-Ef5")
    assert await session.current() == "first-Ab3"


@pytest.mark.anyio
async def test_repr_shows_neither_secret_nor_token() -> None:
    """Neither the client secret nor the access token appears in the session's repr."""
    session = _session(FakeClock(), [_login_answer("token-Gh6")])
    await session.current()
    assert SECRET not in repr(session)
    assert "token-Gh6" not in repr(session)
