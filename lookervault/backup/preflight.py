"""Pre-flight: who we are talking to, before anything is fetched, and what the run will use.

Looker gives a non-admin API user less without saying so: users without emails and
credentials, only its own schedules and alerts, and 403 for the trash. The pre-flight reads
`/versions`, `/user` and the user's roles (their permission sets), chooses each type's endpoint
for the release, leaves out what the user may not list, and says so loudly: a limited run is
marked in the vault and never marks anything gone.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio

from lookervault.backup.options import ExtractOptions
from lookervault.content import ChildSource, ContentType, ListSource
from lookervault.endpoints import describe_endpoint, for_release, parse_release
from lookervault.errors import ApiError, ConnectError
from lookervault.looker.client import LookerClient

__all__ = [
    "ADMIN",
    "LIMITED",
    "Access",
    "Preflight",
    "TypePlan",
    "plan_types",
    "preflight",
    "start_session",
]

logger = logging.getLogger(__name__)

ADMIN, LIMITED = "admin", "limited"  # the vault's runs.access
_ADMIN_PERMISSION = "administer"
_SEE_SCHEDULES = "see_schedules"
_TRASH = ("deleted", "true")
_USERS_LACK = "users without emails and credentials"


@dataclass(frozen=True)
class Access:
    """The Looker release and what the API user may do."""

    release: str | None
    user_id: str | None
    user_name: str | None
    admin: bool
    permissions: frozenset[str]
    note: str | None = None  # why the permissions are unknown, when they are

    @property
    def label(self) -> str:
        """`admin` or `limited`, as the vault records it."""
        return ADMIN if self.admin else LIMITED


@dataclass(frozen=True)
class TypePlan:
    """One content type as this run will read it: its endpoint, and what it lacks if limited."""

    name: str
    endpoint: str
    lacking: str | None = None
    skipped: str | None = None  # what the user chose to leave out (--skip-personal-folder-access)

    @property
    def partial(self) -> bool:
        """Whether the run reads less than all of the type, so what it does not see is not gone."""
        return self.lacking is not None or self.skipped is not None

    @property
    def permitted(self) -> bool:
        """Whether the API user gets the whole type, as an admin would."""
        return self.lacking is None


@dataclass(frozen=True)
class Preflight:
    """What the pre-flight found and decided."""

    access: Access
    types: tuple[ContentType, ...]
    plans: tuple[TypePlan, ...]

    @property
    def limited(self) -> bool:
        """Whether this run gets less than a full backup."""
        return not self.access.admin or any(not plan.permitted for plan in self.plans)

    @property
    def partly_listed(self) -> frozenset[str]:
        """Types this run reads only in part on purpose: what it does not see is not gone."""
        return frozenset(plan.name for plan in self.plans if plan.partial)

    @property
    def run_access(self) -> str:
        """What the vault records for the run: `admin`, or `limited` when anything is lacking."""
        return LIMITED if self.limited else ADMIN

    def limited_line(self) -> str:
        """The LIMITED BACKUP line: what this API user's backup lacks."""
        lacking = "; ".join(f"{p.name}: {p.lacking}" for p in self.plans if p.lacking)
        who = self.access.user_name or self.access.user_id or "the API user"
        why = self.access.note or f"{who} lacks the '{_ADMIN_PERMISSION}' permission"
        return f"LIMITED BACKUP: {why}; {lacking or 'nothing of the requested types'}"


async def start_session(
    client: LookerClient, types: Iterable[ContentType], options: ExtractOptions
) -> tuple[Any, Preflight]:
    """`/versions` and the pre-flight: what every command that talks to Looker asks first.

    `/versions` goes beside `/user` and its roles: one round trip fewer before the first page.
    Errors are raised as if asked one after the other (`/versions`' first). Looker failing these
    after retries (a 5xx storm, a restart) is Looker unavailable, not a bug: a one-line error and
    exit 3, with nothing fetched and nothing in the vault changed.

    Raises:
        ConnectError: Looker answered /versions, /user or the roles with an error status.
    """
    try:
        return await _versions_and_preflight(client, types, options)
    except ApiError as exc:
        raise ConnectError(
            f"Looker is not answering: {exc}; nothing was fetched, try again later"
        ) from None


