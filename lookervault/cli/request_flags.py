"""The flags of `extract` that spend or count Looker API calls: --plan, --max-requests and
--skip-personal-folder-access, declared once and flattened into the command."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from cyclopts import Parameter, validators

from lookervault.cli.options import Flag

__all__ = ["RequestFlags"]


@dataclass(frozen=True)
class RequestFlags:
    """What a run may cost in API calls (Looker editions allow 1,000 to 100,000 a month).

    Parameters
    ----------
    plan
        Print how many requests a full run would make, per type and in all, after one cheap
        id listing per type; fetch and store nothing else.
    max_requests
        Stop cleanly after this many requests (the run ends partial, exit 4, and
        `--resume` continues it); default: no limit.
    skip_personal_folder_access
        Leave out the access rules of users' personal folders: saves one request per user
        (their access is Looker's default: only the owner and admins).
    """

    plan: Flag = False
    max_requests: Annotated[int | None, Parameter(validator=validators.Number(gte=1))] = None
    skip_personal_folder_access: Flag = False
