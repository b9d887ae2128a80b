"""The one place a command's failure becomes an `error:` line and its exit status."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from lookervault.errors import ExitCode, LookerVaultError, exit_code_for

__all__ = ["guard", "status_code"]


def guard(command: Callable[[], int], *, debug: bool) -> int:
    """Run a command body; map every failure to one `error:` line and its exit status.

    A reader that closed stdout early (``| head``) ends the command quietly with status 0.
    """
    try:
        code = command()
        sys.stdout.flush()  # here, not at exit, so a closed pipe is seen by this guard
        return code
    except BrokenPipeError as exc:
        if not _stdout_closed():
            return _unexpected(exc, debug=debug)
        _discard_stdout()
        return ExitCode.OK
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except LookerVaultError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if debug:
            _print_traceback()
        return exc.exit_code
    except Exception as exc:  # the one place unexpected failures become an exit status
        return _unexpected(exc, debug=debug)


def _unexpected(exc: Exception, *, debug: bool) -> int:
    print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
    if debug:
        _print_traceback()
    else:
        print("(run again with --debug for the traceback)", file=sys.stderr)
    return exit_code_for(exc)


def _stdout_closed() -> bool:
    """Whether the reader of stdout has gone (a pipe whose other end is closed)."""
    import select

    if not hasattr(select, "poll"):
        return True  # no way to ask: a BrokenPipeError is then taken as a closed stdout
    try:
        poller = select.poll()
        poller.register(sys.__stdout__.fileno() if sys.__stdout__ else 1, select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError):
        return False


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so Python's flush at exit has nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
        os.close(devnull)
    except (OSError, ValueError):
        pass


def status_code(status: str, *, skipped: bool = False) -> int:
    """The exit status of a run that ended with this status.

    6: complete except skipped types or a limited (non-admin) run; partial (4) wins.
    """
    if status == "complete" and skipped:
        return ExitCode.NOT_EVERYTHING
    return {
        "complete": ExitCode.OK,
        "partial": ExitCode.PARTIAL,
        "interrupted": ExitCode.INTERRUPTED,
    }.get(status, ExitCode.UNEXPECTED)


def _print_traceback() -> None:
    import traceback

    traceback.print_exc()
