"""Every tunable default in one place, importable without pydantic so the CLI starts fast."""

from __future__ import annotations

__all__ = [
    "API_PATH",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_DB_PATH",
    "DASHBOARDS_PAGE_SIZE",
    "DEFAULT_PAGE_SIZE",
    "EXPLORES_IN_FLIGHT",
    "EXPLORES_TIMEOUT_S",
    "DEFAULT_TIMEOUT_S",
    "DEFAULT_TOKEN_LIFETIME_S",
    "DEFAULT_WORKERS",
    "ENV_PREFIX",
    "ID_LISTING_PAGE_SIZE",
    "DEFAULT_SHRINK_THRESHOLD",
    "LISTING_REPEAT_RETRIES",
    "MAX_LISTED_ITEMS",
    "SHRINK_MIN_ITEMS",
    "KEEPALIVE_EXPIRY_S",
    "CONNECTIONS_PER_POOL",
    "LOGIN_RETRY_ATTEMPTS",
    "LOGOUT_TIMEOUT_S",
    "MAX_CONCURRENCY",
    "MAX_PAGE_SIZE",
    "MIN_ADAPTIVE_PAGE_SIZE",
    "PAGE_GROWTH_AFTER",
    "MAX_WORKERS",
    "MIN_WORKERS",
    "RATE_DECREASE",
    "RATE_EPISODE_SAMPLES",
    "RATE_GAIN",
    "RATE_MIN_PER_S",
    "RATE_MEMORY_MAX_AGE_DAYS",
    "RATE_SLOW_START_GAIN",
    "RATE_START_PER_S",
    "RETRY_AFTER_MAX_S",
    "RETRY_ATTEMPTS",
    "RETRY_TIMEOUT_S",
    "RETRY_WAIT_INITIAL_S",
    "RETRY_WAIT_MAX_S",
    "PAGE_MEMORY_BUDGET_BYTES",
    "STREAM_BATCHES_PER_WORKER",
    "TOKEN_REFRESH_MARGIN_S",
    "parse_bool",
]

# --- pipeline sizes ------------------------------------------------------------------------
# Defaults from benchmark S4: a real Looker answers in 100 ms or more, where 32 requests in
# flight are 3x as fast as 8 and 4 writers keep up; at latency 0 this is within 6 % of the best.
DEFAULT_WORKERS = 4  # vault writer threads
MIN_WORKERS = 1
MAX_WORKERS = 50
DEFAULT_CONCURRENCY = 32  # HTTP requests in flight
MAX_CONCURRENCY = 256
DEFAULT_PAGE_SIZE = 100
# The API spec documents no maximum for `limit`; 1000 keeps each response body (and each
# retry of it) bounded while still cutting the number of round trips tenfold.
MAX_PAGE_SIZE = 1000
# Issue 13: a page of 100 full dashboards is ~1.5 MB and slow for Looker to build.
DASHBOARDS_PAGE_SIZE = 25
MIN_ADAPTIVE_PAGE_SIZE = 1  # halving on timeouts and 504s stops here
PAGE_GROWTH_AFTER = 4  # successes in a row before a halved page size doubles back
EXPLORES_IN_FLIGHT = 4  # explores are slow and heavy to render on a real Looker
EXPLORES_TIMEOUT_S = 300.0  # as public Looker tools use for explores
# Listing only ids (fields=<id>) makes tiny rows, so those pages can be as large as allowed.
ID_LISTING_PAGE_SIZE = MAX_PAGE_SIZE
# No listing runs unbounded: past this many ids of one type (far beyond any real instance)
# the server is taken to page wrongly and the type fails.
MAX_LISTED_ITEMS = 10_000_000
# A listing page that repeats the ids of the page before is asked again this many times.
LISTING_REPEAT_RETRIES = 3
# The shrink guard: a type listing under this share of its last complete count keeps its
# unseen items (not marked gone), unless that count was under SHRINK_MIN_ITEMS.
DEFAULT_SHRINK_THRESHOLD = 0.8
SHRINK_MIN_ITEMS = 10
# Stream buffer: one queued batch per writer keeps each busy; more only costs memory.
STREAM_BATCHES_PER_WORKER = 1
# A child type's answers waiting for the stream, per request it has in flight: enough that its
# requests do not wait for the writers in a burst, few enough to bound its memory.
CHILD_ANSWERS_HELD_PER_REQUEST = 4
# Bytes of page content held between request and commit (see budget.py); about eight pages of
# dashboards, more than the CPU can turn into rows while the next ones arrive.
PAGE_MEMORY_BUDGET_BYTES = 12_000_000
DEFAULT_DB_PATH = "lookervault.db"

# --- connection ----------------------------------------------------------------------------
DEFAULT_CONFIG_FILE = "looker.ini"
ENV_PREFIX = "LOOKERSDK"
API_PATH = "/api/4.0"
DEFAULT_TIMEOUT_S = 120.0  # looker-sdk's default timeout
KEEPALIVE_EXPIRY_S = 30.0
CONNECTIONS_PER_POOL = 2  # httpcore pays O(connections) per request: see pools.py
TOKEN_REFRESH_MARGIN_S = 60.0  # refresh this long before the access token expires
DEFAULT_TOKEN_LIFETIME_S = 3600  # Looker's usual expires_in, used if the login answer omits it
LOGOUT_TIMEOUT_S = 5.0  # logout is best effort and must not hold up exit

# --- retries (stamina) ---------------------------------------------------------------------
RETRY_ATTEMPTS = 6
LOGIN_RETRY_ATTEMPTS = 3  # fail fast when the host is wrong or down
RETRY_TIMEOUT_S = 300.0  # total time budget for all attempts of one request
RETRY_WAIT_INITIAL_S = 0.5
RETRY_WAIT_MAX_S = 30.0
RETRY_AFTER_MAX_S = 120.0  # never trust a Retry-After longer than this

# --- adaptive rate limiting (throttle.py; its docstring states the law) -------------------
RATE_START_PER_S = 4.0  # slow start begins here when no rate is configured
RATE_SLOW_START_GAIN = 2.8  # per held-back success before the first 429: x2 per quarter second
RATE_GAIN = 0.00025  # per held-back success probing beyond the ceiling: r x (1 + this)
RATE_DECREASE = 0.9  # r = this x the ceiling (what Looker served), once per episode of 429s
RATE_EPISODE_SAMPLES = 200  # the probe step grows by RATE_GAIN per this many 429-free successes
RATE_MIN_PER_S = 0.2  # never throttle below this, so a backup always progresses
# The next run starts at the pace the last run against the same Looker learned, when that run
# finished within this many days (a nightly or weekly cron, with a missed week to spare).
RATE_MEMORY_MAX_AGE_DAYS = 14

_TRUE = frozenset({"yes", "y", "true", "t", "1", "on"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "off"})


def parse_bool(value: str, *, true: frozenset[str] = _TRUE, false: frozenset[str] = _FALSE) -> bool:
    """A boolean word, in any case and with spaces around; the words accepted may be narrowed.

    Raises:
        ValueError: the word is in neither set.
    """
    text = value.strip().lower()
    if text in true:
        return True
    if text in false:
        return False
    raise ValueError(f"{value!r} is not a boolean (use true or false)")
