"""Tests for lookervault.looker.throttle, on a fake clock: pacing, the law, each limit's shape."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from lookervault.config import RATE_DECREASE, RATE_EPISODE_SAMPLES, RATE_START_PER_S
from lookervault.learned_rate import LearnedRate
from lookervault.looker.send_log import SendLog
from lookervault.looker.throttle import RESUME_SHARE, AdaptiveLimiter
from lookervault.mock.limits import SlidingWindow, TokenBucket


class FakeTime:
    """A clock whose sleep advances it at once (fine while one task sleeps at a time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await anyio.lowlevel.checkpoint()


class ManualTime(FakeTime):
    """A clock that moves only when the test says; sleepers wake when their time comes."""

    def __init__(self) -> None:
        super().__init__()
        self._sleepers: list[tuple[float, anyio.Event]] = []

    async def sleep(self, seconds: float) -> None:
        woken = anyio.Event()
        self._sleepers.append((self.now + seconds, woken))
        await woken.wait()

    def advance(self, seconds: float) -> None:
        self.now += seconds
        due = [s for s in self._sleepers if s[0] <= self.now]
        self._sleepers = [s for s in self._sleepers if s[0] > self.now]
        for _, woken in due:
            woken.set()


def make(time: FakeTime, **limits: float) -> AdaptiveLimiter:
    return AdaptiveLimiter(clock=time, sleep=time.sleep, **limits)


async def simulate(
    limiter: AdaptiveLimiter, time: FakeTime, server: TokenBucket | SlidingWindow, seconds: float
) -> tuple[list[float], int]:
    """One sender at latency 0 for *seconds*: the send times of the successes, the 429 count."""
    end, ok, refused = time.now + seconds, [], 0
    while time.now < end:
        sent = await limiter.acquire()
        if server.admit():
            ok.append(sent)
            limiter.on_success(sent_at=sent)
        else:
            refused += 1
            limiter.on_rate_limited(server.wait(), sent_at=sent)
    return ok, refused


async def until_a_decrease(
    limiter: AdaptiveLimiter, time: FakeTime, server: TokenBucket | SlidingWindow
) -> None:
    """Send one request at a time (latency 0) until an answer lowers the rate to RATE_DECREASE x
    the ceiling: an ordinary decrease, not the deep cut that ends slow start."""
    while True:
        before = limiter.current_rate
        sent = await limiter.acquire()
        if server.admit():
            limiter.on_success(sent_at=sent)
        else:
            limiter.on_rate_limited(server.wait(), sent_at=sent)
        if limiter.current_rate < before and limiter.current_rate == pytest.approx(
            RATE_DECREASE * limiter.ceiling
        ):
            return


def steady_rate(ok: list[float], since: float, until: float) -> float:
    return sum(1 for t in ok if since <= t < until) / (until - since)


# --- pacing and the configured limits --------------------------------------------------------


@pytest.mark.anyio
async def test_requests_leave_evenly_paced_even_when_many_wait() -> None:
    """Many waiters leave one at a time, 1/r apart: nothing bursts."""
    time = FakeTime()
    limiter = make(time, per_second=20)
    sent: list[float] = []

    async def take() -> None:
        sent.append(await limiter.acquire())

    async with anyio.create_task_group() as tg:
        for _ in range(30):
            tg.start_soon(take)
    gaps = [b - a for a, b in zip(sent, sent[1:], strict=False)]
    assert len(sent) == 30
    assert min(gaps) == pytest.approx(1 / 20)


@pytest.mark.anyio
async def test_idle_time_earns_no_burst() -> None:
    """After a long idle spell the next two requests are still 1/r apart."""
    time = FakeTime()
    limiter = make(time, per_second=10)
    await limiter.acquire()
    time.now += 60
    first, second = await limiter.acquire(), await limiter.acquire()
    assert second - first == pytest.approx(0.1)


class LateTime(FakeTime):
    """A clock whose sleeps wake late, every other one by 15 % of the interval (a busy loop)."""

    def __init__(self, late: float) -> None:
        super().__init__()
        self._late, self._sleeps = late, 0

    async def sleep(self, seconds: float) -> None:
        self._sleeps += 1
        await super().sleep(seconds + self._late * (self._sleeps % 2))


@pytest.mark.anyio
async def test_late_wake_ups_are_made_up_without_bursting() -> None:
    """Woken late, the pacer still sends r a second on average, never closer than 0.9/r."""
    time = LateTime(0.15 / 20)
    limiter = make(time, per_second=20)
    sent = [await limiter.acquire() for _ in range(201)]
    gaps = [b - a for a, b in zip(sent, sent[1:], strict=False)]
    assert len(gaps) / (sent[-1] - sent[0]) >= 0.97 * 20
    assert min(gaps) >= RATE_DECREASE / 20 - 1e-9


@pytest.mark.parametrize("per_minute", [1, 30, 300, 0.5])
@pytest.mark.anyio
async def test_per_minute_never_exceeded_in_any_60_s_window(per_minute: float) -> None:
    """--rate-limit-per-minute N: no 60-second window ever holds more than N requests."""
    time = FakeTime()
    limiter = make(time, per_minute=per_minute)
    sent = [await limiter.acquire() for _ in range(3 * max(1, int(per_minute)) + 5)]
    limit = max(1, int(per_minute))
    for i, start in enumerate(sent):
        assert sum(1 for t in sent[i:] if t < start + 60) <= limit


@pytest.mark.anyio
async def test_per_minute_holds_after_a_decrease_and_a_burst_of_waiters() -> None:
    """Even with 429s cutting the rate and many waiters, a 60 s window holds at most N."""
    time = FakeTime()
    limiter = make(time, per_minute=120)
    sent: list[float] = []

    async def take() -> None:
        for _ in range(40):
            at = await limiter.acquire()
            sent.append(at)
            limiter.on_success(sent_at=at)

    async with anyio.create_task_group() as tg:
        for _ in range(8):
            tg.start_soon(take)
    sent.sort()
    for i, start in enumerate(sent):
        assert sum(1 for t in sent[i:] if t < start + 60) <= 120


def test_send_log_counts_what_fits() -> None:
    """A SendLog lets `count` requests through per period, then says how long to wait."""
    log = SendLog(2, 1.0)
    log.record(0.0)
    assert log.delay(0.0) == 0.0
    log.record(0.5)
    assert log.delay(0.6) == pytest.approx(0.4)


def test_invalid_limits_are_refused() -> None:
    """A configured limit must be a positive finite number."""
    for bad in (0, -1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="positive"):
            AdaptiveLimiter(per_second=bad)


# --- the law, against each shape of limit -------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "burst"), [(5, 1), (40, 1), (40, 10), (40, 160), (200, 1), (200, 800)]
)
@pytest.mark.anyio
async def test_token_bucket_is_found_and_held(rate: float, burst: float) -> None:
    """Against a token bucket (small or large) the rate settles at 0.9+ of it, under 2 % 429s."""
    time = FakeTime()
    limiter = make(time)
    ok, refused = await simulate(limiter, time, TokenBucket(rate, burst, time), 300)
    assert steady_rate(ok, 1000 + 60, 1000 + 300) >= 0.9 * rate
    assert refused / (len(ok) + refused) < 0.02
    assert steady_rate(ok, 1000 + 60, 1000 + 300) <= rate * 1.01


