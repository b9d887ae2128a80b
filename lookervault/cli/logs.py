"""Logging for extract: one stderr handler, quiet under the progress bars, with secrets blanked out."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Sequence
from typing import TextIO

__all__ = ["MIN_SECRET_LENGTH", "WIRE_LOGGERS", "RedactSecrets", "configure_logging"]

# Shorter secrets are not searched for in log lines: they would blank out ordinary words.
MIN_SECRET_LENGTH = 8
# Libraries that log the wire (every request, frame, retry): shown only with --verbose --verbose.
WIRE_LOGGERS = ("httpx", "httpcore", "hpack", "stamina")
# Characters a secret may not touch for a match: a secret inside a longer word is not that secret.
_WORD = r"A-Za-z0-9"


class RedactSecrets(logging.Filter):
    """Last line of defence: blank out anything that looks like a token or a secret in a log line.

    No message is ever built with a secret in it; this filter only catches what slips through.
    """

    _PATTERN = re.compile(
        r"(?i)((?:bearer|token)\s+|(?:access_token|client_secret)[\"']?\s*[:=]\s*[\"']?)"
        r"[A-Za-z0-9._~+/=-]{12,}"
    )

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        super().__init__()
        whole = [re.escape(s) for s in secrets if len(s) >= MIN_SECRET_LENGTH]
        self._secrets = (
            re.compile(rf"(?<![{_WORD}])(?:{'|'.join(whole)})(?![{_WORD}])") if whole else None
        )

    def redact(self, message: str) -> str:
        """The message with tokens and whole-word secrets replaced by ***."""
        redacted = self._PATTERN.sub(r"\1***", message)
        return self._secrets.sub("***", redacted) if self._secrets else redacted

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # logs for cron and --verbose


class _PlainFormatter(logging.Formatter):
    """`warning: message`: what a person at a terminal needs, without time stamps or modules."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is now, so lines go above rich's live display, not through it."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(
    *, verbose: int, quiet: bool, terminal: bool = False, secrets: Sequence[str] = ()
) -> None:
    """Send log lines to stderr, secrets redacted, at the level the flags ask for.

    ``verbose`` counts --verbose: 1 is lookervault's debug lines, 2 adds the libraries' wire logs.
    ``terminal``: the progress display runs, so info lines would only push it around.
    """
    handler = _CurrentStderr()
    plain = terminal and not verbose  # a person reading: "warning: ...", like our "error: ..."
    handler.setFormatter(_PlainFormatter() if plain else logging.Formatter(_LOG_FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    quiet_display = quiet or (terminal and not verbose)
    root.setLevel(
        logging.DEBUG if verbose > 1 else logging.WARNING if quiet_display else logging.INFO
    )
    logging.getLogger("lookervault").setLevel(logging.DEBUG if verbose else logging.NOTSET)
    for name in WIRE_LOGGERS:
        # stamina warns on every scheduled retry; the run's summary counts them instead.
        wire = logging.ERROR if name == "stamina" else logging.WARNING
        logging.getLogger(name).setLevel(logging.DEBUG if verbose > 1 else wire)
