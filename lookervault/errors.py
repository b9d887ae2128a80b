"""Exception tree and exit statuses: who must act when something goes wrong.

LookerVaultError
├── UsageError        bad flag or argument            -> exit 2
├── ConfigError       bad looker.ini / LOOKERSDK_*    -> exit 2
├── VaultError        the SQLite vault cannot be used -> exit 2
├── ConnectError      Looker cannot be reached, or no Looker API at the URL -> exit 3
├── AuthError         Looker refused the credentials  -> exit 3
├── ApiError          Looker answered with an error   -> exit 1 (unless handled)
│   ├── NotFoundError     404: absent, or not visible to this API user
│   └── ForbiddenError    403: the API user may not see it (edition, permission)
├── PagingError       a listing ignored `limit` or repeated a page: the type fails
├── RequestBudgetError  --max-requests spent: the run stops as partial -> exit 4
└── PayloadShapeError valid JSON of the wrong shape   -> exit 1 (unless handled)

Foreign exceptions are translated at one boundary each: httpx errors in looker/client.py,
sqlite3 errors in vault/, pydantic errors in settings.py.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "ApiError",
    "AuthError",
    "ConfigError",
    "ConnectError",
    "ExitCode",
    "ForbiddenError",
    "LookerVaultError",
    "NotFoundError",
    "PagingError",
    "PayloadShapeError",
    "RequestBudgetError",
    "UsageError",
    "VaultError",
    "exit_code_for",
]


class ExitCode(IntEnum):
    """The documented exit statuses of every command."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    CONNECT = 3
    PARTIAL = 4
    VERIFY_FAILED = 5
    # Complete except what we may not see or chose to leave out: types skipped on purpose
    # (--exclude) or forbidden (403), or a limited (non-admin) run (`extract`, `check`).
    # A partial run (4) wins over it.
    NOT_EVERYTHING = 6
    INTERRUPTED = 130


class LookerVaultError(Exception):
    """Base of every error LookerVault raises on purpose."""

    exit_code: ExitCode = ExitCode.UNEXPECTED


class UsageError(LookerVaultError):
    """A flag or argument the user gave cannot be used."""

    exit_code = ExitCode.USAGE


class ConfigError(LookerVaultError):
    """The connection settings (looker.ini, LOOKERSDK_*) are missing or invalid."""

    exit_code = ExitCode.USAGE


class VaultError(LookerVaultError):
    """The vault file cannot be created, opened or written."""

    exit_code = ExitCode.USAGE


class ConnectError(LookerVaultError):
    """The Looker server cannot be reached (DNS, refused, TLS, timeout, no API at the URL)."""

    exit_code = ExitCode.CONNECT


class AuthError(LookerVaultError):
    """Looker refused the API credentials."""

    exit_code = ExitCode.CONNECT


class ApiError(LookerVaultError):
    """Looker answered a request with an error status that retries did not fix."""

    def __init__(self, method: str, url: str, status: int | None, message: str) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.message = message
        where = f"{method} {url}"
        super().__init__(
            f"{where} failed: {status} {message}" if status else f"{where} failed: {message}"
        )


class NotFoundError(ApiError):
    """Looker answered 404: the object does not exist or the API user cannot see it."""


class ForbiddenError(ApiError):
    """Looker answered 403: the API user may not read this (its edition or permissions)."""


class PagingError(LookerVaultError):
    """A list endpoint ignored `limit`, repeated a page or never ended: its listing is not trusted."""


class PayloadShapeError(LookerVaultError):
    """Valid JSON of the wrong shape: an object where a list belongs, a list where an item does.

    Not a transient fault, so deliberately not a ValueError: the client retries ValueErrors
    from decoding (broken bodies), and retrying will not change this.
    """


class RequestBudgetError(LookerVaultError):
    """The request budget (`--max-requests`) is spent: no further request may be sent."""

    exit_code = ExitCode.PARTIAL

    def __init__(self, max_requests: int) -> None:
        self.max_requests = max_requests
        super().__init__(f"the request budget of {max_requests} requests (--max-requests) is spent")


def exit_code_for(exc: BaseException) -> ExitCode:
    """Map any exception to the exit status the CLI returns."""
    if isinstance(exc, LookerVaultError):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.UNEXPECTED