@pytest.mark.anyio
async def test_slow_start_doubles_until_the_first_429() -> None:
    """With no limit in sight the rate grows about x2 per half second, from the start rate."""
    time = FakeTime()
    limiter = make(time)
    assert limiter.current_rate == RATE_START_PER_S
    await simulate(limiter, time, TokenBucket(1e9, None, time), 2.0)
    assert limiter.slow_start
    assert limiter.current_rate > RATE_START_PER_S * 8


@pytest.mark.anyio
async def test_one_decrease_per_episode() -> None:
    """A second 429 confirms an episode; 429s to requests sent before the decrease do not cut
    the rate again."""
    time = FakeTime()
    limiter = make(time, per_second=100)
    for _ in range(RATE_EPISODE_SAMPLES - 2):
        limiter.on_success(sent_at=time.now)
    limiter.on_rate_limited(None, sent_at=time.now)
    assert limiter.current_rate == 100  # isolated: timing noise
    limiter.on_rate_limited(None, sent_at=time.now)
    # Near the limit: the share served since the last decrease (2 of 50 refused), times 0.9.
    decreased = 100 * (1 - 2 / RATE_EPISODE_SAMPLES) * RATE_DECREASE
    assert limiter.current_rate == pytest.approx(decreased)
    stale = time.now - 0.001
    time.now += 1
    for _ in range(3 * RATE_EPISODE_SAMPLES):
        limiter.on_rate_limited(None, sent_at=stale)
    assert limiter.current_rate == pytest.approx(decreased)


