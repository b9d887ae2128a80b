"""Connection settings (looker.ini, LOOKERSDK_*) read as looker-sdk does; pydantic loads only here."""

from __future__ import annotations

import configparser
import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator

from lookervault.config import (
    API_PATH,
    DEFAULT_CONFIG_FILE,
    DEFAULT_TIMEOUT_S,
    ENV_PREFIX,
    parse_bool,
)
from lookervault.errors import ConfigError

__all__ = ["ConnectionSettings", "load_connection_settings"]

logger = logging.getLogger(__name__)

_REQUIRED = ("base_url", "client_id", "client_secret")
# looker-sdk's SettingsConfig: the only ini keys its reader keeps (others, e.g. api_version, are
# dropped), and the subset it also takes from LOOKERSDK_<KEY> when that variable is not empty.
_INI_KEYS = (
    "client_id",
    "client_secret",
    "base_url",
    "verify_ssl",
    "timeout",
    "redirect_uri",
    "looker_url",
)
_ENV_KEYS = ("base_url", "verify_ssl", "timeout", "client_id", "client_secret")
_EMPTY_VALUES = frozenset({"", '""', "''"})
_QUOTES = "\"'"


class ConnectionSettings(BaseModel):
    """Where the Looker API lives and the API key used to log in to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str
    client_id: str
    client_secret: SecretStr
    verify_ssl: bool = True
    timeout: float = DEFAULT_TIMEOUT_S

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return _normalize_base_url(value)

    @field_validator("client_id")
    @classmethod
    def _check_client_id(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("client_id is empty")
        return value.strip()

    @field_validator("verify_ssl", mode="before")
    @classmethod
    def _check_verify_ssl(cls, value: object) -> object:
        return parse_bool(value) if isinstance(value, str) else value

    @field_validator("timeout", mode="before")
    @classmethod
    def _check_timeout(cls, value: object) -> float:
        return _parse_timeout(value)

    @property
    def api_url(self) -> str:
        """The API 4.0 root, e.g. ``https://company.looker.com:19999/api/4.0``."""
        return self.base_url + API_PATH


def load_connection_settings(
    config_file: str | os.PathLike[str] | None = None,
    section: str | None = None,
    *,
    overrides: Mapping[str, str | None] | None = None,
) -> ConnectionSettings:
    """Read connection settings the way looker-sdk does, without importing looker_sdk.

    Args:
        config_file: a looker.ini file; it must exist when given. By default ``looker.ini``
            in the working directory is read when present.
        section: the ini section; the first section when None.
        overrides: values that win over the file and LOOKERSDK_* (e.g. CLI flags); None
            values are ignored.

    Raises:
        ConfigError: one line saying what is missing or wrong, never the secret.
    """
    filename = _resolve_file(config_file)
    section, values, sources = _read_settings(filename, section)
    given = {k: v for k, v in (overrides or {}).items() if v is not None and v != ""}
    values.update(given)
    sources.update(dict.fromkeys(given, "override"))
    _check_required(values, filename, section)
    settings = _build(values, sources)
    if not settings.verify_ssl:
        logger.warning("TLS certificate verification is OFF for %s", settings.base_url)
    return settings


def _resolve_file(config_file: str | os.PathLike[str] | None) -> str | None:
    if config_file is None:
        return DEFAULT_CONFIG_FILE if Path(DEFAULT_CONFIG_FILE).is_file() else None
    path = Path(config_file)
    if not path.is_file():
        raise ConfigError(f"config file not found: {os.fspath(path)}")
    return os.fspath(path)


def _read_settings(
    filename: str | None, section: str | None
) -> tuple[str | None, dict[str, str], dict[str, str]]:
    """The section read, what looker-sdk's ``ApiSettings.read_config()`` returns, and sources.

    A value's source names where it was set, for error messages: ``timeout in [Looker] of
    looker.ini`` or ``LOOKERSDK_TIMEOUT``.

    Importing looker_sdk loads its whole generated API 4.0 SDK (about 20 MB and a second), so we
    reproduce its reader instead: the section's known keys, then non-empty LOOKERSDK_* variables,
    then its cleaning. tests/test_config.py compares the two on generated files and environments.
    """
    values = {"client_id": "", "client_secret": ""}
    sources: dict[str, str] = {}
    if filename is not None:
        parser = _parse_ini(filename)
        section = _resolve_section(filename, parser.sections(), section)
        found = _read_section(filename, parser, section)
        values.update(found)
        sources.update({key: f"{key} in [{section}] of {filename}" for key in found})
    elif section is not None:
        raise ConfigError(f"section [{section}] asked for, but no {DEFAULT_CONFIG_FILE} found")
    environment = _read_environment()
    values.update(environment)
    sources.update({key: _env_name(key) for key in environment})
    return section, _clean_values(values), sources


