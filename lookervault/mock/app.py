"""The mock Looker API 4.0: a raw ASGI application with cached pages and reproducible fault knobs.

Beside the basic knobs (latency, rate limit, 5xx faults, dropped connections, token expiry,
mutation) the chaos knobs model what real deployments and the proxies in front of them do: 5xx
bursts, 429 storms, responses that stall past a client's timeout, 200 answers whose body is
truncated JSON, an HTML error page or the wrong shape, list pages shifted by one item (duplicates
and gaps across pages) and one very large item. Every knob draws from a seeded random stream on
every request, so a schedule replays for the same sequence of requests.
"""

from __future__ import annotations

import logging
import math
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import anyio
import httpx
import orjson

from lookervault.config import parse_bool
from lookervault.mock.data import CONTENT_TYPES, MockData, canonical_hash, generate

__all__ = [
    "API_PREFIX",
    "BIG_ITEM_FIELD",
    "CONTROL_PREFIX",
    "DOCUMENTATION_URL",
    "FAULT_STATUSES",
    "MUTABLE_TYPES",
    "ROUTES",
    "DroppedConnectionError",
    "MockLooker",
    "MockOptions",
    "MockStats",
    "Mutation",
    "Route",
    "match_route",
]

logger = logging.getLogger(__name__)

_Scope = dict[str, Any]
_Receive = Callable[[], Awaitable[dict[str, Any]]]
_Send = Callable[[dict[str, Any]], Awaitable[None]]
_Headers = list[tuple[bytes, bytes]]

API_PREFIX = "/api/4.0"
CONTROL_PREFIX = "/__mock__"
DOCUMENTATION_URL = "https://cloud.google.com/looker/docs/r/api/support"
FAULT_STATUSES = (500, 502, 503)
_FAULT_MESSAGES = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable"}
# Types whose objects the mutation knob creates, updates and hard-deletes while serving.
MUTABLE_TYPES = ("dashboards", "looks", "users", "folders", "boards", "groups", "scheduled_plans")
_MUTATION_OPERATIONS = ("create", "update", "delete")
_SOFT_DELETE_TYPES = frozenset({"dashboards", "looks"})
# type -> (owner field, query flag that lifts the "only mine" default)
_OWNED_TYPES = {"scheduled_plans": ("user_id", "all_users"), "alerts": ("owner_id", "all_owners")}
# looker-sdk logs out through the version-less path, which Looker also serves.
_UNVERSIONED_LOGOUT = "/api/logout"
_JSON_HEADERS: _Headers = [(b"content-type", b"application/json; charset=utf-8")]
_TRUE_WORDS = frozenset({"true", "1"})
_FALSE_WORDS = frozenset({"false", "0"})
# The proxy error page the html_rate knob serves with status 200.
_HTML_ERROR_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>The upstream server did not answer.</p></body></html>"
)
_HTML_HEADERS: _Headers = [(b"content-type", b"text/html; charset=utf-8")]
# Not UTF-8 at all: \xff and \xfe never occur in UTF-8 text.
_NON_UTF8_BODY = b'[{"id": "\xff\xfe", "title": "caf\xe9"}]'
BIG_ITEM_FIELD = "x_mock_big_blob"  # the field the big_item_bytes knob fills
_PAGED = ("fields", "page", "per_page", "limit", "offset", "sorts")
_SEARCH = ("fields", "limit", "offset", "sorts")


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
    looker_release: str = "26.12.3"
    api_version: str = "4.0"


@dataclass(frozen=True)
class Route:
    """One operation the mock serves: method, spec path template (below /api/4.0), query params read."""

    method: str
    path: str
    params: tuple[str, ...] = ()
    kind: str = "list"
    content_type: str | None = None


def _list(path: str, content_type: str, *params: str) -> Route:
    return Route("GET", path, params, "list", content_type)


def _get(path: str, content_type: str, *params: str) -> Route:
    return Route("GET", path, params, "get", content_type)


