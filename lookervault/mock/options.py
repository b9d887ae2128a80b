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
    # --- paging and refusal knobs (mock/paging.py; all off by default) ---
    forbid: tuple[str, ...] = ()  # types answered 403 everywhere ("trash": deleted=true lists)
    missing: tuple[str, ...] = ()  # types whose list endpoints answer 404
    max_limit: int | None = None  # the server caps limit at this many items
    ignore_limit: bool = False  # the server answers everything from the offset on
    total_count: bool = False  # send X-Total-Count when a request gives limit
    looker_release: str = "26.12.3"
    api_version: str = "4.0"


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