async def _versions_and_preflight(
    client: LookerClient, types: Iterable[ContentType], options: ExtractOptions
) -> tuple[Any, Preflight]:
    answers: dict[str, Any] = {}

    async def ask(key: str, call: Callable[[], Awaitable[Any]]) -> None:
        try:
            answers[key] = await call()
        except Exception as exc:  # raised below, in the order of the sequential calls
            answers[key] = _Failed(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(ask, "versions", client.versions)
        tg.start_soon(ask, "access", functools.partial(read_access, client, None))
    for key in ("versions", "access"):
        if isinstance(answers[key], _Failed):
            raise answers[key].error
    versions = answers["versions"]
    access = dataclasses.replace(answers["access"], release=_release(versions))
    return versions, _planned(access, types, options)


@dataclass(frozen=True)
class _Failed:
    error: Exception


async def preflight(
    client: LookerClient, versions: Any, types: Iterable[ContentType], options: ExtractOptions
) -> Preflight:
    """Read the API user's access, choose the endpoints, and warn when the backup is limited."""
    return _planned(await read_access(client, versions), types, options)


def _planned(access: Access, types: Iterable[ContentType], options: ExtractOptions) -> Preflight:
    chosen, plans = plan_types(
        types, access, skip_personal_folder_access=options.skip_personal_folder_access
    )
    found = Preflight(access, chosen, plans)
    logger.info("Looker %s, API user %s", access.release, access.user_name or access.user_id)
    if found.limited:
        logger.warning("%s", found.limited_line())
    return found


async def read_access(client: LookerClient, versions: Any) -> Access:
    """The release (from `versions`), the API user, and its permissions (two requests)."""
    release = _release(versions)
    me = await client.get_json("/user", {"fields": "display_name,id"})
    user_id = str(me.get("id")) if isinstance(me, dict) and me.get("id") is not None else None
    name = me.get("display_name") if isinstance(me, dict) else None
    if user_id is None:
        return Access(release, None, name, False, frozenset(), "GET /user named no user id")
    try:
        roles = await client.get_json(f"/users/{quote(user_id, safe='')}/roles")
    except ApiError as exc:
        note = f"cannot read the API user's roles ({exc.status or exc.message})"
        return Access(release, user_id, name, False, frozenset(), note)
    permissions, all_access = _permissions(roles)
    admin = all_access or _ADMIN_PERMISSION in permissions
    return Access(release, user_id, name, admin, permissions)


def _release(versions: Any) -> str | None:
    return versions.get("looker_release_version") if isinstance(versions, dict) else None


def _permissions(roles: Any) -> tuple[frozenset[str], bool]:
    found: set[str] = set()
    all_access = False
    for role in roles if isinstance(roles, list) else ():
        pset = role.get("permission_set") if isinstance(role, dict) else None
        if isinstance(pset, dict):
            all_access = all_access or pset.get("all_access") is True
            found.update(p for p in pset.get("permissions") or () if isinstance(p, str))
    return frozenset(found), all_access


def plan_types(
    types: Iterable[ContentType], access: Access, *, skip_personal_folder_access: bool = False
) -> tuple[tuple[ContentType, ...], tuple[TypePlan, ...]]:
    """Each type's endpoint for the release and the user, and what it lacks when limited."""
    chosen: list[ContentType] = []
    plans: list[TypePlan] = []
    for ct in for_release(types, parse_release(access.release)):
        ct, lacking = (ct, None) if access.admin else _limit(ct, access.permissions)
        skipped = None
        if skip_personal_folder_access and ct.name == "content_metadata_access":
            ct, skipped = _without_personal_folders(ct), "users' personal folders"
        chosen.append(ct)
        plans.append(TypePlan(ct.name, describe_endpoint(ct), lacking, skipped))
    return tuple(chosen), tuple(plans)


def _limit(ct: ContentType, permissions: frozenset[str]) -> tuple[ContentType, str | None]:
    """What a non-admin can list of the type, and what that lacks."""
    source = ct.source
    if ct.name == "users":
        return ct, _USERS_LACK
    if not isinstance(source, ListSource):
        return ct, None
    if any(_TRASH in variant.items() for variant in source.variants):
        variants = tuple(v for v in source.variants if _TRASH not in v.items())
        return _with(ct, variants=variants), "no trash (Looker's deleted items)"
    if ct.name == "alerts":
        return _with(ct, params=_without(source, "all_owners")), "only the API user's own alerts"
    if ct.name == "scheduled_plans" and _SEE_SCHEDULES not in permissions:
        lacking = "only the API user's own schedules"
        return _with(ct, params=_without(source, "all_users")), lacking
    return ct, None


def _with(ct: ContentType, **changes: Any) -> ContentType:
    return dataclasses.replace(ct, source=dataclasses.replace(ct.source, **changes))


def _without(source: ListSource, name: str) -> dict[str, str]:
    return {key: value for key, value in source.params.items() if key != name}


def _without_personal_folders(ct: ContentType) -> ContentType:
    """Access rules of every folder but users' personal ones: one request fewer per user."""
    source = ct.source
    if not isinstance(source, ChildSource):
        return ct
    keys = source.keys

    def shared_keys(parent: str, item: Any) -> Iterable[tuple[str, ...]]:
        if parent == "folders" and item.get("is_personal") is True:
            return ()
        return keys(parent, item)

    return dataclasses.replace(ct, source=dataclasses.replace(source, keys=shared_keys))