ROUTES: tuple[Route, ...] = (
    Route("POST", "/login", ("client_id", "client_secret"), "login"),
    Route("DELETE", "/logout", (), "logout"),
    Route("GET", "/user", ("fields",), "me", "users"),
    Route("GET", "/versions", ("fields",), "versions"),
    Route("GET", "/content_metadata_access", ("content_metadata_id", "fields"), "access"),
    _list("/dashboards/search", "dashboards", *_PAGED, "deleted", "folder_id"),
    _list("/dashboards", "dashboards", "fields"),
    _list("/looks/search", "looks", *_PAGED, "deleted", "folder_id"),
    _list("/looks", "looks", "fields"),
    _list("/folders/search", "folders", *_PAGED),
    _list("/folders", "folders", "fields"),
    _list("/boards/search", "boards", *_PAGED),
    _list("/boards", "boards", "fields"),
    _list("/users/search", "users", *_PAGED),
    _list("/users", "users", *_PAGED, "ids"),
    _list("/groups/search", "groups", *_SEARCH),
    _list("/groups", "groups", *_PAGED, "ids"),
    _list("/roles/search", "roles", *_SEARCH),
    _list("/roles", "roles", "fields", "ids"),
    _list("/permission_sets/search", "permission_sets", *_SEARCH),
    _list("/permission_sets", "permission_sets", "fields"),
    _list("/model_sets/search", "model_sets", *_SEARCH),
    _list("/model_sets", "model_sets", "fields"),
    _list("/scheduled_plans/search", "scheduled_plans", *_SEARCH, "user_id", "all_users"),
    _list("/scheduled_plans", "scheduled_plans", "fields", "user_id", "all_users"),
    _list("/lookml_models", "lookml_models", "fields", "limit", "offset"),
    _list("/alerts/search", "alerts", "fields", "limit", "offset", "all_owners"),
    _list("/user_attributes", "user_attributes", "fields", "sorts"),
    _list("/themes/search", "themes", *_SEARCH),
    _list("/themes", "themes", "fields"),
    _get("/dashboards/{dashboard_id}", "dashboards", "fields"),
    _get("/looks/{look_id}", "looks", "fields"),
    _get("/folders/{folder_id}", "folders", "fields"),
    _get("/boards/{board_id}", "boards", "fields"),
    _get("/users/{user_id}", "users", "fields"),
    _get("/groups/{group_id}", "groups", "fields"),
    _get("/roles/{role_id}", "roles"),
    _get("/permission_sets/{permission_set_id}", "permission_sets", "fields"),
    _get("/model_sets/{model_set_id}", "model_sets", "fields"),
    _get("/scheduled_plans/{scheduled_plan_id}", "scheduled_plans", "fields"),
    _get("/lookml_models/{lookml_model_name}", "lookml_models", "fields"),
    _get("/lookml_models/{lookml_model_name}/explores/{explore_name}", "explores", "fields"),
    _get("/alerts/{alert_id}", "alerts"),
    _get("/user_attributes/{user_attribute_id}", "user_attributes", "fields"),
    _get("/themes/{theme_id}", "themes", "fields"),
)


class DroppedConnectionError(httpx.RemoteProtocolError):
    """Raised by the app to cut a response short on purpose (the drop_rate knob).

    In process (httpx.ASGITransport) the client sees this transport error directly; under uvicorn
    the server closes the socket mid-body and the client sees its own RemoteProtocolError.
    """


class _BadRequestError(Exception):
    """A query parameter value Looker would refuse with 400."""


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


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: _Headers = field(default_factory=list)
    content_headers: _Headers = field(default_factory=lambda: _JSON_HEADERS)


@dataclass(frozen=True)
class _Chaos:
    """What the chaos knobs decided for one request (drawn before routing, applied after)."""

    storm: bool = False
    stall: bool = False
    bad_json: bool = False
    html: bool = False
    shift: bool = False
    wrong_shape: bool = False
    wrong_item: bool = False
    variant: float = 0.0  # picks among the forms of a fault


def _error(status: int, message: str, headers: _Headers | None = None) -> _Response:
    body = orjson.dumps({"message": message, "documentation_url": DOCUMENTATION_URL})
    return _Response(status, body, headers or [])


def _not_found() -> _Response:
    return _error(404, "Not found")


def _id_key(item_id: str) -> tuple[int, int, str]:
    """Looker's ids are integers: sort "10" after "9"; names (lookml models) after numbers."""
    return (0, int(item_id), "") if item_id.isdigit() else (1, 0, item_id)


