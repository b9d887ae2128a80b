"""Extract's logging: quiet under the progress display, wire logs only on request, secrets redacted."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from lookervault.cli.logs import WIRE_LOGGERS, RedactSecrets, configure_logging

_ORDINARY = (
    "vault migrated to schema 2 (history)",
    "scheduled_plans: 50 items backed up",
    "resuming run 1",
    "token expires in 3600 s",
)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Put the root handlers and the levels configure_logging sets back after each test."""
    root = logging.getLogger()
    names = ("lookervault", *WIRE_LOGGERS)
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in names}
    yield
    root.handlers[:], _, levels = saved
    root.setLevel(saved[1])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize("secret", ["y", "history", "schedule", "run"])
def test_short_or_word_secrets_leave_ordinary_lines_alone(secret: str) -> None:
    """A one-character, short or dictionary-word secret does not mangle ordinary log lines."""
    redact = RedactSecrets([secret]).redact
    assert [redact(line) for line in _ORDINARY] == list(_ORDINARY)


def test_real_secret_is_redacted_wherever_it_stands() -> None:
    """A real-length secret is blanked out as a whole token, in prose, JSON or a form body."""
    secret = "Zx9-qPl2mW7vR4tY"
    redact = RedactSecrets([secret]).redact
    assert redact(f"login failed for {secret}.") == "login failed for ***."
    assert redact(f'{{"secret": "{secret}"}}') == '{"secret": "***"}'
    assert redact(f"client_id=a&client_secret={secret}&x=1") == "client_id=a&client_secret=***&x=1"


def test_token_patterns_are_redacted_without_a_known_secret() -> None:
    """Bearer tokens and access_token values are blanked out even when no secret is given."""
    redact = RedactSecrets().redact
    assert redact("Authorization: Bearer abcdefghijklmnop") == "Authorization: Bearer ***"
    assert redact('{"access_token": "abcdefghijklmnop"}') == '{"access_token": "***"}'


def test_filter_rewrites_only_records_that_held_a_secret() -> None:
    """The filter leaves a clean record's arguments alone and flattens a redacted one."""
    redact = RedactSecrets(["Zx9-qPl2mW7vR4tY"])
    clean = logging.LogRecord("x", logging.INFO, "", 0, "run %d", (1,), None)
    dirty = logging.LogRecord("x", logging.INFO, "", 0, "secret %s", ("Zx9-qPl2mW7vR4tY",), None)
    assert redact.filter(clean) and clean.args == (1,)
    assert redact.filter(dirty) and dirty.getMessage() == "secret ***"


@pytest.mark.parametrize(
    ("verbose", "quiet", "terminal", "root", "ours", "wire"),
    [
        (0, False, False, logging.INFO, logging.INFO, logging.WARNING),  # cron: info lines
        (0, False, True, logging.WARNING, logging.WARNING, logging.WARNING),  # the bars only
        (0, True, False, logging.WARNING, logging.WARNING, logging.WARNING),
        (1, False, True, logging.INFO, logging.DEBUG, logging.WARNING),  # no wire logs
        (2, False, True, logging.DEBUG, logging.DEBUG, logging.DEBUG),  # asked for twice
    ],
)
def test_levels_follow_the_flags_and_the_terminal(
    verbose: int, quiet: bool, terminal: bool, root: int, ours: int, wire: int
) -> None:
    """Info lines stay off a terminal's progress display; wire logs need --verbose twice."""
    configure_logging(verbose=verbose, quiet=quiet, terminal=terminal)
    assert logging.getLogger().level == root
    assert logging.getLogger("lookervault.backup.run").getEffectiveLevel() == ours
    assert logging.getLogger("httpcore").getEffectiveLevel() == wire


def test_lines_go_to_the_current_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """The handler writes to sys.stderr as it is now (rich's live display swaps it in and out)."""
    configure_logging(verbose=0, quiet=False, secrets=["Zx9-qPl2mW7vR4tY"])
    swapped = io.StringIO()
    monkeypatch.setattr("sys.stderr", swapped)
    logging.getLogger("lookervault.test").warning("secret Zx9-qPl2mW7vR4tY, once")
    assert swapped.getvalue().count("secret ***, once") == 1
    assert "Zx9" not in swapped.getvalue()


@pytest.mark.parametrize(
    ("flags", "count"), [((), 0), (("--verbose",), 1), (("-v", "-v"), 2), (("-v", "--verbose"), 2)]
)
def test_extract_verbose_counts(flags: tuple[str, ...], count: int) -> None:
    """--verbose (or -v) is counted: once for our debug lines, twice for the wire logs too."""
    from lookervault.cli.app import app

    _, bound, *_ = app.parse_args(["extract", *flags])
    assert bound.arguments["verbose"] == count


def test_a_terminal_gets_plain_warning_lines(capsys) -> None:
    """On a terminal (not --verbose), a warning reads `warning: ...`, without time or module."""
    import logging

    from lookervault.cli.logs import configure_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging(verbose=0, quiet=False, terminal=True)
        logging.getLogger("lookervault.backup.run").warning("received %s: stopping", "SIGINT")
        logging.getLogger("lookervault.vault.store").info("started run 1")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert capsys.readouterr().err == "warning: received SIGINT: stopping\n"