def _parse_ini(filename: str) -> configparser.ConfigParser:
    # ConfigParser with its default interpolation, as looker-sdk: a literal % is written %%.
    parser = configparser.ConfigParser()
    try:
        with open(filename, encoding="utf-8") as file:
            parser.read_file(file)
    except OSError as exc:
        raise ConfigError(f"{filename}: cannot be read ({type(exc).__name__})") from exc
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{filename}: not a valid ini file ({type(exc).__name__})") from exc
    return parser


def _resolve_section(filename: str, sections: list[str], section: str | None) -> str:
    # looker-sdk reports an unknown or absent section with a bare NoSectionError/IndexError;
    # we say so in one line that lists what the file offers.
    if not sections:
        raise ConfigError(f"{filename}: no [section] found (e.g. [Looker])")
    if section is None:
        return sections[0]
    if section not in sections:
        listed = ", ".join(sections)
        raise ConfigError(f"{filename}: no section [{section}] (sections: {listed})")
    return section


def _read_section(filename: str, parser: configparser.ConfigParser, section: str) -> dict[str, str]:
    try:
        # Every key is interpolated, unknown ones too, exactly as looker-sdk's dict(section).
        items = dict(parser[section])
    except configparser.InterpolationError as exc:
        # The message would quote the value, which may be the secret.
        raise ConfigError(
            f"{filename}: cannot read {exc.option} in [{exc.section}] (write a literal % as %%)"
        ) from exc
    return {key: items[key] for key in _INI_KEYS if key in items}


def _env_name(key: str) -> str:
    return f"{ENV_PREFIX}_{key.upper()}"


def _read_environment() -> dict[str, str]:
    names = {key: _env_name(key) for key in _ENV_KEYS}
    return {key: value for key, name in names.items() if (value := os.getenv(name))}


def _clean_values(values: Mapping[str, str]) -> dict[str, str]:
    # looker-sdk drops empty and quoted-empty values, and strips quotes when a value starts or
    # ends with one; str.strip only removes quotes found at an end, so it needs no such test.
    return {
        key: value.strip(_QUOTES) for key, value in values.items() if value not in _EMPTY_VALUES
    }


def _check_required(values: Mapping[str, str], filename: str | None, section: str | None) -> None:
    for key in _REQUIRED:
        if not values.get(key, "").strip():
            where = f"{key} in [{section}] of {filename}" if filename else f"{key} in looker.ini"
            env = _env_name(key)
            raise ConfigError(f"missing {key}: set {env} or {where}")


def _build(values: Mapping[str, str], sources: Mapping[str, str]) -> ConnectionSettings:
    fields = {k: v for k, v in values.items() if k in ConnectionSettings.model_fields}
    try:
        return ConnectionSettings(**fields)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_describe(exc, sources)) from None


def _describe(exc: ValidationError, sources: Mapping[str, str]) -> str:
    # Build the line from the field name and our own message only: pydantic's default
    # text quotes the input value, which could be the secret.
    error = exc.errors(include_input=False, include_url=False)[0]
    field = ".".join(str(part) for part in error["loc"]) or "settings"
    cause = error.get("ctx", {}).get("error")
    message = str(cause) if cause is not None else error["msg"]
    # Name the place that gave the bad value: the ini file and section, or the variable.
    source = sources.get(field, _env_name(field))
    return f"invalid {field} ({source}): {message}"


def _normalize_base_url(value: str) -> str:
    url = value.strip().rstrip("/")
    if url.endswith(API_PATH):
        url = url[: -len(API_PATH)].rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{url!r} must start with https:// or http://")
    if not parts.hostname:
        raise ValueError(f"{url!r} has no host name")
    if parts.query or parts.fragment:
        raise ValueError(f"{url!r} must not carry a query or fragment")
    return url


def _parse_timeout(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{value!r} is not a number of seconds")
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{value!r} must be a positive number of seconds")
    return seconds