def _sort_value(value: Any) -> tuple[int, Any]:
    if value is None:
        return (3, "")
    if isinstance(value, bool | int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, orjson.dumps(value, option=orjson.OPT_SORT_KEYS))


def _parse_sorts(raw: str) -> tuple[tuple[str, bool], ...]:
    """ "title desc, id" -> (("title", True), ("id", False)); "desc" flags descending order."""
    keys = []
    for part in raw.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise _BadRequestError(f"Invalid sorts: {raw}")
        keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return tuple(keys)


def _parse_fields(raw: str) -> tuple[str, ...] | None:
    """Top-level names of a Looker fields list ("id,title,dashboard_elements(id,title)")."""
    names, depth, current = [], 0, []
    for char in raw + ",":
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            name = "".join(current).strip()
            if name:
                names.append(name)
            current = []
        elif depth == 0:
            current.append(char)
    return tuple(names) or None


def _parse_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise _BadRequestError(f"{name} must be an integer") from None
    if value < 0:
        raise _BadRequestError(f"{name} must not be negative")
    return value


def _parse_bool(name: str, raw: str) -> bool:
    try:
        return parse_bool(raw, true=_TRUE_WORDS, false=_FALSE_WORDS)
    except ValueError:
        raise _BadRequestError(f"{name} must be true or false") from None


def _project(obj: dict[str, Any], fields: tuple[str, ...] | None) -> dict[str, Any]:
    return obj if fields is None else {name: obj[name] for name in fields if name in obj}


def _bearer_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() in ("token", "bearer") and token.strip():
                return token.strip()
    return None


def _header(headers: Iterable[tuple[bytes, bytes]], wanted: bytes) -> str | None:
    for name, value in headers:
        if name == wanted:
            return value.decode("latin-1")
    return None


def _compile_routes() -> tuple[dict[tuple[str, str], Route], list[tuple[Route, list[str]]]]:
    static, templated = {}, []
    for route in ROUTES:
        if "{" in route.path:
            templated.append((route, route.path.strip("/").split("/")))
        else:
            static[(route.method, route.path)] = route
    return static, templated


_STATIC_ROUTES, _TEMPLATED_ROUTES = _compile_routes()


def match_route(method: str, path: str) -> tuple[Route, list[str]] | None:
    """The route serving method + path (below the API prefix) and its path arguments, if any."""
    route = _STATIC_ROUTES.get((method, path))
    if route is not None:
        return route, []
    segments = path.strip("/").split("/")
    for candidate, pattern in _TEMPLATED_ROUTES:
        if candidate.method != method or len(pattern) != len(segments):
            continue
        args = []
        for want, got in zip(pattern, segments, strict=True):
            if want.startswith("{"):
                if not got:
                    break
                args.append(got)
            elif want != got:
                break
        else:
            return candidate, args
    return None


