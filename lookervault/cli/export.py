"""`lookervault export`: the vault's items as JSON lines or as a tree of files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

from cyclopts import Parameter

from lookervault.cli.guard import guard
from lookervault.cli.options import FLAT, ExportFlags, RunOption
from lookervault.cli.vaults import open_vault
from lookervault.errors import ExitCode, UsageError

__all__ = ["export_command"]

_EXPORT = ExportFlags()


def export_command(
    *,
    format: Literal["jsonl", "files"] = "jsonl",
    output: Annotated[
        Path | None, Parameter(help="File (jsonl; default: stdout) or directory (files).")
    ] = None,
    run: RunOption = None,
    force: bool = False,
    common: Annotated[ExportFlags, FLAT] = _EXPORT,
) -> int:
    """Write the vault's items (Looker's trash included) as JSON lines or as a tree of files.

    `jsonl`: one line per item, `{"content_type": ..., "id": ..., "content": {...}}` (the
    object as stored).

    `files`: one pretty JSON file per item under `--output`, named `TITLE--ID.json`, in
    directories mirroring Looker's folders (`folders/NAME--ID/`, the folder itself in
    `_folder.json`); dashboards and looks in `FOLDER/TYPE/`, other types in `OUTPUT/TYPE/`.

    Both are written under a hidden temporary name and renamed into place when complete.

    Parameters
    ----------
    format
        Output format.
    run
        Export what this run fetched (default: the latest state).
    force
        Replace an existing --output file (jsonl); without it an existing file is refused.
    """

    def body() -> int:
        from lookervault.export import export_files, export_jsonl, write_jsonl
        from lookervault.history import resolve_run

        if format == "files" and output is None:
            raise UsageError("--format files needs --output DIR")
        if force and (format == "files" or output is None):
            raise UsageError("--force replaces only an --output file of --format jsonl")
        with open_vault(common.db) as vault:
            run_id = resolve_run(vault, run) if run is not None else None
            if format == "files":
                assert output is not None
                done = export_files(vault, output, run_id=run_id)
                print(f"wrote {done.files} files in {done.directories} directories to {output}")
            elif output is None:
                write_jsonl(vault, sys.stdout.buffer, run_id=run_id)
                sys.stdout.flush()
            else:
                export_jsonl(vault, output, run_id=run_id, force=force)
        return ExitCode.OK

    return guard(body, debug=common.debug)
