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
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

import anyio
import orjson

from lookervault.mock.caller import Caller
from lookervault.mock.chaos import (
    _FAULT_MESSAGES,
    _HTML_ERROR_PAGE,
    _HTML_HEADERS,
    FAULT_STATUSES,
    _add_big_item,
    _Chaos,
    _send_truncated,
    _wrong_item,
    _wrong_list,
)
from lookervault.mock.control import CONTROL_PREFIX, handle_control
from lookervault.mock.data import MockData, canonical_hash, generate
from lookervault.mock.limits import RateLimits
from lookervault.mock.options import MockOptions, MockStats, Mutation
from lookervault.mock.paging import capped_limit, refusal, total_count_headers
from lookervault.mock.presets import CONTENT_TYPES
from lookervault.mock.related import Related, too_big_page
from lookervault.mock.responses import (
    _bearer_token,
    _error,
    _header,
    _not_found,
    _read_body,
    _Receive,
    _Response,
    _Scope,
    _Send,
    _send,
)
from lookervault.mock.routes import (
    _UNVERSIONED_LOGOUT,
    API_PREFIX,
    Route,
    _BadRequestError,
    _id_key,
    _parse_fields,
    _parse_sorts,
    _project,
    _Reader,
    _sort_value,
    match_route,
)
from lookervault.mock.use import view_one
from lookervault.mock.writes import WRITE_METHODS, MockWrites

__all__ = ["API_PREFIX", "MUTABLE_TYPES", "MockLooker", "MockOptions"]

logger = logging.getLogger(__name__)