class _TokenBucket:
    """Global rate limit: `rate` requests per second with a one-second burst."""

    def __init__(self, rate: float, clock: Callable[[], float]) -> None:
        self._rate, self._clock = rate, clock
        self._capacity = max(1.0, rate)
        self._tokens, self._last = self._capacity, clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class MockLooker:
    """The mock Looker as an ASGI 3 application over generated MockData.

    Args:
        options: behaviour knobs; defaults to MockOptions().
        data: the objects to serve; generated from options (seed, preset, counts) when omitted.
        clock: monotonic seconds, injectable so tests can expire tokens and refill the rate limit.

    Speed (measured on the M preset, uvicorn+uvloop+httptools pinned to one core, a raw
    keep-alive client with 8 connections on another): about 3,700-4,000 pages/s of
    `GET /api/4.0/users/search?limit=100` (170 KB each), about 4,900/s with `fields=id`.
    A single httpx client process tops out near 400 such pages/s: it, not the mock, is the limit.
    The app is not thread-safe: from another thread read the truth via /__mock__/ground_truth.
    """

    def __init__(
        self,
        options: MockOptions | None = None,
        data: MockData | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options or MockOptions()
        opts = self.options
        self.data = data or generate(opts.seed, opts.counts, preset=opts.preset)
        if opts.big_item_bytes > 0:
            _add_big_item(self.data, opts.big_item_bytes)
        self.stats = MockStats()
        # Tokens handed out, so a test can grep for them in output, logs and the vault.
        self.issued_tokens: list[str] = []
        self.mutation_log: list[Mutation] = []
        self._clock = clock
        self._tokens: dict[str, float] = {}
        self._bucket = _TokenBucket(opts.rate_limit_per_s, clock) if opts.rate_limit_per_s else None
        self._fault_rng = random.Random(f"{opts.seed}:faults")
        self._latency_rng = random.Random(f"{opts.seed}:latency")
        self._mutation_rng = random.Random(f"{opts.seed}:mutations")
        self._chaos_rng = random.Random(f"{opts.seed}:chaos")
        self._burst: tuple[int, int] = (0, 0)  # (status, API requests it still answers)
        self._storm_until = -math.inf
        self._api_requests = 0
        self._sorted: dict[str, list[str]] = {}
        self._same_shapes: dict[str, bool] = {}
        self._views: dict[str, dict[tuple[Any, ...], list[str]]] = {t: {} for t in CONTENT_TYPES}
        self._encoded: dict[str, dict[tuple[Any, ...], dict[str, tuple[dict, bytes]]]] = {
            t: {} for t in CONTENT_TYPES
        }
        self._warm_caches()

    # ----- ground truth and control -------------------------------------------------------------

    def ground_truth(self) -> dict[str, dict[str, Any]]:
        """Every object by type (trash included) plus the access list of each folder and board."""
        truth: dict[str, dict[str, Any]] = {t: dict(self.data.objects[t]) for t in CONTENT_TYPES}
        access = {}
        for content_type in ("folders", "boards"):
            for obj in self.data.objects[content_type].values():
                cmid = obj.get("content_metadata_id")
                if cmid is not None:
                    access[str(cmid)] = self.data.content_metadata_access.get(str(cmid), [])
        truth["content_metadata_access"] = access
        return truth

    def ground_truth_hashes(self) -> dict[str, dict[str, str]]:
        """ground_truth() with each value replaced by its canonical hash."""
        return {
            kind: {key: canonical_hash(value) for key, value in items.items()}
            for kind, items in self.ground_truth().items()
        }

    def _control(self, method: str, path: str, query: dict[str, str]) -> _Response:
        if method == "GET" and path == "/ground_truth":
            hashes = query.get("hashes", "") in _TRUE_WORDS
            truth = self.ground_truth_hashes() if hashes else self.ground_truth()
            return _Response(200, orjson.dumps(truth))
        if method == "GET" and path == "/stats":
            data = self.stats.as_dict()
            data["mutation_log"] = [asdict(m) for m in self.mutation_log]
            return _Response(200, orjson.dumps(data))
        if method == "POST" and path == "/reset_stats":
            self.stats = MockStats()
            return _Response(204)
        return _not_found()

    # ----- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        """Serve one ASGI connection scope (http or lifespan)."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        if path.startswith(CONTROL_PREFIX + "/"):
            await _send(send, self._control(method, path[len(CONTROL_PREFIX) :], query))
            return
        drop = False
        if path == _UNVERSIONED_LOGOUT:
            path = API_PREFIX + "/logout"
        if path.startswith(API_PREFIX + "/"):
            response, drop = await self._api(scope, receive, path[len(API_PREFIX) :], query)
        else:
            response = _not_found()
        if drop:
            self.stats.drops += 1
            await _send_truncated(send, response)
        self.stats.by_status[response.status] = self.stats.by_status.get(response.status, 0) + 1
        await _send(send, response)

    async def _lifespan(self, receive: _Receive, send: _Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _api(
        self, scope: _Scope, receive: _Receive, path: str, query: dict[str, str]
    ) -> tuple[_Response, bool]:
        """Apply the knobs (latency, rate limit, fault, drop, mutation), then auth, then route.

        Returns the response and whether to drop the connection while sending it. /login is
        exempt from every knob but latency, so a client can always get a token.
        """
        self.stats.requests += 1
        matched = match_route(scope["method"], path)
        await self._sleep_latency()
        if matched is not None and matched[0].kind == "login":
            return await self._login(receive, query), False
        refused, drop = self._apply_knobs()
        if refused is not None:
            return refused, False
        chaos = self._draw_chaos()
        if self._storming(chaos):
            return self._rate_limited(), False
        if chaos.stall:
            self.stats.stalls += 1
            await anyio.sleep(self.options.stall_s)
        if matched is None:
            return _not_found(), drop
        route, args = matched
        if route.kind != "versions" and not self._authenticated(scope["headers"]):
            return _error(401, "Requires authentication."), drop
        try:
            response = self._dispatch(route, args, query, scope, shift=self._shift(chaos, query))
        except _BadRequestError as exc:
            return _error(400, str(exc)), drop
        return self._corrupt(route, response, chaos, query), drop

    def _apply_knobs(self) -> tuple[_Response | None, bool]:
        """(a 429/5xx answer or None, drop?); both draws happen every time so runs replay."""
        opts = self.options
        self._api_requests += 1
        if self._bucket is not None and not self._bucket.take():
            return self._rate_limited(), False
        burst_status, burst_left = self._burst
        if burst_left > 0:
            self._burst = (burst_status, burst_left - 1)
            self.stats.faults += 1
            return _error(burst_status, _FAULT_MESSAGES[burst_status]), False
        fault_draw, drop_draw = self._fault_rng.random(), self._fault_rng.random()
        if fault_draw < opts.fault_rate:
            self.stats.faults += 1
            # Given a fault, draw/rate is uniform on [0, 1): reuse it to pick the status.
            index = int(fault_draw / opts.fault_rate * len(FAULT_STATUSES))
            status = FAULT_STATUSES[min(index, len(FAULT_STATUSES) - 1)]
            if opts.fault_burst > 1:
                self.stats.bursts += 1
                self._burst = (status, opts.fault_burst - 1)
            return _error(status, _FAULT_MESSAGES[status]), False
        if opts.mutate_every and self._api_requests % opts.mutate_every == 0:
            self._mutate()
        return None, drop_draw < opts.drop_rate

    def _draw_chaos(self) -> _Chaos:
        """Draw every chaos knob, every time, so the same request sequence replays exactly."""
        opts, rng = self.options, self._chaos_rng
        rates = (
            opts.storm_rate,
            opts.stall_rate,
            opts.bad_json_rate,
            opts.html_rate,
            opts.shift_rate,
            opts.wrong_shape_rate,
            opts.wrong_item_rate,
        )
        hits = [rng.random() < rate for rate in rates]
        return _Chaos(*hits, variant=rng.random())

    def _storming(self, chaos: _Chaos) -> bool:
        """Whether a 429 storm is on (a drawn storm starts one lasting storm_s)."""
        now = self._clock()
        if chaos.storm and now >= self._storm_until:
            self.stats.storms += 1
            self._storm_until = now + self.options.storm_s
        return now < self._storm_until

    def _shift(self, chaos: _Chaos, query: dict[str, str]) -> int:
        """-1 repeats the previous page's last item, +1 skips one; only on pages past the first.

        The first page (offset 0) stays put, as it does on a real server whose content moves.
        """
        if not chaos.shift or not query.get("offset", "0").strip("0"):
            return 0
        self.stats.shifts += 1
        return -1 if chaos.variant < 0.5 else 1

    def _may_misshape(self, query: dict[str, str]) -> bool:
        return self.options.wrong_shape_listings or not query.get("fields")

    def _corrupt(
        self, route: Route, response: _Response, chaos: _Chaos, query: dict[str, str]
    ) -> _Response:
        """Spoil a 200 answer the way the drawn chaos says (bad JSON, HTML, wrong shape)."""
        if response.status != 200 or route.kind in ("versions", "logout"):
            return response
        if chaos.bad_json:
            self.stats.bad_bodies += 1
            cut = response.body[: len(response.body) // 2]
            return _Response(200, cut if chaos.variant < 0.5 else b'{"id": 1,, oops')
        if chaos.html:
            self.stats.bad_bodies += 1
            return _Response(200, _HTML_ERROR_PAGE, content_headers=_HTML_HEADERS)
        if chaos.wrong_shape and route.kind == "list" and self._may_misshape(query):
            self.stats.wrong_shapes += 1
            return _Response(200, _wrong_list(response.body, chaos.variant))
        if chaos.wrong_item and route.kind in ("get", "access"):
            self.stats.wrong_shapes += 1
            wrong = _wrong_list if route.kind == "access" else _wrong_item
            return _Response(200, wrong(response.body, chaos.variant))
        return response

    async def _sleep_latency(self) -> None:
        opts = self.options
        if opts.latency_ms <= 0 and opts.latency_jitter_ms <= 0:
            return
        delay_ms = self._latency_rng.gauss(opts.latency_ms, opts.latency_jitter_ms)
        await anyio.sleep(max(0.0, delay_ms) / 1000.0)

    def _rate_limited(self) -> _Response:
        self.stats.rate_limited += 1
        headers = [(b"x-looker-rate-limited", b"true")]
        if self.options.retry_after_s is not None:
            headers.append((b"retry-after", str(math.ceil(self.options.retry_after_s)).encode()))
        return _error(429, "Too Many Requests", headers)

    # ----- auth ---------------------------------------------------------------------------------

    async def _login(self, receive: _Receive, query: dict[str, str]) -> _Response:
        form = dict(query)
        form.update(parse_qsl((await _read_body(receive)).decode("utf-8", "replace")))
        opts = self.options
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if not (
            client_id is not None
            and client_secret is not None
            and secrets.compare_digest(client_id.encode(), opts.client_id.encode())
            and secrets.compare_digest(client_secret.encode(), opts.client_secret.encode())
        ):
            return _not_found()
        token = secrets.token_urlsafe(30)
        self._tokens[token] = self._clock() + opts.token_ttl_s
        self.issued_tokens.append(token)
        # Looker's expires_in is whole seconds; rounding a test's sub-second TTL down to 0 would
        # read as "no expiry given" to clients, so round up.
        expires_in = math.ceil(opts.token_ttl_s)
        body = {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}
        return _Response(200, orjson.dumps(body))

    def _authenticated(self, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        token = _bearer_token(headers) or ""
        expiry = self._tokens.get(token)
        if expiry is not None and self._clock() >= expiry:
            del self._tokens[token]
            return False
        return expiry is not None

    # ----- routing ------------------------------------------------------------------------------

    def _dispatch(
        self, route: Route, args: list[str], query: dict[str, str], scope: _Scope, shift: int = 0
    ) -> _Response:
        if route.kind == "list":
            return self._list(route, query, shift)
        if route.kind == "get":
            return self._get(route, args, query)
        if route.kind == "me":
            return self._get(route, [self.data.me_id], query)
        if route.kind == "access":
            return self._access(query)
        if route.kind == "logout":
            self._tokens.pop(_bearer_token(scope["headers"]) or "", None)
            return _Response(204)
        return self._versions(scope, query)

    def _get(self, route: Route, args: list[str], query: dict[str, str]) -> _Response:
        content_type = route.content_type or ""
        item_id = "::".join(args)
        if item_id not in self.data.objects[content_type]:
            return _not_found()
        fields = _parse_fields(query.get("fields", "")) if "fields" in route.params else None
        return _Response(200, self._encode_items(content_type, "full", fields, [item_id]))

    def _list(self, route: Route, query: dict[str, str], shift: int = 0) -> _Response:
        content_type = route.content_type or ""
        read = _Reader(route, query)
        fields = _parse_fields(read.text("fields") or "")
        sorts = _parse_sorts(read.text("sorts") or "")
        filters = self._filters(content_type, read)
        offset, limit = read.window()
        offset = max(0, offset + shift)
        ids = self._view(content_type, filters, sorts)
        wanted = read.text("ids")
        if wanted:  # the SDK sends a comma-separated list
            chosen = {part.strip() for part in wanted.split(",")}
            ids = [item_id for item_id in ids if item_id in chosen]
        page = ids[offset:] if limit is None else ids[offset : offset + limit]
        return _Response(200, self._encode_items(content_type, "list", fields, page, join=True))

    def _filters(self, content_type: str, read: _Reader) -> tuple[tuple[str, Any], ...]:
        filters: list[tuple[str, Any]] = []
        if content_type in _SOFT_DELETE_TYPES:
            filters.append(("deleted", read.flag("deleted") or False))
        folder_id = read.text("folder_id")
        if folder_id is not None:
            filters.append(("folder_id", folder_id))
        if content_type in _OWNED_TYPES:
            owner_field, everyone_flag = _OWNED_TYPES[content_type]
            owner = read.text("user_id") or self.data.me_id
            if not read.flag(everyone_flag) or read.text("user_id"):
                filters.append((owner_field, owner))
        return tuple(filters)

    def _access(self, query: dict[str, str]) -> _Response:
        cmid = query.get("content_metadata_id")
        if not cmid:
            raise _BadRequestError("content_metadata_id is required")
        entries = self.data.content_metadata_access.get(cmid)
        if entries is None:
            return _not_found()
        fields = _parse_fields(query.get("fields", ""))
        return _Response(200, orjson.dumps([_project(entry, fields) for entry in entries]))

    def _versions(self, scope: _Scope, query: dict[str, str]) -> _Response:
        host = _header(scope["headers"], b"host") or "localhost"
        base = f"{scope.get('scheme', 'http')}://{host}"
        version = self.options.api_version
        current = {
            "version": version,
            "full_version": f"{version}.{self.options.looker_release}",
            "status": "current",
            "swagger_url": f"{base}/api/{version}/swagger.json",
        }
        body = {
            "looker_release_version": self.options.looker_release,
            "current_version": current,
            "supported_versions": [current],
            "api_server_url": base,
            "web_server_url": base,
        }
        return _Response(200, orjson.dumps(_project(body, _parse_fields(query.get("fields", "")))))

    # ----- caches -------------------------------------------------------------------------------

    def _warm_caches(self) -> None:
        """Serialize every object up front so the first pages are as fast as the later ones."""
        for content_type in CONTENT_TYPES:
            ids = self._sorted_ids(content_type)
            self._encode_items(content_type, "list", None, ids)
            self._encode_items(content_type, "list", ("id",), ids)

    def _sorted_ids(self, content_type: str) -> list[str]:
        ids = self._sorted.get(content_type)
        if ids is None:
            ids = self._sorted[content_type] = sorted(self.data.objects[content_type], key=_id_key)
        return ids

    def _view(
        self, content_type: str, filters: tuple[tuple[str, Any], ...], sorts: tuple[Any, ...]
    ) -> list[str]:
        """Ids matching the filters in the requested order, cached until the type mutates."""
        key = (filters, sorts)
        views = self._views[content_type]
        ids = views.get(key)
        if ids is None:
            objects = self.data.objects[content_type]
            ids = [
                item_id
                for item_id in self._sorted_ids(content_type)
                if all(objects[item_id].get(name) == value for name, value in filters)
            ]
            for name, descending in reversed(sorts):
                if name == "id":
                    ids.sort(key=_id_key, reverse=descending)
                else:
                    ids.sort(key=lambda i: _sort_value(objects[i].get(name)), reverse=descending)
            views[key] = ids
        return ids

    def _encode_items(
        self,
        content_type: str,
        shape: str,
        fields: tuple[str, ...] | None,
        ids: list[str],
        *,
        join: bool = False,
    ) -> bytes:
        """JSON of one object (join=False) or an array of objects, built from cached bytes.

        MockData replaces an object's dict whenever it changes (even as a side effect, like a
        parent folder's child_count), so an entry is fresh while it holds the current dict.
        """
        objects = self.data.objects[content_type]
        if shape == "list" and self._list_is_full(content_type):
            shape = "full"  # one cache, not two copies of the same bytes
        cache = self._encoded[content_type].setdefault((shape, fields), {})
        chunks = []
        for item_id in ids:
            obj = objects[item_id]
            entry = cache.get(item_id)
            if entry is None or entry[0] is not obj:
                shaped = self.data.list_item(content_type, obj) if shape == "list" else obj
                entry = cache[item_id] = (obj, orjson.dumps(_project(shaped, fields)))
            chunks.append(entry[1])
        if join:
            return b"[" + b",".join(chunks) + b"]"
        return chunks[0] if chunks else b""

    def _list_is_full(self, content_type: str) -> bool:
        """Whether list_item returns objects of this type unchanged (all but looks)."""
        known = self._same_shapes.get(content_type)
        if known is None:
            sample = next(iter(self.data.objects[content_type].values()), None)
            if sample is None:
                return False
            known = self._same_shapes[content_type] = (
                self.data.list_item(content_type, sample) is sample
            )
        return known

    def _forget(self, content_type: str, item_id: str) -> None:
        if item_id not in self.data.objects[content_type]:
            for cache in self._encoded[content_type].values():
                cache.pop(item_id, None)
        self._views[content_type].clear()
        self._sorted.pop(content_type, None)

    # ----- mutation -----------------------------------------------------------------------------

    def _mutate(self) -> None:
        """Apply the next create/update/delete of the seeded cycle."""
        operation = _MUTATION_OPERATIONS[len(self.mutation_log) % len(_MUTATION_OPERATIONS)]
        content_type = self._mutation_rng.choice(MUTABLE_TYPES)
        candidates = [i for i in self._sorted_ids(content_type) if i != self.data.me_id]
        if operation != "create" and not candidates:
            operation = "create"
        if operation == "create":
            item_id = str(self.data.create(content_type)["id"])
        else:
            item_id = self._mutation_rng.choice(candidates)
            if operation == "update":
                self.data.update(content_type, item_id)
            else:
                self.data.delete(content_type, item_id)
        self._forget(content_type, item_id)
        sequence = len(self.mutation_log) + 1
        self.mutation_log.append(Mutation(sequence, operation, content_type, item_id))
        self.stats.mutations += 1
        logger.debug("mock mutation %d: %s %s %s", sequence, operation, content_type, item_id)


class _Reader:
    """Reads only the query parameters the route's spec operation declares; ignores the rest."""

    def __init__(self, route: Route, query: dict[str, str]) -> None:
        self._params, self._query = route.params, query

    def text(self, name: str) -> str | None:
        return self._query.get(name) if name in self._params else None

    def flag(self, name: str) -> bool | None:
        raw = self.text(name)
        return None if raw is None or raw == "" else _parse_bool(name, raw)

    def number(self, name: str) -> int | None:
        raw = self.text(name)
        return None if raw is None or raw == "" else _parse_int(name, raw)

    def window(self) -> tuple[int, int | None]:
        """(offset, limit); limit/offset win over the deprecated page/per_page."""
        limit, offset = self.number("limit"), self.number("offset")
        page, per_page = self.number("page"), self.number("per_page")
        if limit is None and offset is None and per_page is not None:
            return max(0, (page or 1) - 1) * per_page, per_page
        return offset or 0, limit


async def _read_body(receive: _Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _add_big_item(data: MockData, size: int) -> None:
    """Give the first dashboard one field of `size` bytes (replacing the dict marks it changed)."""
    objects = data.objects["dashboards"]
    if not objects:
        return
    first = min(objects, key=_id_key)
    objects[first] = {**objects[first], BIG_ITEM_FIELD: "x" * size}


def _wrong_list(body: bytes, variant: float) -> bytes:
    """A list answer gone wrong: an object where the list belongs, an item without id, bad bytes."""
    if variant < 1 / 3:
        return b'{"items": ' + body + b"}"
    if variant < 2 / 3:
        items = orjson.loads(body)
        if items and isinstance(items[0], dict):
            items[0] = {k: v for k, v in items[0].items() if k not in ("id", "name")}
        return orjson.dumps(items) if items else b'[{"title": "no id"}]'
    return _NON_UTF8_BODY


def _wrong_item(body: bytes, variant: float) -> bytes:
    """A get-by-id answer gone wrong: a list where the object belongs, or the object without id."""
    obj = orjson.loads(body)
    if variant < 0.5 or not isinstance(obj, dict):
        return orjson.dumps([obj])
    return orjson.dumps({k: v for k, v in obj.items() if k not in ("id", "name")})


async def _send(send: _Send, response: _Response) -> None:
    headers = [
        *response.content_headers,
        (b"content-length", str(len(response.body)).encode()),
        *response.headers,
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def _send_truncated(send: _Send, response: _Response) -> None:
    """Announce the full length, send half the body, then fail so the connection breaks."""
    headers = [
        *response.content_headers,
        (b"content-length", str(len(response.body)).encode()),
        *response.headers,
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    body = response.body[: len(response.body) // 2]
    await send({"type": "http.response.body", "body": body, "more_body": True})
    raise DroppedConnectionError("mock dropped the connection mid-response")
