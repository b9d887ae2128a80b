"""What a mock is told and what it reports: its options, served counters and applied mutations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["MockOptions", "MockStats", "Mutation"]


@dataclass(frozen=True)
class MockOptions:
    """How the mock behaves: its data, credentials and the fault knobs (all seeded)."""

    seed: int = 0
    preset: str = "tiny"
    counts: Mapping[str, int] | None = None
    client_id: str = "lookervault-mock"
    client_secret: str = field(default="lookervault-mock-secret", repr=False)
    token_ttl_s: float = 3600.0
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    rate_limit_per_s: float | None = None
    retry_after_s: float | None = None
    rate_limit_burst: float | None = None  # token bucket size (None: rate_limit_per_s)
    rate_limit_per_minute: int | None = None  # sliding 60 s window, Retry-After until a slot frees
    fault_rate: float = 0.0
    drop_rate: float = 0.0
    mutate_every: int = 0
    views_every: int = 0  # one view of a random dashboard or look every N API requests
    # --- chaos knobs (all off by default) ---
    fault_burst: int = 1  # a 5xx fault answers this many consecutive API requests
    storm_rate: float = 0.0  # chance per API request that a 429 storm begins
    storm_s: float = 1.0  # how long a storm answers every API request 429 (Retry-After if set)
    stall_rate: float = 0.0  # share of API requests that wait stall_s before answering
    stall_s: float = 5.0
    bad_json_rate: float = 0.0  # 200 answers whose body is truncated or invalid JSON
    html_rate: float = 0.0  # 200 answers carrying an HTML error page, as proxies do
    shift_rate: float = 0.0  # paged list answers shifted by one item (duplicates and gaps)
    # list/search answers of the wrong shape (an object, an item without id, non-UTF-8 bytes)
    wrong_shape_rate: float = 0.0
    wrong_shape_listings: bool = True  # False: spare `fields=`-projected (id listing) requests
    # single answers (get by id, content_metadata_access) of the wrong shape
    wrong_item_rate: float = 0.0
    big_item_bytes: int = 0  # the first dashboard carries a field of this many bytes
    # --- related objects and slow pages (issue 13; off by default) ---
    merge_queries: int = (
        0  # dashboard tiles turned into merged-results tiles, each with a merge query
    )
    lookml_dashboards: int = 0  # LookML dashboards (`model::name` ids) listed by GET /dashboards
    missing_explores: int = 0  # the first N explores (by id) stay listed but answer 404
    page_timeout_above: int = 0  # full list pages of more than N items answer 504 (0: never)
    # --- paging and refusal knobs (mock/paging.py; all off by default) ---
    forbid: tuple[str, ...] = ()  # types answered 403 everywhere ("trash": deleted=true lists)
    missing: tuple[str, ...] = ()  # types whose list endpoints answer 404
    max_limit: int | None = None  # the server caps limit at this many items
    ignore_limit: bool = False  # the server answers everything from the offset on
    total_count: bool = False  # send X-Total-Count when a request gives limit
    looker_release: str = "26.12.3"
    # --- caller knobs (mock/caller.py; off by default) ---
    api_user: str = "admin"  # "nonadmin": trimmed users, 403 for admin-only listings
    release: str | None = None  # "X.Y": /versions reports it, endpoints follow it
    api_version: str = "4.0"
    writable: bool = False  # serve the write endpoints a restore uses (mock/writes.py)
    forbid_writes: tuple[str, ...] = ()  # write kinds answered 403 (e.g. "dashboards")


@dataclass
class MockStats:
    """Counters of what the mock has served since start or the last reset."""

    requests: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    rate_limited: int = 0
    faults: int = 0
    drops: int = 0
    mutations: int = 0
    bursts: int = 0
    storms: int = 0
    stalls: int = 0
    bad_bodies: int = 0
    shifts: int = 0
    wrong_shapes: int = 0
    writes: int = 0  # write requests carried out (the writable knob)

    def injected(self) -> int:
        """Every fault the knobs injected (5xx, 429, drops, stalls, bad bodies, shifts...)."""
        return (self.rate_limited + self.faults + self.drops + self.stalls + self.bad_bodies) + (
            self.shifts + self.wrong_shapes
        )

    def as_dict(self) -> dict[str, Any]:
        """The counters as JSON-ready data (status codes become string keys)."""
        data = asdict(self)
        data["by_status"] = {str(code): n for code, n in sorted(self.by_status.items())}
        return data


@dataclass(frozen=True)
class Mutation:
    """One change the mutation knob applied while serving (sequence starts at 1)."""

    sequence: int
    operation: str
    content_type: str
    item_id: str
