"""The `lookervault mock` commands: serve the mock Looker for demos, scripts and benchmarks."""

from __future__ import annotations

import errno
import sys
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import cyclopts
from cyclopts import Parameter, validators

from lookervault.mock.app import MockLooker
from lookervault.mock.options import MockOptions
from lookervault.mock.paging import TRASH, split_types
from lookervault.mock.presets import CONTENT_TYPES
from lookervault.mock.server import run

__all__ = ["ServeFlags", "mock_app", "serve"]

_DEFAULTS = MockOptions()
_NON_NEGATIVE = validators.Number(gte=0)
_SHARE = validators.Number(gte=0, lte=1)
_USAGE = 2  # exit status of a port that cannot be listened on, as for any bad flag

mock_app = cyclopts.App(
    name="mock",
    help="Run the bundled mock Looker (API 4.0) used by tests, `make run` and benchmarks.",
)


def _validate_counts(type_: Any, value: Any) -> None:
    """Each --count is TYPE=N with a known content type and a non-negative integer."""
    for item in value or ():
        name, sep, number = item.partition("=")
        if not sep or name not in CONTENT_TYPES or not number.isdigit():
            known = ", ".join(CONTENT_TYPES)
            raise ValueError(f"expected TYPE=N with TYPE one of {known}, got {item!r}")


def _validate_release(type_: Any, value: Any) -> None:
    """--release is X.Y, two numbers."""
    parts = str(value).split(".") if value is not None else ["0", "0"]
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise ValueError(f"expected a release X.Y such as 24.16, got {value!r}")


_FORBIDDABLE = (*CONTENT_TYPES, "content_metadata_access", TRASH)


def _validate_forbid(type_: Any, value: Any) -> None:
    split_types(value or (), _FORBIDDABLE)


def _validate_missing(type_: Any, value: Any) -> None:
    split_types(value or (), CONTENT_TYPES)


_Types = tuple[str, ...]


