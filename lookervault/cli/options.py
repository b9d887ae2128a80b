"""The options every command repeats (--db, --json, --debug), declared once and flattened into each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from cyclopts import Parameter

from lookervault.config import DEFAULT_DB_PATH

__all__ = [
    "DB_ENV_VAR",
    "FLAT",
    "Common",
    "DiffFlags",
    "ExportFlags",
    "ExtractFlags",
    "FailuresFlags",
    "Flag",
    "ListFlags",
    "NoJson",
    "RestoreFlags",
    "RunOption",
    "RunsFlags",
    "ShowFlags",
    "VerifyFlags",
]

# Flattens a Common into its command: the fields read as --db, --json, --debug, no prefix.
FLAT = Parameter(name="*")

RunOption = Annotated[int | None, Parameter(help="Run id (see `lookervault runs`).")]
# The variable naming the vault when --db is not given (the flag wins over it).
DB_ENV_VAR = "LOOKERVAULT_DB"
# A boolean flag without its generated --no-... form, which would mean nothing.
Flag = Annotated[bool, Parameter(negative="")]


@dataclass(frozen=True)
class Common:
    """Which vault, which output, how much detail on failure: the same for every command.

    A command narrows the help of --json by subclassing with its own docstring.

    Parameters
    ----------
    json
        Print JSON on stdout.
    """

    db: Annotated[
        Path,
        Parameter(
            env_var=DB_ENV_VAR,
            help=f"Path of the vault file (--db wins over ${DB_ENV_VAR}).",
        ),
    ] = Path(DEFAULT_DB_PATH)
    json: Flag = False
    debug: Annotated[bool, Parameter(negative="", help="Show tracebacks of unexpected errors.")] = (
        False
    )


@dataclass(frozen=True)
class NoJson(Common):
    """For a command whose output is data already (export): it has no --json."""

    json: Annotated[bool, Parameter(parse=False)] = False


# Each command's own words for --json (cyclopts reads a subclass's docstring for its fields).
@dataclass(frozen=True)
class ExtractFlags(Common):
    """The shared options of extract.

    Parameters
    ----------
    json
        Print one JSON object with the outcome on stdout.
    """


@dataclass(frozen=True)
class ExportFlags(NoJson):
    """The shared options of export, which writes data and so has no --json."""


@dataclass(frozen=True)
class RunsFlags(Common):
    """The shared options of runs.

    Parameters
    ----------
    json
        Print one JSON object: {"vault_bytes": N, "runs": [...]}; with --run N, that run's
        object (README, "JSON output", lists the keys).
    """


@dataclass(frozen=True)
class ListFlags(Common):
    """The shared options of list.

    Parameters
    ----------
    json
        Print a JSON array of {"content_type", "id", "title", "folder_id", "owner_id",
        "updated_at", "state"}.
    """


@dataclass(frozen=True)
class ShowFlags(Common):
    """The shared options of show.

    Parameters
    ----------
    json
        Print {"content_type", "id", "run_id", "gone_run_id", "content"} on one line.
    """


@dataclass(frozen=True)
class DiffFlags(Common):
    """The shared options of diff.

    Parameters
    ----------
    json
        Print one JSON object (README, "JSON output", lists the keys).
    """


@dataclass(frozen=True)
class VerifyFlags(Common):
    """The shared options of verify.

    Parameters
    ----------
    json
        Print one JSON object: {"ok", "checks": {check_name: [problems]}, "notes",
        "blobs_checked"}.
    """


@dataclass(frozen=True)
class FailuresFlags(Common):
    """The shared options of failures.

    Parameters
    ----------
    json
        Print a JSON array of {"content_type", "key", "what", "error"}.
    """


@dataclass(frozen=True)
class RestoreFlags(Common):
    """The shared options of restore.

    Parameters
    ----------
    json
        Print one JSON object: {"summary", "entries", "missing", "not_restorable",
        "restore_id", "refused", "applied", "failures", "notes"}.
    """
