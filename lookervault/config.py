"""Connection settings (looker.ini, LOOKERSDK_*) read as looker-sdk does; every tunable default."""

from __future__ import annotations

import configparser
import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator

from lookervault.errors import ConfigError

__all__ = [
    "API_PATH",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_DB_PATH",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_TIMEOUT_S",
    "DEFAULT_TOKEN_LIFETIME_S",
    "DEFAULT_WORKERS",
    "ENV_PREFIX",
    "ID_LISTING_PAGE_SIZE",
    "KEEPALIVE_EXPIRY_S",
    "CONNECTIONS_PER_POOL",
    "LOGIN_RETRY_ATTEMPTS",
    "LOGOUT_TIMEOUT_S",
    "MAX_CONCURRENCY",
    "MAX_PAGE_SIZE",
    "MAX_WORKERS",
    "MIN_WORKERS",
    "RATE_BURST_S",
    "RATE_CEILING_MARGIN",
    "RATE_DECREASE_FACTOR",
    "RATE_DECREASE_WINDOW_S",
    "RATE_LIMIT_COOLOFF_S",
    "RATE_MIN_PER_S",
    "RATE_OBSERVE_WINDOW_S",
    "RATE_PROBE_INTERVAL_S",
    "RATE_PROBE_MIN_USE",
    "RATE_PROBE_SLOWDOWN_MAX",
    "RATE_PROBE_STEP",
    "RATE_PROBE_SUCCESSES",
    "RATE_REFILL_S",
    "RETRY_AFTER_MAX_S",
    "RETRY_ATTEMPTS",
    "RETRY_TIMEOUT_S",
    "RETRY_WAIT_INITIAL_S",
    "RETRY_WAIT_MAX_S",
    "PAGE_MEMORY_BUDGET_BYTES",
    "STREAM_BATCHES_PER_WORKER",
    "TOKEN_REFRESH_MARGIN_S",
    "ConnectionSettings",
    "load_connection_settings",
    "parse_bool",
]

logger = logging.getLogger(__name__)

# --- pipeline sizes ------------------------------------------------------------------------
DEFAULT_WORKERS = 8  # vault writer threads
MIN_WORKERS = 1
MAX_WORKERS = 50
DEFAULT_CONCURRENCY = 16  # HTTP requests in flight
MAX_CONCURRENCY = 256
DEFAULT_PAGE_SIZE = 100
# The API spec documents no maximum for `limit`; 1000 keeps each response body (and each
# retry of it) bounded while still cutting the number of round trips tenfold.
MAX_PAGE_SIZE = 1000
# Listing only ids (fields=<id>) makes tiny rows, so those pages can be as large as allowed.
ID_LISTING_PAGE_SIZE = MAX_PAGE_SIZE
# Stream buffer: one queued batch per writer keeps each busy; more only costs memory.
STREAM_BATCHES_PER_WORKER = 1
# Bytes of page content held between request and commit (see budget.py); about eight pages of
# dashboards, more than the CPU can turn into rows while the next ones arrive.
PAGE_MEMORY_BUDGET_BYTES = 12_000_000
DEFAULT_DB_PATH = "lookervault.db"

# --- connection ----------------------------------------------------------------------------
DEFAULT_CONFIG_FILE = "looker.ini"
ENV_PREFIX = "LOOKERSDK"
API_PATH = "/api/4.0"
DEFAULT_TIMEOUT_S = 120.0  # looker-sdk's default timeout
KEEPALIVE_EXPIRY_S = 30.0
CONNECTIONS_PER_POOL = 2  # httpcore pays O(connections) per request: see pools.py
TOKEN_REFRESH_MARGIN_S = 60.0  # refresh this long before the access token expires
DEFAULT_TOKEN_LIFETIME_S = 3600  # Looker's usual expires_in, used if the login answer omits it
LOGOUT_TIMEOUT_S = 5.0  # logout is best effort and must not hold up exit

# --- retries (stamina) ---------------------------------------------------------------------
RETRY_ATTEMPTS = 6
LOGIN_RETRY_ATTEMPTS = 3  # fail fast when the host is wrong or down
RETRY_TIMEOUT_S = 300.0  # total time budget for all attempts of one request
RETRY_WAIT_INITIAL_S = 0.5
RETRY_WAIT_MAX_S = 30.0
RETRY_AFTER_MAX_S = 120.0  # never trust a Retry-After longer than this