@Parameter(name="*")
@dataclass(frozen=True, kw_only=True)
class ServeFlags:
    """Flags of `lookervault mock serve`, keyword-only: each is given as --flag VALUE."""

    port: Annotated[int, Parameter(validator=validators.Number(gte=0, lte=65535))] = 0
    """TCP port to listen on; 0 picks a free one."""
    host: str = "127.0.0.1"
    """Interface to bind."""
    client_id: str = _DEFAULTS.client_id
    """API client id the mock accepts."""
    client_secret: Annotated[str, Parameter(show_default=False)] = _DEFAULTS.client_secret
    """API client secret the mock accepts (default: the documented mock secret)."""
    seed: int = 0
    """Seed of the generated data and of every random knob."""
    preset: Literal["tiny", "demo", "M"] = "tiny"
    """Size of the generated instance."""
    count: Annotated[
        tuple[str, ...],
        Parameter(validator=_validate_counts, consume_multiple=True, negative=""),
    ] = ()
    """Override one type's count of the preset, as TYPE=N (repeatable)."""
    latency_ms: Annotated[float, Parameter(validator=_NON_NEGATIVE)] = 0.0
    """Mean added latency per API request, in milliseconds."""
    latency_jitter_ms: Annotated[float, Parameter(validator=_NON_NEGATIVE)] = 0.0
    """Standard deviation of the added latency, in milliseconds."""
    rate_limit_per_s: Annotated[float | None, Parameter(validator=validators.Number(gt=0))] = None
    """Global request rate beyond which the mock answers 429."""
    retry_after_s: Annotated[float | None, Parameter(validator=_NON_NEGATIVE)] = None
    """Send Retry-After (seconds) with every 429."""
    rate_limit_burst: Annotated[float | None, Parameter(validator=validators.Number(gte=1))] = None
    """Token bucket size of --rate-limit-per-s (default: one second's worth)."""
    rate_limit_per_minute: Annotated[int | None, Parameter(validator=validators.Number(gt=0))] = (
        None
    )
    """Sliding-window limit: at most N requests in any 60 s (429s say when a slot frees)."""
    fault_rate: Annotated[float, Parameter(validator=_SHARE)] = 0.0
    """Share of API requests answered 500/502/503."""
    drop_rate: Annotated[float, Parameter(validator=_SHARE)] = 0.0
    """Share of API requests whose connection is dropped mid-response."""
    token_ttl_s: Annotated[float, Parameter(validator=validators.Number(gt=0))] = 3600.0
    """Lifetime of access tokens, in seconds."""
    mutate_every: Annotated[int, Parameter(validator=_NON_NEGATIVE)] = 0
    """Apply one create/update/delete every N API requests (0: never)."""
    views_every: Annotated[int, Parameter(validator=_NON_NEGATIVE)] = 0
    """Someone views a random dashboard or look every N API requests (0: never)."""
    fault_burst: Annotated[int, Parameter(validator=validators.Number(gte=1))] = 1
    """Consecutive API requests each 5xx fault answers (a burst)."""
    storm_rate: Annotated[float, Parameter(validator=_SHARE)] = 0.0
    """Chance per API request that a 429 storm begins."""
    storm_s: Annotated[float, Parameter(validator=_NON_NEGATIVE)] = _DEFAULTS.storm_s
    """How long a 429 storm lasts, in seconds (Retry-After as --retry-after-s says)."""
    stall_rate: Annotated[float, Parameter(validator=_SHARE)] = 0.0
    """Share of API requests that stall before answering."""
    stall_s: Annotated[float, Parameter(validator=_NON_NEGATIVE)] = _DEFAULTS.stall_s
    """How long a stalled request waits, in seconds (set it past the client's timeout)."""
    bad_json_rate: Annotated[float, Parameter(validator=_SHARE)] = 0.0
    """Share of 200 answers whose body is truncated or invalid JSON."""
    html_rate: Annotated[float, Parameter(validator=_SHARE)] = 0.0
    """Share of 200 answers that carry an HTML error page instead of JSON."""
    shift_rate: Annotated[float, Parameter(validator=_SHARE)] = 0.0
    """Share of paged list answers shifted by one item (duplicates and gaps across pages)."""
    wrong_shape_rate: Annotated[float, Parameter(validator=_SHARE)] = 0.0
    """Share of list answers of the wrong shape (an object, an item without id, non-UTF-8)."""
    wrong_shape_listings: bool = True
    """Let wrong shapes hit id listings (`fields=` requests) too."""
    wrong_item_rate: Annotated[float, Parameter(validator=_SHARE)] = 0.0
    """Share of get-by-id and access answers of the wrong shape (a list, no id, an object)."""
    big_item_bytes: Annotated[int, Parameter(validator=_NON_NEGATIVE)] = 0
    """Size in bytes of one extra field on the first dashboard (0: none)."""
    api_user: Literal["admin", "nonadmin"] = "admin"
    """The API user: `nonadmin` sees users without emails or credentials and gets 403 for all
    owners' alerts, all users' schedules and the trash."""
    release: Annotated[str | None, Parameter(validator=_validate_release)] = None
    """Looker release X.Y that /versions reports: no scheduled_plans/search before 24.18; from
    25.20 the first model is self-service, listed only with include_self_service=true."""
    merge_queries: Annotated[int, Parameter(validator=_NON_NEGATIVE)] = 0
    """Dashboard tiles turned into merged-results tiles, each with its merge query."""
    lookml_dashboards: Annotated[int, Parameter(validator=_NON_NEGATIVE)] = 0
    """LookML dashboards (ids `model::name`) that `GET /dashboards` lists."""
    missing_explores: Annotated[int, Parameter(validator=_NON_NEGATIVE)] = 0
    """The first N explores stay listed in their model but answer 404."""
    page_timeout_above: Annotated[int, Parameter(validator=_NON_NEGATIVE)] = 0
    """Full list pages of more than N items answer 504 (0: never)."""
    writable: bool = False
    """Serve the write endpoints a restore uses (off: the mock is read-only)."""
    forbid_writes: Annotated[tuple[str, ...], Parameter(consume_multiple=True, negative="")] = ()
    """Write kinds answered 403 (folders, queries, looks, dashboards, boards, ...)."""
    forbid: Annotated[_Types, Parameter(validator=_validate_forbid, negative="")] = ()
    """Answer 403 to every request of these types (comma-separated or repeated; `trash`: the
    deleted=true listings only)."""
    missing: Annotated[_Types, Parameter(validator=_validate_missing, negative="")] = ()
    """Answer 404 to the list endpoints of these types (a release without them)."""
    max_limit: Annotated[int | None, Parameter(validator=validators.Number(gte=1))] = None
    """Cap `limit` at N items per page, as some servers do."""
    ignore_limit: bool = False
    """Ignore `limit`: answer every item from the offset on."""
    total_count: bool = False
    """Send X-Total-Count with answers to requests that give `limit`."""

    def options(self) -> MockOptions:
        """The MockOptions these flags describe."""
        counts = {name: int(n) for name, _, n in (item.partition("=") for item in self.count)}
        return MockOptions(
            seed=self.seed,
            preset=self.preset,
            counts=counts or None,
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_ttl_s=self.token_ttl_s,
            latency_ms=self.latency_ms,
            latency_jitter_ms=self.latency_jitter_ms,
            rate_limit_per_s=self.rate_limit_per_s,
            retry_after_s=self.retry_after_s,
            rate_limit_burst=self.rate_limit_burst,
            rate_limit_per_minute=self.rate_limit_per_minute,
            fault_rate=self.fault_rate,
            drop_rate=self.drop_rate,
            mutate_every=self.mutate_every,
            views_every=self.views_every,
            fault_burst=self.fault_burst,
            storm_rate=self.storm_rate,
            storm_s=self.storm_s,
            stall_rate=self.stall_rate,
            stall_s=self.stall_s,
            bad_json_rate=self.bad_json_rate,
            html_rate=self.html_rate,
            shift_rate=self.shift_rate,
            wrong_shape_rate=self.wrong_shape_rate,
            wrong_shape_listings=self.wrong_shape_listings,
            wrong_item_rate=self.wrong_item_rate,
            big_item_bytes=self.big_item_bytes,
            api_user=self.api_user,
            release=self.release,
            merge_queries=self.merge_queries,
            lookml_dashboards=self.lookml_dashboards,
            missing_explores=self.missing_explores,
            page_timeout_above=self.page_timeout_above,
            writable=self.writable,
            forbid_writes=self.forbid_writes,
            forbid=split_types(self.forbid, _FORBIDDABLE),
            missing=split_types(self.missing, CONTENT_TYPES),
            max_limit=self.max_limit,
            ignore_limit=self.ignore_limit,
            total_count=self.total_count,
        )


@mock_app.command
def serve(flags: ServeFlags | None = None) -> int:
    """Serve the mock Looker until SIGINT/SIGTERM; print `listening on URL` once ready."""
    flags = flags or ServeFlags()
    app = MockLooker(flags.options())
    try:
        run(app, flags.host, flags.port, ready=_announce)
    except OSError as exc:
        print(f"error: {_bind_error(exc, flags.host, flags.port)}", file=sys.stderr)  # noqa: T201
        return _USAGE
    return 0


def _bind_error(exc: OSError, host: str, port: int) -> str:
    """One line for a port that cannot be listened on: in use, or the OS's reason."""
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is in use"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def _announce(url: str) -> None:
    print(f"listening on {url}", flush=True)  # noqa: T201 - scripts read the URL from stdout
