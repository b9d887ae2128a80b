"""Commands that never talk to Looker start without loading the HTTP stack, pydantic or the pipeline."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("httpx", "pydantic", "anyio", "lookervault.backup", "lookervault.settings")

# Runs main() in a fresh interpreter, then names the heavy modules it loaded on stderr's last line.
_PROBE = """
import sys
from lookervault.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    status = done.code
heavy = [m for m in {heavy!r} if m in sys.modules]
sys.stderr.write("\\nPROBE " + repr((status, heavy)) + "\\n")
"""

COMMANDS = {
    "version": ("--version",),
    "help": ("--help",),
    "runs": ("runs", "--db", "{db}"),
    "list": ("list", "dashboards", "--db", "{db}"),
    "show": ("show", "dashboards", "1", "--db", "{db}"),
    "diff": ("diff", "--db", "{db}"),
    "verify": ("verify", "--db", "{db}"),
    "export": ("export", "--db", "{db}"),
    "failures": ("failures", "--db", "{db}"),
    "runs-missing-vault": ("runs", "--db", "{db}.absent"),
}


def _probe(tokens: list[str], cwd: Path) -> tuple[int, list[str]]:
    code = _PROBE.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code, *tokens],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("PROBE "), done.stderr
    status, heavy = ast.literal_eval(last.removeprefix("PROBE "))
    return status or 0, heavy


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_loads_no_heavy_module(name: str, small_vault: Path) -> None:
    """The command runs to its usual status and never imports httpx, pydantic, anyio or backup."""
    tokens = [t.format(db=small_vault) for t in COMMANDS[name]]
    status, heavy = _probe(tokens, small_vault.parent)
    assert status == (2 if name == "runs-missing-vault" else 0)
    assert heavy == []


def test_extract_loads_the_pipeline_only_when_it_runs(tmp_path: Path) -> None:
    """extract --help reads the command without loading its pipeline; running it loads it."""
    assert _probe(["extract", "--help"], tmp_path) == (0, [])
    status, heavy = _probe(["extract", "--db", str(tmp_path / "v.db")], tmp_path)
    assert status == 2 and {"httpx", "pydantic", "lookervault.backup"} <= set(heavy)
