"""The command line's one App: every command registered, usage errors mapped to exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from cyclopts import App, CycloptsError

from lookervault import package_version
from lookervault.cli.check import check_command
from lookervault.cli.diff import diff_command
from lookervault.cli.export import export_command
from lookervault.cli.extract import extract_command
from lookervault.cli.failures import failures_command
from lookervault.cli.history import list_command, runs_command, show_command
from lookervault.cli.restore import restore_command
from lookervault.cli.verify import verify_command
from lookervault.errors import ExitCode

__all__ = ["app", "main"]

app = App(
    name="lookervault",
    help="Back up a Looker instance, losslessly and resumably, into one SQLite file (the vault).",
    version=package_version,  # a callable: the metadata is read only for --version
    # A bare version string: printing it as plain text spares --version the Markdown renderer.
    version_format="plaintext",
)
# Lazy: the mock server's modules load only when `lookervault mock` runs.
app.command(
    "lookervault.mock.cli:mock_app",
    name="mock",
    help="Run the bundled mock Looker (API 4.0) used by tests, make run and benchmarks.",
)
# The command modules are light: each imports the pipeline or the vault only when it runs.
app.command(extract_command, name="extract")
app.command(export_command, name="export")
app.command(runs_command, name="runs")
app.command(list_command, name="list")
app.command(show_command, name="show")
app.command(diff_command, name="diff")
app.command(verify_command, name="verify")
app.command(failures_command, name="failures")
app.command(check_command, name="check")
app.command(restore_command, name="restore")


def main(tokens: Sequence[str] | None = None) -> None:
    """Console-script entry point: exit with the command's status; usage errors exit 2."""
    try:
        code = app(tokens, exit_on_error=False, print_error=False, result_action="return_value")
    except CycloptsError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        code = ExitCode.USAGE
    sys.exit(int(code or 0))


def _one_line(exc: CycloptsError) -> str:
    return " ".join(str(exc).split())
