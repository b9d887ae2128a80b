"""Tests for lookervault.config: looker.ini sections, LOOKERSDK_* overrides, clear errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from lookervault.config import (
    DEFAULT_TIMEOUT_S,
    ConnectionSettings,
    load_connection_settings,
)
from lookervault.errors import ConfigError, ExitCode

SECRET = "s3cr3t-VALUE-never-shown"

INI = f"""\
[Looker]
base_url=https://first.looker.com:19999
client_id=first-id
client_secret={SECRET}
verify_ssl=true
timeout=30

[Staging]
base_url=http://127.0.0.1:8123/api/4.0/
client_id=staging-id
client_secret="{SECRET}"
verify_ssl=False
"""


@pytest.fixture
def ini(tmp_path: Path) -> Path:
    """A looker.ini with two sections."""
    path = tmp_path / "looker.ini"
    path.write_text(INI)
    return path


def write_ini(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "custom.ini"
    path.write_text(body)
    return path


def test_first_section_by_default(ini: Path) -> None:
    """Without a section name the first section is read."""
    settings = load_connection_settings(ini)
    assert settings.base_url == "https://first.looker.com:19999"
    assert settings.client_id == "first-id"
    assert settings.client_secret.get_secret_value() == SECRET
    assert settings.verify_ssl is True
    assert settings.timeout == 30.0
    assert settings.api_url == "https://first.looker.com:19999/api/4.0"


def test_named_section(ini: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A named section is chosen; quotes and a trailing /api/4.0/ are stripped."""
    with caplog.at_level(logging.WARNING):
        settings = load_connection_settings(ini, "Staging")
    assert settings.base_url == "http://127.0.0.1:8123"
    assert settings.api_url == "http://127.0.0.1:8123/api/4.0"
    assert settings.client_secret.get_secret_value() == SECRET
    assert settings.verify_ssl is False
    assert settings.timeout == DEFAULT_TIMEOUT_S
    assert "verification is OFF" in caplog.text


