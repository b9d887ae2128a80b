"""Child types: their requests in flight are bounded, the writers' pace is not theirs."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import anyio
import httpx
import pytest

from lookervault.backup.run import ExtractOptions, extract
from lookervault.config import CHILD_ANSWERS_HELD_PER_REQUEST
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.records import Batch
from lookervault.vault.store import Vault
from lookervault.vault.writer import VaultWriter
from tests.support import assert_vault_equals

_MOCK = MockOptions()
_SETTINGS = ConnectionSettings(
    base_url="http://mock", client_id=_MOCK.client_id, client_secret=_MOCK.client_secret
)
_WRITE_S = 0.05


class _Answers(httpx.AsyncBaseTransport):
    """The mock, noting when each answer on one child type's path was given."""

    def __init__(self, app: MockLooker, marker: str) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._marker = marker
        self.answered: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if self._marker in request.url.path:
            self.answered.append(time.monotonic())
        return response


@pytest.mark.anyio
async def test_explores_in_flight_do_not_wait_for_the_writers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One explore in flight and writers taking 50 ms a batch: the explores still go back to
    back (before, each waited until the stream had room for the one before: the writers' pace).
    """
    write = VaultWriter.write

    def slow(self: VaultWriter, batch: Batch) -> None:
        time.sleep(_WRITE_S)
        write(self, batch)

    monkeypatch.setattr(VaultWriter, "write", slow)
    mock = MockLooker(MockOptions(preset="tiny", counts={"lookml_models": 4, "explores": 6}))
    transport = _Answers(mock, "/explores/")
    options = ExtractOptions(
        content_types=("explores",), workers=1, concurrency=8, explores_in_flight=1
    )
    with anyio.fail_after(60), Vault(tmp_path / "v.db") as vault:
        result = await extract(_SETTINGS, vault, options, transport=transport)
    assert result.status == "complete" and not result.failures
    explores = len(mock.ground_truth_hashes()["explores"])
    assert len(transport.answered) == explores >= 12
    span = transport.answered[-1] - transport.answered[0]
    assert span < (explores - 1) * _WRITE_S / 2
    assert_vault_equals(tmp_path / "v.db", mock.ground_truth_hashes(), ["explores"])


@pytest.mark.anyio
async def test_answers_waiting_for_the_writers_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writers stopped: a child type reads as many answers as it may hold, then waits.

    Before, a task per key read every answer while the writers lagged and held them all
    (80 MB more peak RSS on preset M). Its requests still do not wait for the writers until
    the answers held reach the bound.
    """
    gate = threading.Event()
    write_all = VaultWriter.write_all

    def gated(self: VaultWriter, batches: Sequence[Batch]) -> None:
        if any(name == "user_attribute_values" for b in batches for name, _ in b.checkpoints):
            gate.wait(30)
        write_all(self, batches)

    monkeypatch.setattr(VaultWriter, "write_all", gated)
    mock = MockLooker(MockOptions(preset="tiny", counts={"users": 120}))
    transport = _Answers(mock, "/attribute_values")
    in_flight = 2
    options = ExtractOptions(
        content_types=("user_attribute_values",), workers=1, concurrency=in_flight
    )
    held = in_flight * CHILD_ANSWERS_HELD_PER_REQUEST
    stalled_at = 0

    async def release_once_stalled() -> None:
        nonlocal stalled_at
        last = -1
        while len(transport.answered) != last or not transport.answered:
            last = len(transport.answered)
            await anyio.sleep(0.3)
        stalled_at = last
        gate.set()

    with anyio.fail_after(60), Vault(tmp_path / "v.db") as vault:
        async with anyio.create_task_group() as tg:
            tg.start_soon(release_once_stalled)
            result = await extract(_SETTINGS, vault, options, transport=transport)
    assert result.status == "complete" and not result.failures
    users = len(mock.ground_truth_hashes()["users"])
    assert len(transport.answered) == users == 120
    # The workers' answers, plus what the stream and the one stopped writer hold.
    assert held <= stalled_at <= held + 3
    assert_vault_equals(
        tmp_path / "v.db", mock.ground_truth_hashes(), ["users", "user_attribute_values"]
    )