# Types whose objects the mutation knob creates, updates and hard-deletes while serving.
MUTABLE_TYPES = ("dashboards", "looks", "users", "folders", "boards", "groups", "scheduled_plans")
_MUTATION_OPERATIONS = ("create", "update", "delete")
_SOFT_DELETE_TYPES = frozenset({"dashboards", "looks"})
# type -> (owner field, query flag that lifts the "only mine" default)
_OWNED_TYPES = {"scheduled_plans": ("user_id", "all_users"), "alerts": ("owner_id", "all_owners")}


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
        if self.options.release:  # --release X.Y: what /versions reports
            self.options = replace(self.options, looker_release=f"{self.options.release}.0")
        opts = self.options
        self.data = data or generate(opts.seed, opts.counts, preset=opts.preset)
        if opts.big_item_bytes > 0:
            _add_big_item(self.data, opts.big_item_bytes)
        self.related = Related(self.data, opts)  # memberships, metadata, merge queries...
        self.stats = MockStats()
        self.caller = Caller(opts, self.data)  # --api-user, --release
        # Tokens handed out, so a test can grep for them in output, logs and the vault.
        self.issued_tokens: list[str] = []
        self.mutation_log: list[Mutation] = []
        self._clock = clock
        self._tokens: dict[str, float] = {}
        self._bucket = RateLimits.build(
            opts.rate_limit_per_s, opts.rate_limit_burst, opts.rate_limit_per_minute, clock
        )
        self._fault_rng = random.Random(f"{opts.seed}:faults")
        self._latency_rng = random.Random(f"{opts.seed}:latency")
        self._mutation_rng = random.Random(f"{opts.seed}:mutations")
        self._chaos_rng = random.Random(f"{opts.seed}:chaos")
        self._use_rng = random.Random(f"{opts.seed}:use")
        self.views = 0  # views simulated (views_every, simulate_use)
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
        self.writes = MockWrites(self) if opts.writable else None

    # ----- ground truth -------------------------------------------------------------------------

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
        truth.update(self.related.ground_truth())
        return truth

    def ground_truth_hashes(self) -> dict[str, dict[str, str]]:
        """ground_truth() with each value replaced by its canonical hash."""
        return {
            kind: {key: canonical_hash(value) for key, value in items.items()}
            for kind, items in self.ground_truth().items()
        }

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
        if path.startswith(CONTROL_PREFIX + "/hard_delete") and self.writes is not None:
            await _send(send, self.writes.admin(method, path[len(CONTROL_PREFIX) :]))
            return
        if path.startswith(CONTROL_PREFIX + "/"):
            await _send(send, handle_control(self, method, path[len(CONTROL_PREFIX) :], query))
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
            return await self._write(scope, receive, path), drop
        route, args = matched
        if route.kind != "versions" and not self._authenticated(scope["headers"]):
            return _error(401, "Requires authentication."), drop
        if self.caller.active and (refused := self.caller.refuse(route, query)) is not None:
            return refused, drop
        refused = refusal(self.options, route, query)
        if refused is not None:
            return refused, drop
        try:
            response = self._dispatch(route, args, query, scope, shift=self._shift(chaos, query))
        except _BadRequestError as exc:
            return _error(400, str(exc)), drop
        if self.caller.active:
            response = self.caller.reshape(route, query, response)
        return self._corrupt(route, response, chaos, query), drop

    async def _write(self, scope: _Scope, receive: _Receive, path: str) -> _Response:
        """A write endpoint's answer (the writable knob), or 404 as the read-only mock answers."""
        if self.writes is None or scope["method"] not in WRITE_METHODS:
            return _not_found()
        if not self._authenticated(scope["headers"]):
            return _error(401, "Requires authentication.")
        body = await _read_body(receive)
        return self.writes.handle(scope["method"], path, body) or _not_found()

    def _apply_knobs(self) -> tuple[_Response | None, bool]:
        """(a 429/5xx answer or None, drop?); both draws happen every time so runs replay."""
        opts = self.options
        self._api_requests += 1
        if self._bucket is not None and not self._bucket.admit():
            return self._rate_limited(self._bucket.retry_after), False
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
        if opts.views_every and self._api_requests % opts.views_every == 0:
            self.simulate_use(1)
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

    def _rate_limited(self, wait: float | None = None) -> _Response:
        self.stats.rate_limited += 1
        headers = [(b"x-looker-rate-limited", b"true")]
        if self.options.retry_after_s is not None:
            wait = self.options.retry_after_s  # the knob wins over a limit's own estimate
        if wait is not None:
            headers.append((b"retry-after", str(math.ceil(wait)).encode()))
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
        if route.kind == "user_roles":
            return self.caller.user_roles(args[0])
        if route.kind == "related":
            return self.related.serve(route.path, args, query)
        if route.kind == "logout":
            self._tokens.pop(_bearer_token(scope["headers"]) or "", None)
            return _Response(204)
        return self._versions(scope, query)

    def _get(self, route: Route, args: list[str], query: dict[str, str]) -> _Response:
        content_type = route.content_type or ""
        item_id = "::".join(args)
        lookml = (
            self.related.get_dashboard(item_id, query) if content_type == "dashboards" else None
        )
        if lookml is not None:
            return lookml
        if content_type == "explores" and self.related.explore_missing(*args):
            return _not_found()
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
        offset, asked = read.window()
        offset, limit = max(0, offset + shift), capped_limit(self.options, asked)
        ids = self._view(content_type, filters, sorts)
        wanted = read.text("ids")
        if wanted:  # the SDK sends a comma-separated list
            chosen = {part.strip() for part in wanted.split(",")}
            ids = [item_id for item_id in ids if item_id in chosen]
        page = ids[offset:] if limit is None else ids[offset : offset + limit]
        timeout = too_big_page(self.options, limit, read.text("fields"), len(page))
        if timeout is not None:
            return timeout
        body = self._encode_items(content_type, "list", fields, page, join=True)
        if route.path == "/dashboards":
            body = self.related.list_dashboards(body, query)
        return _Response(200, body, total_count_headers(self.options, asked, len(ids)))

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

    def _forget_type(self, content_type: str) -> None:
        """Drop every cached view and encoding of a type a write changed."""
        if content_type in self._encoded:
            for cache in self._encoded[content_type].values():
                cache.clear()
            self._views[content_type].clear()
            self._sorted.pop(content_type, None)

    def simulate_use(self, views: int) -> int:
        """Someone views ``views`` random dashboards and looks (telemetry moves, updated_at not)."""
        done = 0
        for _ in range(views):
            viewed = view_one(self.data, self._use_rng)
            if viewed is not None:
                self._forget(*viewed)
                done += 1
        self.views += done
        return done

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
