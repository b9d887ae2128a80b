"""The run's flow: login before the vault opens, abandoned runs, one Looker instance per vault."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lookervault.backup.instance import check_same_instance, instance_key
from lookervault.backup.run import ExtractOptions, extract
from lookervault.errors import AuthError, VaultError
from lookervault.mock.app import MockLooker, MockOptions
from lookervault.settings import ConnectionSettings
from lookervault.vault.store import Vault

_MOCK = MockOptions()
_TYPES = ("user_attributes",)


def _settings(base_url: str = "http://mock", secret: str = _MOCK.client_secret):
    return ConnectionSettings(base_url=base_url, client_id=_MOCK.client_id, client_secret=secret)


async def _extract(db: Path, base_url: str = "http://mock", **options: object):
    mock = MockLooker(MockOptions(preset="tiny"))
    options.setdefault("content_types", _TYPES)
    with Vault(db) as vault:
        return await extract(
            _settings(base_url),
            vault,
            ExtractOptions(workers=2, **options),  # type: ignore[arg-type]
            transport=httpx.ASGITransport(app=mock),
        )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://Looker.Example.com/", "https://looker.example.com"),
        ("https://looker.example.com:443", "https://looker.example.com/"),
        ("http://u:p@looker.example.com:80/api/", "http://looker.example.com/api"),
    ],
)
def test_instance_key_ignores_case_default_port_slash_and_userinfo(a: str, b: str) -> None:
    """Base URLs that name the same instance compare equal."""
    assert instance_key(a) == instance_key(b)


@pytest.mark.parametrize(
    "other",
    ["http://looker.example.com", "https://looker.example.com:19999", "https://x.example.com"],
)
def test_instance_key_tells_instances_apart(other: str) -> None:
    """Another scheme, port or host is another instance."""
    assert instance_key(other) != instance_key("https://looker.example.com")


def test_check_same_instance_names_both_urls_without_userinfo() -> None:
    """The refusal names the vault's instance and the new one, never a password in the URL."""
    with pytest.raises(VaultError) as raised:
        check_same_instance(
            "https://me:pw@b.example.com", ["https://a.example.com"], allow_other=False
        )
    message = str(raised.value)
    assert "https://a.example.com" in message and "https://b.example.com" in message
    assert "pw" not in message and "--allow-other-instance" in message
    check_same_instance("https://b.example.com", ["https://a.example.com"], allow_other=True)
    check_same_instance("https://A.example.com/", ["https://a.example.com"], allow_other=False)


@pytest.mark.anyio
async def test_another_instance_is_refused_unless_allowed(tmp_path: Path) -> None:
    """A vault of http://mock refuses http://other (no run is recorded) until it is allowed."""
    db = tmp_path / "v.db"
    assert (await _extract(db)).status == "complete"
    with pytest.raises(VaultError, match="http://mock.*http://other"):
        await _extract(db, "http://other")
    with Vault(db) as vault:
        assert len(vault.runs()) == 1
    result = await _extract(db, "http://other", allow_other_instance=True)
    assert (result.run_id, result.status) == (2, "complete")


@pytest.mark.anyio
async def test_the_vault_is_opened_only_after_the_login(tmp_path: Path) -> None:
    """A refused secret never calls the opener: no vault and no lock file are created."""
    opened: list[bool] = []

    @contextlib.contextmanager
    def opener() -> Iterator[Vault]:
        opened.append(True)
        with Vault(tmp_path / "v.db") as vault:
            yield vault

    mock = MockLooker(MockOptions(preset="tiny"))
    with pytest.raises(AuthError):
        await extract(
            _settings(secret="wrong-secret-xyz"),
            opener,
            ExtractOptions(content_types=_TYPES),
            transport=httpx.ASGITransport(app=mock),
        )
    assert opened == [] and os.listdir(tmp_path) == []
    result = await extract(
        _settings(), opener, ExtractOptions(content_types=_TYPES),
        transport=httpx.ASGITransport(app=mock),
    )  # fmt: skip
    assert opened == [True] and result.status == "complete"


@pytest.mark.anyio
async def test_a_plain_run_abandons_the_unfinished_one_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The unfinished run is marked abandoned with a warning; --resume then never picks it."""
    db = tmp_path / "v.db"
    with Vault(db) as vault:
        first = await _extract(db)
        vault.finish_run(first.run_id, status="interrupted", counts={}, stats={})
    with caplog.at_level(logging.WARNING):
        second = await _extract(db)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        f"run {first.run_id} is unfinished and is left as it is" in m and "abandoned" in m
        for m in warned
    )
    with Vault(db) as vault:
        assert [run.status for run in vault.runs()] == ["abandoned", "complete"]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        third = await _extract(db, resume=True)
    assert third.run_id == second.run_id + 1
    assert any(
        r.levelno == logging.WARNING and "nothing to resume" in r.getMessage()
        for r in caplog.records
    )