@pytest.mark.parametrize("burst", [1, 20])
@pytest.mark.anyio
async def test_far_above_a_bucket_the_rate_lands_under_it_within_a_few_429s(burst: float) -> None:
    """Sent at 20 x a bucket's rate, refusals in a row bound its rate (no token came in their
    span): the rate lands at 0.7-1.0 of the bucket's within 7 429s, not a 429 per 0.9 step."""
    time = FakeTime()
    limiter = make(time, per_second=100)
    ok, refused = await simulate(limiter, time, TokenBucket(5, burst, time), 1.5)
    assert refused <= 7
    assert 0.7 * 5 <= limiter.current_rate <= 5
    assert not limiter.slow_start


@pytest.mark.anyio
async def test_a_429_right_after_a_decrease_confirms_at_once() -> None:
    """Within a few answers of a decrease a single 429 is no timing noise: it decreases again."""
    time = FakeTime()
    limiter = make(time, per_second=100)
    for _ in range(RATE_EPISODE_SAMPLES):
        limiter.on_success(sent_at=time.now)
    limiter.on_rate_limited(None, sent_at=time.now)
    assert limiter.current_rate == 100  # isolated, long after any decrease: noise
    limiter.on_rate_limited(None, sent_at=time.now)
    first = limiter.current_rate
    assert first < 100
    time.now += 0.1
    limiter.on_success(sent_at=time.now)
    limiter.on_rate_limited(None, sent_at=time.now)
    assert limiter.current_rate < first


