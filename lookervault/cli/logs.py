"""Logging for extract: one stderr handler whose filter blanks out tokens and secrets."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Sequence

__all__ = ["RedactSecrets", "configure_logging"]


class RedactSecrets(logging.Filter):
    """Last line of defence: blank out anything that looks like a token or a secret in a log line."""

    _PATTERN = re.compile(
        r"(?i)((?:bearer|token)\s+|(?:access_token|client_secret)[\"']?\s*[:=]\s*[\"']?)"
        r"[A-Za-z0-9._~+/=-]{12,}"
    )

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._PATTERN.sub(r"\1***", message)
        for secret in self._secrets:
            redacted = redacted.replace(secret, "***")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(*, verbose: bool, quiet: bool, secrets: Sequence[str] = ()) -> None:
    """Send every log line to stderr, secrets redacted, at the level the flags ask for."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    # httpx logs every request at INFO; keep that for --verbose only.
    for noisy in ("httpx", "httpcore", "hpack"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    # stamina warns on every scheduled retry; the run's summary counts them instead.
    logging.getLogger("stamina").setLevel(logging.DEBUG if verbose else logging.ERROR)