def test_env_overrides_file(ini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LOOKERSDK_* variables win over the file."""
    monkeypatch.setenv("LOOKERSDK_BASE_URL", "https://env.looker.com")
    monkeypatch.setenv("LOOKERSDK_CLIENT_ID", "env-id")
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("LOOKERSDK_VERIFY_SSL", "0")
    monkeypatch.setenv("LOOKERSDK_TIMEOUT", "7.5")
    settings = load_connection_settings(ini)
    assert settings.base_url == "https://env.looker.com"
    assert settings.client_id == "env-id"
    assert settings.client_secret.get_secret_value() == "env-secret"
    assert settings.verify_ssl is False
    assert settings.timeout == 7.5


def test_env_only_without_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no looker.ini in the working directory the environment alone is enough."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOOKERSDK_BASE_URL", "https://env.looker.com/")
    monkeypatch.setenv("LOOKERSDK_CLIENT_ID", "env-id")
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", "env-secret")
    settings = load_connection_settings()
    assert settings.base_url == "https://env.looker.com"
    assert settings.verify_ssl is True


def test_default_file_in_working_directory(ini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """looker.ini in the working directory is read by default."""
    monkeypatch.chdir(ini.parent)
    assert load_connection_settings().client_id == "first-id"


def test_overrides_win_over_env(ini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Explicit overrides (CLI flags) win; None values are ignored."""
    monkeypatch.setenv("LOOKERSDK_CLIENT_ID", "env-id")
    settings = load_connection_settings(ini, overrides={"client_id": "flag-id", "base_url": None})
    assert settings.client_id == "flag-id"
    assert settings.base_url == "https://first.looker.com:19999"


def test_secret_never_in_repr_or_str(ini: Path) -> None:
    """repr and str of the settings hide the client secret."""
    settings = load_connection_settings(ini)
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert isinstance(settings.client_secret, SecretStr)


def test_settings_are_frozen(ini: Path) -> None:
    """Settings cannot be changed after loading."""
    settings = load_connection_settings(ini)
    with pytest.raises(ValueError, match="frozen"):
        settings.client_id = "other"  # type: ignore[misc]


def test_direct_construction_normalizes() -> None:
    """Building settings directly applies the same normalization."""
    settings = ConnectionSettings(
        base_url="https://x.looker.com/api/4.0", client_id="id", client_secret=SecretStr("s")
    )
    assert settings.base_url == "https://x.looker.com"


def test_missing_explicit_file(tmp_path: Path) -> None:
    """An explicit file that does not exist is an error naming it."""
    with pytest.raises(ConfigError, match="config file not found: .*nope.ini"):
        load_connection_settings(tmp_path / "nope.ini")


def test_unknown_section_lists_sections(ini: Path) -> None:
    """An unknown section is an error that lists the sections available."""
    with pytest.raises(ConfigError) as info:
        load_connection_settings(ini, "Prod")
    assert "no section [Prod]" in str(info.value)
    assert "Looker, Staging" in str(info.value)
    assert info.value.exit_code == ExitCode.USAGE


def test_section_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Naming a section when there is no looker.ini is an error, not silently ignored."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="section \\[Prod\\] asked for, but no looker.ini"):
        load_connection_settings(section="Prod")


def test_file_without_sections(tmp_path: Path) -> None:
    """An empty file is an error, not an IndexError."""
    with pytest.raises(ConfigError, match="no \\[section\\]"):
        load_connection_settings(write_ini(tmp_path, ""))


def test_file_not_ini(tmp_path: Path) -> None:
    """A file without a section header is an error, not a traceback."""
    with pytest.raises(ConfigError, match="not a valid ini file"):
        load_connection_settings(write_ini(tmp_path, f"client_secret={SECRET}\n"))


@pytest.mark.parametrize("key", ["base_url", "client_id", "client_secret"])
def test_missing_required(tmp_path: Path, key: str) -> None:
    """Each missing required setting is named with the variable that sets it."""
    values = {"base_url": "https://x.looker.com", "client_id": "id", "client_secret": SECRET}
    del values[key]
    body = "[Looker]\n" + "".join(f"{k}={v}\n" for k, v in values.items())
    with pytest.raises(ConfigError) as info:
        load_connection_settings(write_ini(tmp_path, body))
    message = str(info.value)
    assert f"missing {key}" in message
    assert f"LOOKERSDK_{key.upper()}" in message
    assert SECRET not in message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("base_url=ftp://x.looker.com", "invalid base_url .*https://"),
        ("base_url=x.looker.com", "invalid base_url .*https://"),
        ("base_url=https://", "invalid base_url .*no host"),
        ("timeout=soon", "invalid timeout \\(LOOKERSDK_TIMEOUT\\): 'soon' is not a number"),
        ("timeout=0", "invalid timeout .*positive"),
        ("timeout=-3", "invalid timeout .*positive"),
        ("verify_ssl=maybe", "invalid verify_ssl \\(LOOKERSDK_VERIFY_SSL\\): 'maybe' is not"),
    ],
)
def test_invalid_values(tmp_path: Path, line: str, expected: str) -> None:
    """Each invalid value is one clear line without the secret."""
    base = {"base_url": "https://x.looker.com", "client_id": "id", "client_secret": SECRET}
    key = line.split("=", 1)[0]
    base.pop(key, None)
    body = "[Looker]\n" + "".join(f"{k}={v}\n" for k, v in base.items()) + line + "\n"
    with pytest.raises(ConfigError, match=expected) as info:
        load_connection_settings(write_ini(tmp_path, body))
    assert SECRET not in str(info.value)
    assert "\n" not in str(info.value)


def test_interpolation_error_hides_secret(tmp_path: Path) -> None:
    """A '%' in the secret is reported without quoting the secret."""
    body = "[Looker]\nbase_url=https://x.looker.com\nclient_id=id\nclient_secret=ab%cd\n"
    with pytest.raises(ConfigError, match="client_secret") as info:
        load_connection_settings(write_ini(tmp_path, body))
    assert "ab%cd" not in str(info.value)


def test_invalid_env_value(ini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad LOOKERSDK_* value is reported with the variable's name."""
    monkeypatch.setenv("LOOKERSDK_VERIFY_SSL", "sometimes")
    with pytest.raises(ConfigError, match="LOOKERSDK_VERIFY_SSL"):
        load_connection_settings(ini)


def test_deprecated_keys_are_ignored(tmp_path: Path) -> None:
    """Old looker.ini keys (api_version) neither warn nor fail."""
    body = (
        "[Looker]\napi_version=4.0\nbase_url=https://x.looker.com\nclient_id=id\nclient_secret=s\n"
    )
    assert load_connection_settings(write_ini(tmp_path, body)).client_id == "id"