def test_isolated_429s_far_apart_are_timing_noise() -> None:
    """Two single 429s with many successes between are two accidents, not an episode (each
    episode's ceiling would ratchet r down by the share it measured)."""
    time = FakeTime()
    limiter = make(time, per_second=100)
    for _ in range(3):
        for _ in range(2 * RATE_EPISODE_SAMPLES // 10):
            time.now += 0.01
            limiter.on_success(sent_at=time.now)
        limiter.on_rate_limited(None, sent_at=time.now)
        assert limiter.current_rate == 100
    limiter.on_rate_limited(None, sent_at=time.now)
    assert limiter.current_rate < 100  # two in a row: an episode


@pytest.mark.anyio
async def test_an_isolated_429_below_the_ceiling_stops_the_climb() -> None:
    """Climbing back toward the ceiling, an isolated 429 keeps r (it may be timing noise) but
    makes r the ceiling: r climbs no further toward a ceiling Looker may no longer serve, and
    the next 429 starts an episode."""
    time = FakeTime()
    limiter = make(time)
    while limiter.slow_start:
        await simulate(limiter, time, TokenBucket(10, 1, time), 0.1)
    for _ in range(10):  # regrowing: a gap to the ceiling is left
        limiter.on_success(sent_at=await limiter.acquire())
    before = limiter.current_rate
    limiter.on_rate_limited(None, sent_at=await limiter.acquire())
    assert limiter.current_rate == before
    for _ in range(10):
        limiter.on_success(sent_at=await limiter.acquire())
    assert limiter.current_rate < before * 1.01  # probing, not regrowing
    limiter.on_rate_limited(None, sent_at=await limiter.acquire())
    assert limiter.current_rate < before


@pytest.mark.anyio
async def test_a_stall_is_not_a_run() -> None:
    """Ten requests paced over a quarter second reach a bucket of one together (a stall: our
    loop, the network) and nine are refused, their answers coming back together: no proof that
    Looker's rate is under 4/s. One decrease, not a collapse to 0.9 / their send span."""
    time = FakeTime()
    limiter = make(time)
    await simulate(limiter, time, TokenBucket(40, 1, time), 30)
    before = limiter.current_rate
    sent = [await limiter.acquire() for _ in range(10)]
    time.now += 0.05  # the stall ends: every answer comes back now
    limiter.on_success(sent_at=sent[0])
    for at in sent[1:]:
        limiter.on_rate_limited(None, sent_at=at)
    assert limiter.current_rate >= before / 2


@pytest.mark.parametrize("rate", [5, 200])
@pytest.mark.anyio
async def test_regrowth_is_counted_in_answers_not_seconds(rate: float) -> None:
    """After a decrease r regrows to 0.99 of the ceiling in the same number of answers at 5/s
    as at 200/s (so low rates do not meet their limit more often per request)."""
    time = FakeTime()
    limiter = make(time)
    server = TokenBucket(rate, 1, time)
    await until_a_decrease(limiter, time, server)
    ceiling = limiter.ceiling
    answers = 0
    while limiter.current_rate < 0.99 * ceiling:
        sent = await limiter.acquire()
        limiter.on_success(sent_at=sent)
        answers += 1
    assert 60 <= answers <= 90


@pytest.mark.anyio
async def test_an_episode_costs_seconds_not_minutes() -> None:
    """After a decrease the rate regrows to the ceiling (what Looker served) within about 3 s,
    then probes past it only slowly."""
    time = FakeTime()
    limiter = make(time)
    server = TokenBucket(40, 10, time)
    await until_a_decrease(limiter, time, server)
    ceiling = limiter.ceiling
    await simulate(limiter, time, TokenBucket(1e9, None, time), 3)
    assert limiter.current_rate >= 0.97 * ceiling
    assert limiter.current_rate <= 1.05 * ceiling


@pytest.mark.anyio
async def test_retry_after_pauses_everyone_only_when_all_is_refused() -> None:
    """A 429 among successes paces down without a pause; a lock-out honours Retry-After."""
    time = FakeTime()
    limiter = make(time, per_second=10)
    for _ in range(RATE_EPISODE_SAMPLES - 1):
        limiter.on_success(sent_at=time.now)
    limiter.on_rate_limited(30.0, sent_at=time.now)
    assert limiter.paused_until < time.now
    time.now += 1
    for _ in range(RATE_EPISODE_SAMPLES):
        limiter.on_rate_limited(30.0, sent_at=time.now)
    assert limiter.paused_until == pytest.approx(time.now + 30)
    assert await limiter.acquire() >= time.now - 0.001
    assert time.now >= limiter.paused_until


@pytest.mark.parametrize("per_minute", [300, 3000])
@pytest.mark.anyio
async def test_sliding_window_is_found_and_held(per_minute: int) -> None:
    """Against N per minute (Retry-After until a slot frees) the pace settles near N/60."""
    time = FakeTime()
    limiter = make(time)
    ok, refused = await simulate(limiter, time, SlidingWindow(per_minute, time), 600)
    assert steady_rate(ok, 1000 + 120, 1000 + 600) >= 0.9 * per_minute / 60
    assert refused / (len(ok) + refused) < 0.02


@pytest.mark.anyio
async def test_login_skips_the_queue_but_keeps_the_pace() -> None:
    """An urgent acquire goes before requests already queued, still 1/r after the last one."""
    time = ManualTime()
    limiter = make(time, per_second=1)
    order: list[tuple[str, float]] = []

    async def take(name: str, urgent: bool = False) -> None:
        order.append((name, await limiter.acquire(urgent=urgent)))

    async with anyio.create_task_group() as tg:
        await take("first")
        tg.start_soon(take, "queued-1")
        tg.start_soon(take, "queued-2")
        await anyio.wait_all_tasks_blocked()
        tg.start_soon(take, "login", True)
        await anyio.wait_all_tasks_blocked()
        for _ in range(4):
            time.advance(1.0)
            await anyio.wait_all_tasks_blocked()
    names = [name for name, _ in order]
    assert names.index("login") < names.index("queued-2")
    times = [at for _, at in order]
    assert all(b - a >= 1.0 - 1e-9 for a, b in zip(times, times[1:], strict=False))


# --- memory between runs ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_learned_ceiling_is_reached_in_two_doublings_with_no_429() -> None:
    """A run that measured a bucket of 40/s hands the next run its ceiling: slow start begins a
    quarter of the way and stops at RATE_DECREASE x the ceiling, where a first run overshoots
    and pays a 429 and a deep cut. The second run is served more, with fewer 429s."""
    time = FakeTime()
    first = make(time)
    first_ok, first_refused = await simulate(first, time, TokenBucket(40, 10, time), 20.0)
    learned = first.learned()
    assert learned is not None and learned.ceiling is not None
    assert 0.8 * 40 <= learned.ceiling <= 1.1 * 40

    time = FakeTime()
    second = make(time)
    second.resume(learned)
    assert second.slow_start
    assert second.current_rate == pytest.approx(RESUME_SHARE * RATE_DECREASE * learned.ceiling)
    ok, refused = await simulate(second, time, TokenBucket(40, 10, time), 20.0)
    assert len(ok) > len(first_ok)
    assert refused < first_refused
    assert steady_rate(ok, time.now - 20, time.now) >= 0.85 * 40
    assert not second.slow_start


@pytest.mark.anyio
async def test_past_the_learned_threshold_slow_start_slows_down() -> None:
    """Slow start climbs to RATE_DECREASE x the last run's ceiling as a first run does, then
    doubles in seconds, not quarter seconds: a limit still there is met barely past it."""
    time = FakeTime()
    limiter = make(time)
    limiter.resume(LearnedRate(rate=36.0, ceiling=40.0))
    threshold = RATE_DECREASE * 40.0
    unlimited = TokenBucket(1e9, None, time)
    while limiter.current_rate < threshold:
        await simulate(limiter, time, unlimited, 0.05)
    assert limiter.current_rate == pytest.approx(threshold)
    await simulate(limiter, time, unlimited, 0.5)
    assert limiter.slow_start
    assert threshold < limiter.current_rate < 1.3 * threshold  # a first run's: x4 by now


@pytest.mark.anyio
async def test_a_limit_lowered_since_ends_slow_start_as_on_a_first_run() -> None:
    """Others share the budget now: the resumed slow start meets the lower limit, cuts, and
    lands under it as a first run does."""
    time = FakeTime()
    limiter = make(time)
    limiter.resume(LearnedRate(rate=36.0, ceiling=40.0))
    ok, refused = await simulate(limiter, time, TokenBucket(10, 1, time), 20.0)
    assert refused <= 6
    assert steady_rate(ok, time.now - 10, time.now) >= 0.8 * 10
    assert limiter.current_rate <= 10


@pytest.mark.anyio
async def test_a_limit_raised_since_is_found_in_seconds() -> None:
    """The memory is a start, not a cap: past the old ceiling the rate keeps ramping, faster
    the longer no 429 comes, and what this run learns is the higher rate."""
    time = FakeTime()
    limiter = make(time)
    limiter.resume(LearnedRate(rate=4.5, ceiling=5.0))
    ok, _ = await simulate(limiter, time, TokenBucket(200, 50, time), 15.0)
    assert steady_rate(ok, time.now - 5, time.now) >= 0.8 * 200
    learned = limiter.learned()
    assert learned is not None and learned.ceiling is not None and learned.ceiling > 150


def test_what_a_run_learns_carries_the_memory_it_resumed_from() -> None:
    """A short run still in its resumed slow start hands the same ceiling on, not none."""
    time = FakeTime()
    limiter = make(time)
    limiter.resume(LearnedRate(rate=36.0, ceiling=40.0))
    learned = limiter.learned()
    assert learned is not None and learned.ceiling == pytest.approx(40.0)


def test_no_429_last_run_means_slow_start_from_its_rate() -> None:
    time = FakeTime()
    limiter = make(time)
    limiter.resume(LearnedRate(rate=300.0, ceiling=None))
    assert limiter.slow_start
    assert limiter.current_rate == pytest.approx(RESUME_SHARE * 300)
    assert limiter.learned() == LearnedRate(limiter.current_rate, None)
    low = make(time)
    low.resume(LearnedRate(rate=1.0, ceiling=None))  # a short last run: never below the start
    assert low.current_rate == RATE_START_PER_S


def test_a_ceiling_under_the_start_rate_is_where_the_run_starts() -> None:
    time = FakeTime()
    limiter = make(time)
    limiter.resume(LearnedRate(rate=0.9, ceiling=1.0))  # a per-minute window of 60
    assert limiter.current_rate == pytest.approx(RATE_DECREASE * 1.0)


def test_a_configured_rate_neither_learns_nor_resumes() -> None:
    time = FakeTime()
    limiter = make(time, per_second=25)
    assert limiter.learned() is None
    limiter.resume(LearnedRate(rate=300.0, ceiling=200.0))
    assert limiter.current_rate == 25


def test_memory_is_ignored_once_the_run_has_learned_for_itself() -> None:
    time = FakeTime()
    limiter = make(time)
    limiter.on_rate_limited(None, sent_at=time.now)  # slow start ends here
    rate = limiter.current_rate
    limiter.resume(LearnedRate(rate=300.0, ceiling=200.0))
    assert limiter.current_rate == rate
