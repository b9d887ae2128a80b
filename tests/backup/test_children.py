"""Child types: their requests in flight are bounded, the writers' pace is not theirs."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import httpx
import pytest

from lookervault.backup.run import ExtractOptions, extract
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


class _Explores(httpx.AsyncBaseTransport):
    """The mock, noting when each explore was answered."""

    def __init__(self, app: MockLooker) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self.answered: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if "/explores/" in request.url.path:
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
    transport = _Explores(mock)
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
