"""The drain: replay the requests an extract makes, at the same concurrency, and throw the answers away.

`plan_requests` walks the mock once (untimed) to list every request `lookervault extract` makes for
the registry in lookervault.content: the pre-flight (`/versions`, `/user`, the user's roles), id
listings (twice: before the pages and to reconcile), the pages of every paged type and variant, the
per-item fetches of types with `fetch_detail`, the single-page lists and the child requests
(explores, content metadata access). `python -m benchmarks.drain` then logs in, fetches that list
with httpx (on uvloop, like the extractor), logs out, and reports its own elapsed time: the most
the server can deliver to one Python process on this machine.

`elapsed_s` spans the login to the logout, as the extract's `report.elapsed_s` does (its session
begins with the login and ends with the logout; no client can send a request before the one or
leave out the other), and `requests` counts the login, as the extract's does. `fetch_s` is the
span of the listed requests alone (the drain's `elapsed_s` before 2026-12-02).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio
import httpx
import orjson

from lookervault.config import API_PATH, DEFAULT_PAGE_SIZE, ID_LISTING_PAGE_SIZE
from lookervault.content import CONTENT_TYPES, ChildSource, ContentType, ListSource
from lookervault.looker.listing import total_count
from lookervault.looker.pools import PooledClients, open_client

__all__ = ["drain", "login", "login_form", "plan_requests", "token_of"]

_LISTINGS_PER_TYPE = 2  # the extractor lists ids before the pages and again to reconcile
_TIMEOUT_S = 120.0
_LOGIN = f"{API_PATH}/login"


def login_form(client_id: str, client_secret: str) -> dict[str, str]:
    """The POST /login form body, as the extract sends it."""
    return {"client_id": client_id, "client_secret": client_secret}


def token_of(answer: httpx.Response) -> str:
    """The access token in a POST /login answer (an error status raises)."""
    answer.raise_for_status()
    return answer.json()["access_token"]


def login(http: httpx.Client, base_url: str, client_id: str, client_secret: str) -> str:
    """An access token from POST /login (the untimed planner's; the drain sends the same form)."""
    return token_of(http.post(f"{base_url}{_LOGIN}", data=login_form(client_id, client_secret)))


def _url(path: str, params: dict[str, Any]) -> str:
    return f"{API_PATH}{path}?{urlencode(params)}" if params else f"{API_PATH}{path}"


# An end rule: (the page's rows, rows seen so far with them, X-Total-Count or None) -> last page?
EndRule = Callable[[list[Any], int, "int | None"], bool]


def _confirmed_end(rows: list[Any], seen: int, total: int | None) -> bool:
    """The extract's listing (lookervault.looker.listing.confirmed_pages): an empty page ends,
    or X-Total-Count reached; a short page alone does not (a server may cap `limit`)."""
    return not rows or (total is not None and seen >= total)


def _short_page_end(rows: list[Any], seen: int, total: int | None) -> bool:
    """A parent's list as child keys are read from it: some are not paged, so a short page ends."""
    return len(rows) < ID_LISTING_PAGE_SIZE


def _walk(
    http: httpx.Client, path: str, params: dict[str, Any], ended: EndRule
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Each page's offset and rows, the offset advancing by the rows sent, until `ended`."""
    seen = 0
    while True:
        page = http.get(_url(path, {**params, "limit": ID_LISTING_PAGE_SIZE, "offset": seen}))
        page.raise_for_status()
        rows = page.json()
        yield seen, rows
        seen += len(rows)
        if ended(rows, seen, total_count(page.headers)):
            return


def _plan_list(http: httpx.Client, ct: ContentType, src: ListSource, page_size: int) -> list[str]:
    urls: list[str] = []
    sort = {"sorts": src.sort} if src.sort else {}
    page_size = min(page_size, src.page_size or page_size)  # dashboards page at 25
    if not src.paged:  # one request per variant; its ids name the items fetched one by one
        urls = [_url(src.path, {**src.params, **variant}) for variant in src.variants]
        ids = [str(row[ct.id_key]) for url in urls for row in http.get(url).json()]
        return urls + _detail_urls(ct, src, ids)
    ids: list[str] = []
    for variant in src.variants:
        base = {**src.params, **variant}
        listing = {**base, "fields": ct.id_key, **sort}
        walked = list(_walk(http, src.path, listing, _confirmed_end))
        found = [str(row[ct.id_key]) for _, rows in walked for row in rows]
        ids += found
        for offset, _ in walked:
            page = {**listing, "limit": ID_LISTING_PAGE_SIZE, "offset": offset}
            urls += [_url(src.path, page)] * _LISTINGS_PER_TYPE
        # The pages up to the last the listing counted (at least the first one).
        last = max(len(found) - 1, 0) // page_size * page_size
        for offset in range(0, last + 1, page_size):
            urls.append(_url(src.path, {**base, "limit": page_size, "offset": offset, **sort}))
    return urls + _detail_urls(ct, src, ids)


def _detail_urls(ct: ContentType, src: ListSource, ids: list[str]) -> list[str]:
    if not ct.fetch_detail:
        return []
    return [_url(ct.item_path(quote(i, safe="")) or "", {}) for i in ids if src.accepts(i)]


def _child_urls(src: ChildSource, parent: str, obj: Any) -> list[str]:
    urls = []
    for key in src.keys(parent, obj):
        path = src.path.format(*(quote(part, safe="") for part in key))
        urls.append(_url(path, dict(src.params(key))))
    return urls


def _parent_objects(http: httpx.Client, parent: str) -> Iterator[Any]:
    """The objects a child type's keys are read from; a child parent's are fetched (a chain)."""
    ct = next(c for c in CONTENT_TYPES if c.name == parent)
    psrc = ct.source
    if isinstance(psrc, ChildSource):
        for grand in psrc.parents:
            for obj in _parent_objects(http, grand):
                for url in _child_urls(psrc, grand, obj):
                    answer = http.get(url)
                    if answer.is_success:
                        body = answer.json()
                        yield from body if isinstance(body, list) else [body]
        return
    for variant in psrc.variants:
        for _, rows in _walk(http, psrc.path, {**psrc.params, **variant}, _short_page_end):
            yield from (obj for obj in rows if psrc.accepts(str(obj.get(ct.id_key))))


def _plan_children(http: httpx.Client, src: ChildSource) -> list[str]:
    urls: list[str] = []
    for parent in src.parents:
        for obj in _parent_objects(http, parent):
            urls += _child_urls(src, parent, obj)
    return list(dict.fromkeys(urls))  # as the extract, one request per distinct key


def plan_requests(
    base_url: str,
    client_id: str,
    client_secret: str,
    page_size: int = DEFAULT_PAGE_SIZE,
    types: Sequence[str] = (),
) -> list[str]:
    """Every API request (path and query) an extract of the mock makes, in registry order.

    With `types`, only those content types (as `lookervault extract TYPES...` would fetch).
    """
    with httpx.Client(base_url=base_url, timeout=_TIMEOUT_S) as http:
        http.headers["Authorization"] = f"Bearer {login(http, base_url, client_id, client_secret)}"
        me = http.get(_url("/user", {"fields": "display_name,id"})).json()
        urls = [
            _url("/versions", {}),
            _url("/user", {"fields": "display_name,id"}),
            _url(f"/users/{quote(str(me['id']), safe='')}/roles", {}),
        ]
        for ct in CONTENT_TYPES:
            if types and ct.name not in types:
                continue
            if isinstance(ct.source, ListSource):
                urls += _plan_list(http, ct, ct.source, page_size)
            else:
                urls += _plan_children(http, ct.source)
    return urls


async def drain(
    base_url: str, credentials: tuple[str, str], urls: list[str], concurrency: int
) -> dict[str, Any]:
    """Log in, GET every url with `concurrency` requests in flight, log out; keep nothing.

    Counts statuses and bytes; `elapsed_s` from the login to the logout, `fetch_s` of the urls.
    """
    headers = {"Accept": "application/json"}
    statuses: dict[str, int] = {}
    size = 0
    todo = iter(urls)
    auth: dict[str, str] = {}

    tls = httpx.create_ssl_context()

    def make(connections: int) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        return open_client(base_url, headers=headers, timeout=_TIMEOUT_S, tls=tls, limits=limits)

    # The extractor's own spread over small pools (lookervault.looker.pools) and its transport
    # (lookervault.looker.transport), so the drain stays the fastest way this machine's httpx can
    # fetch these pages.
    http = PooledClients(make, concurrency)
    try:

        async def worker() -> None:
            nonlocal size
            for url in todo:
                response = await http.request("GET", url, headers=auth)
                size += len(response.content)
                key = str(response.status_code)
                statuses[key] = statuses.get(key, 0) + 1

        start = time.perf_counter()
        answer = await http.request("POST", _LOGIN, data=login_form(*credentials))
        auth["Authorization"] = f"Bearer {token_of(answer)}"
        fetching = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for _ in range(concurrency):
                tg.start_soon(worker)
        fetched = time.perf_counter()
        await http.request("DELETE", f"{API_PATH}/logout", headers=auth)
        elapsed = time.perf_counter() - start
    finally:
        await http.aclose()
    return {
        "requests": len(urls) + 1,  # and the login, as the extract counts it
        "elapsed_s": elapsed,
        "fetch_s": fetched - fetching,
        "bytes": size,
        "statuses": statuses,
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.drain --plan FILE --concurrency N`, LOOKERSDK_* in the environment."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, required=True, help="JSON list of request URLs")
    parser.add_argument("--concurrency", type=int, required=True)
    args = parser.parse_args(argv)
    urls = orjson.loads(args.plan.read_bytes())
    base_url = os.environ["LOOKERSDK_BASE_URL"]
    credentials = (os.environ["LOOKERSDK_CLIENT_ID"], os.environ["LOOKERSDK_CLIENT_SECRET"])
    result = anyio.run(
        drain,
        base_url,
        credentials,
        urls,
        args.concurrency,
        backend="asyncio",
        backend_options={"use_uvloop": True},
    )
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
