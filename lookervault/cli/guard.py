"""The one place a command's failure becomes an `error:` line and its exit status."""

from __future__ import annotations

import sys
from collections.abc import Callable

from lookervault.errors import ExitCode, LookerVaultError, exit_code_for

__all__ = ["guard", "status_code"]


def guard(command: Callable[[], int], *, debug: bool) -> int:
    """Run a command body; map every failure to one `error:` line and its exit status."""
    try:
        return command()
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except LookerVaultError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if debug:
            _print_traceback()
        return exc.exit_code
    except Exception as exc:  # the one place unexpected failures become an exit status
        print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        if debug:
            _print_traceback()
        else:
            print("(run again with --debug for the traceback)", file=sys.stderr)
        return exit_code_for(exc)


def status_code(status: str) -> int:
    """The exit status of a run that ended with this status."""
    return {
        "complete": ExitCode.OK,
        "partial": ExitCode.PARTIAL,
        "interrupted": ExitCode.INTERRUPTED,
    }.get(status, ExitCode.UNEXPECTED)


def _print_traceback() -> None:
    import traceback

    traceback.print_exc()
