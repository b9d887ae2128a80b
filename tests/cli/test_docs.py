"""The README documents every command, flag and exit status the CLI has."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookervault.cli.app import app
from lookervault.content import CONTENT_TYPES
from lookervault.errors import ExitCode

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _commands(current, prefix: tuple[str, ...] = ()):
    for name in list(current._commands):
        if name.startswith("-"):
            continue
        sub = current[name]  # resolves lazily registered commands
        yield (*prefix, name), sub
        yield from _commands(sub, (*prefix, name))


def _leaf_commands():
    return [(path, sub) for path, sub in _commands(app) if sub.default_command is not None]


def test_commands_found() -> None:
    """The walk over the cyclopts tree sees the commands we ship."""
    names = {" ".join(path) for path, _ in _leaf_commands()}
    assert {"extract", "export", "mock serve"} <= names


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in _leaf_commands()])
def test_every_command_and_flag_is_in_the_readme(path: str) -> None:
    """Each command appears as `lookervault <command>` and each of its long flags appears too."""
    assert f"lookervault {path}" in README
    sub = {" ".join(p): s for p, s in _leaf_commands()}[path]
    for argument in sub.assemble_argument_collection():
        for flag in argument.names:
            if flag.startswith("--") and not flag.startswith(("--no-", "--empty-")):
                assert f"`{flag}" in README, f"{path}: {flag} not documented"


def test_every_exit_status_and_content_type_is_documented() -> None:
    """Exit statuses and content type names in the README match the code."""
    for code in ExitCode:
        assert f"| {int(code)} |" in README
    for ct in CONTENT_TYPES:
        assert f"`{ct.name}`" in README