# --- adaptive rate limiting (throttle.py) --------------------------------------------------
RATE_LIMIT_COOLOFF_S = 5.0  # shared pause after a 429 that carries no Retry-After
RATE_DECREASE_WINDOW_S = 2.0  # without send times: 429s this soon after a decrease are one burst
RATE_OBSERVE_WINDOW_S = 10.0  # how far back the served and sent rates are measured
# Looker's burst is spent when it answers 429; it refills in about Retry-After seconds (this
# long when it sends none), so that time counts against what it served since the last 429.
RATE_REFILL_S = 1.0
RATE_CEILING_MARGIN = 0.97  # after a 429, run at this share of the rate Looker served...
RATE_DECREASE_FACTOR = 0.5  # ...but never below this share of the rate we were sending
RATE_MIN_PER_S = 0.2  # never throttle below this, so a backup always progresses
# A token bucket slightly above Looker's rate only runs dry after many seconds, so probe for a
# higher limit slowly: a step this small (a share of the rate)...
RATE_PROBE_STEP = 0.01
RATE_PROBE_SUCCESSES = 50  # ...after this many successes in a row...
RATE_PROBE_INTERVAL_S = 1.0  # ...and this long since the last step (or pause)
RATE_PROBE_SLOWDOWN_MAX = 16  # each later 429 doubles both, up to this many times
RATE_PROBE_MIN_USE = 0.5  # probe only while answers arrive at this share of the rate or more
RATE_BURST_S = 0.25  # the adaptive limit lets this many seconds' worth of requests burst

_TRUE = frozenset({"yes", "y", "true", "t", "1", "on"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "off"})
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
    section, values = _read_settings(filename, section)
    values.update({k: v for k, v in (overrides or {}).items() if v is not None and v != ""})
    _check_required(values, filename, section)
    settings = _build(values)
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


def _read_settings(filename: str | None, section: str | None) -> tuple[str | None, dict[str, str]]:
    """The section read, and what looker-sdk's ``ApiSettings.read_config()`` returns for it.

    Importing looker_sdk loads its whole generated API 4.0 SDK (about 20 MB and a second), so we
    reproduce its reader instead: the section's known keys, then non-empty LOOKERSDK_* variables,
    then its cleaning. tests/test_config.py compares the two on generated files and environments.
    """
    values = {"client_id": "", "client_secret": ""}
    if filename is not None:
        parser = _parse_ini(filename)
        section = _resolve_section(filename, parser.sections(), section)
        values.update(_read_section(filename, parser, section))
    elif section is not None:
        raise ConfigError(f"section [{section}] asked for, but no {DEFAULT_CONFIG_FILE} found")
    values.update(_read_environment())
    return section, _clean_values(values)


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


def _read_environment() -> dict[str, str]:
    names = {key: f"{ENV_PREFIX}_{key.upper()}" for key in _ENV_KEYS}
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
            env = f"{ENV_PREFIX}_{key.upper()}"
            raise ConfigError(f"missing {key}: set {env} or {where}")


def _build(values: Mapping[str, str]) -> ConnectionSettings:
    fields = {k: v for k, v in values.items() if k in ConnectionSettings.model_fields}
    try:
        return ConnectionSettings(**fields)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    # Build the line from the field name and our own message only: pydantic's default
    # text quotes the input value, which could be the secret.
    error = exc.errors(include_input=False, include_url=False)[0]
    field = ".".join(str(part) for part in error["loc"]) or "settings"
    cause = error.get("ctx", {}).get("error")
    message = str(cause) if cause is not None else error["msg"]
    env = f"{ENV_PREFIX}_{field.upper()}"
    return f"invalid {field} ({env}): {message}"


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


def parse_bool(value: str, *, true: frozenset[str] = _TRUE, false: frozenset[str] = _FALSE) -> bool:
    """A boolean word, in any case and with spaces around; the words accepted may be narrowed.

    Raises:
        ValueError: the word is in neither set.
    """
    text = value.strip().lower()
    if text in true:
        return True
    if text in false:
        return False
    raise ValueError(f"{value!r} is not a boolean (use true or false)")


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
