"""One adaptive request-rate limiter shared by every producer talking to Looker.

The law is congestion control applied to a rate (TCP applies it to a window):

- Pacing: requests leave one at a time, in the order they asked, each due 1/r after the last
  one's slot. A late wake-up (the event loop, our CPU) is made up by the next few, never closer
  than RATE_DECREASE/r; more than one interval behind is idle, and idle time earns no credit, so
  nothing (slots freed together, retries, a login ending) can burst.
- Slow start: r begins at RATE_START_PER_S; each success of a request the pacer held back (sent
  about 1/r after the one before) adds RATE_SLOW_START_GAIN: r doubles every quarter second or so.
- Its end looks one round trip back: a 429 answers a request sent a round trip ago, when r was
  lower. The first one cuts at once to 0.4 x the rate it left at, or to what Looker served
  per second since our first send (its burst plus its refill), never below 0.2 x: doubling
  overshoots by up to several times, and each request sent above Looker's rate is refused.
  From that refusal's send time on, Looker's bucket is empty; the next 429 (within _JUDGED
  successes of the cut) left an empty bucket too, so the n successes sent between the two
  are its refill: with none, 1 / span bounds its rate; with some, the basis is
  (n + _DRY_TOKENS) / span and the measure ends. Every cut of r (runs included) makes
  refusals of requests sent before it stale: the same episode. A long Retry-After (a full
  per-minute window) is left to the lock-out.
- Episodes: a 429 to a request sent after the last decrease starts one if r is probing beyond
  the ceiling, or within _JUDGED successes of the last decrease (or of the start), or if
  another of the last _JUDGED answers was refused too. Otherwise it is timing noise (a bucket
  of one refuses two requests the network brought closer than its interval) or a ceiling
  Looker no longer serves (a large bucket hid the excess): r keeps its rate, but the ceiling
  drops to it, so r stops climbing and the next 429 starts an episode.
- Multiplicative decrease, once per episode: the ceiling becomes what Looker served,
  successes per second of send time over the last 8 answers if half or more were refused (at
  most halving: 8 answers tell a rate only roughly, and a stall's burst of refusals tells
  nothing; larger drops come from runs, below); nearer, a small bucket serves
  less than its rate, so the ceiling is the rate we sent times the share served since the last
  decrease, at most one step (RATE_DECREASE) down.
  r becomes RATE_DECREASE x the ceiling.
- Runs: _RUN or more refusals in a row, none served, over T seconds of send time prove Looker's
  rate is under about 1/T (its bucket gained no token in T): r drops to RATE_DECREASE/T at
  once and the ceiling to at most 2/T (send stamps are not arrivals). Far above a limit (slow
  start against a large bucket) r halves per 429, not 0.9 per episode. T is never longer than
  the span the refusals came back in: a stall that brought requests to Looker together brings
  their refusals back together, and proves nothing.
- Increase, per held-back success, so a 429 costs the same share of requests at every rate:
  below the ceiling r closes its gap to it e-fold per _REGROW successes; at the ceiling it
  probes beyond, r x (1 + RATE_GAIN) per success, the step growing by one RATE_GAIN per
  RATE_EPISODE_SAMPLES successes without a 429.
- Lock-out: 8 answers in a row refused, none served. Everyone pauses for the Retry-After
  Looker sent. A long one (a per-minute window is full) sets r to 0.9 x what Looker served in
  the last minute, held there for a minute; a short one or none (a storm) means the usual step.
- The configured limits are hard: r never exceeds them, and exact logs of send times keep every
  1-second (60-second) window at ``per_second`` (``per_minute``) requests or fewer.
- A login is urgent: it takes the next paced slot ahead of the requests waiting for it.
- Memory between runs (as TCP caches a path's slow-start threshold): a run's limiter ends with
  what it learned (`learned`), which the vault keeps, and the next run against the same Looker
  starts from it (`resume`), RESUME_SHARE x the way there: two doublings of slow start. With a
  ceiling (Looker refused), slow start slows down at RATE_DECREASE x it (the threshold): past
  it r doubles in _RAMP_S seconds, and twice as fast each _RAMP_S more, so a limit raised since
  is found in seconds. Slow start's end is a first run's, but its cut never goes below the
  threshold (a bucket hides how far past its rate r went). Without a ceiling, slow start goes
  on from the last rate.

Not thread-safe: call it from the event loop only (the client does).
"""

from __future__ import annotations

import bisect
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

import anyio

from lookervault.config import (
    RATE_DECREASE,
    RATE_EPISODE_SAMPLES,
    RATE_GAIN,
    RATE_MIN_PER_S,
    RATE_SLOW_START_GAIN,
    RATE_START_PER_S,
    RETRY_AFTER_MAX_S,
)
from lookervault.learned_rate import LearnedRate
from lookervault.looker.send_log import SendLog

__all__ = ["AdaptiveLimiter"]

logger = logging.getLogger(__name__)

_SECOND = 1.0
_MINUTE = 60.0
_JUDGED = 8  # the last answers that tell what Looker served
_LOCKED_OUT = 8  # answers refused since the last decrease, none served: a lock-out
_WINDOW_HINT_S = 5.0  # a lock-out whose Retry-After is this long is a full per-minute window
_REGROW = 30  # below the ceiling, the gap to it shrinks e-fold per this many successes
_RUN = 3  # refusals in a row before their span bounds Looker's rate
_START_LOG = 4096  # slow start's (send time, rate) pairs kept
_START_CUT, _START_FLOOR = 0.4, 0.2  # the first 429 of slow start: r x this, at most and least
_DRY_TOKENS = 0.35  # n successes between two refusals: Looker gained n - 1 to n + 1 tokens; a
# hedge above n, as landing under Looker's rate costs more (the probe beyond is slow) than over
_HELD_GAP = 1.5  # a send this many pacing intervals after the last one was not held back
# A resumed slow start begins at this x the last run's final rate, or x its threshold
RESUME_SHARE = 0.25
_RAMP_S = 2.0  # past the last run's ceiling r doubles in this many seconds, then twice as fast


class AdaptiveLimiter:
    """Paces every request to Looker, and finds Looker's own rate limit from its 429s.

    Args:
        per_second: configured hard limit (None: none), also the starting rate.
        per_minute: configured hard limit per 60-second window (None: none).
        clock: monotonic seconds; with *sleep*, injectable so tests run on a fake clock.
        sleep: awaited to wait; must let the clock advance by its argument.
    """

    def __init__(
        self,
        *,
        per_second: float | None = None,
        per_minute: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        for name, value in (("per_second", per_second), ("per_minute", per_minute)):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, not {value!r}")
        self._clock, self._sleep = clock, sleep
        self._logs = [
            SendLog(count, period)
            for count, period in ((per_second, _SECOND), (per_minute, _MINUTE))
            if count is not None
        ]
        self._configured = _combined_rate(per_second, per_minute)
        self._rate = self._configured or RATE_START_PER_S
        self._slow_start = self._configured is None
        self._threshold = math.inf  # slow start ends here, short of the last run's ceiling
        self._ramp_from: float | None = None  # when slow start passed it (slower from there)
        self._queue = anyio.Lock()  # FIFO: one waiter sleeps, the others queue behind it
        self._last_sent = self._slot = -math.inf
        self._held = False  # whether the last request had to wait for its slot
        self._pause_until = -math.inf
        self._decreased_at = -math.inf
        self._ok = self._refused = 0  # answers to requests sent since the last decrease
        self._answers: deque[tuple[float, bool]] = deque(maxlen=_JUDGED)  # (sent, served)
        self._ceiling = math.inf  # Looker's rate as the last episode measured it
        self._probed = 0  # held-back successes spent probing beyond the ceiling
        self._recent: deque[float] = deque(maxlen=_LOCKED_OUT)  # last send times: our rate
        self._start_rates: deque[tuple[float, float]] = deque(maxlen=_START_LOG)  # (sent, r)
        # The end of slow start: since the first refusal's send time Looker's bucket is empty,
        # so successes per second of send time since then are its rate (None: not ending).
        self._dry_from: float | None = None
        self._dry_sends: list[float] = []  # send times of the successes sent since then
        self._served: deque[float] = deque()  # success times within the last minute
        self._floor, self._floor_until = RATE_MIN_PER_S, -math.inf  # after a lock-out
        self._run_from: float | None = None  # send time of the first refusal of the current run
        self._run_answered = -math.inf  # when the first refusal of the current run came back
        self._run = 0  # refusals in the current run

    @property
    def current_rate(self) -> float:
        """Requests per second now in force."""
        return self._rate

    @property
    def configured_rate(self) -> float | None:
        """The steady rate the configured limits allow (None: unlimited)."""
        return self._configured

    @property
    def slow_start(self) -> bool:
        """Whether the rate still doubles per round (no 429 seen yet, nothing configured)."""
        return self._slow_start

    @property
    def ceiling(self) -> float:
        """Looker's rate as the last decrease measured it (inf: none yet)."""
        return self._ceiling

    @property
    def paused_until(self) -> float:
        """Clock time before which no request is let through (-inf: not paused)."""
        return self._pause_until

    def now(self) -> float:
        """The limiter's clock: the client stamps each request's send time with it."""
        return self._clock()

    async def acquire(self, *, urgent: bool = False) -> float:
        """Wait for the next paced slot and take it; return the send time.

        *urgent* (a login, which the queued requests may be waiting for) skips the queue.
        """
        if urgent:
            return await self._take()
        async with self._queue:
            return await self._take()

    def on_success(self, *, sent_at: float | None = None) -> None:
        """Record a success; one the pacer held back raises the rate a step."""
        now = self._clock()
        self._served.append(now)
        while self._served[0] < now - _MINUTE:
            self._served.popleft()
        self._answers.append((now if sent_at is None else sent_at, True))
        # Any success ends a run of refusals, whatever its send stamp: stamps are not arrival
        # times, and a request stamped before the run may have taken the token within it.
        self._run_from = None
        if sent_at is None or sent_at >= self._decreased_at:
            self._ok += 1
        if self._dry_from is not None and sent_at is not None and sent_at >= self._dry_from:
            self._dry_sends.append(sent_at)
        if self._dry_from is not None and not self._slow_start and self._ok > _JUDGED:
            self._end_dry()  # no 429 within _JUDGED successes of the cut: below Looker's rate
        if not self._held:
            return
        if self._slow_start and self._ramp_from is not None:  # past the last run's ceiling
            speed = 2.0 ** ((now - self._ramp_from) / _RAMP_S) * 0.25 / _RAMP_S
            self._set_rate(self._rate + RATE_SLOW_START_GAIN * min(1.0, speed))
        elif self._slow_start:
            self._set_rate(min(self._rate + RATE_SLOW_START_GAIN, self._threshold))
            if self._rate >= self._threshold:  # near the last run's ceiling: slower from here
                self._ramp_from = now
        if self._slow_start:
            return
        # per answer, not per second: the gap to the ceiling shrinks e-fold per _REGROW answers
        gap = (self._ceiling - self._rate) / _REGROW
        probe = RATE_GAIN * self._rate * (1.0 + self._probed / RATE_EPISODE_SAMPLES)
        if gap > probe:
            self._set_rate(self._rate + gap)
        else:  # at the ceiling: probe beyond it, per answer, faster while no 429 comes
            before = self._rate
            self._set_rate(self._rate + probe)
            self._probed += self._rate > before  # a step a limit held back is no probe

    def on_rate_limited(self, retry_after: float | None, *, sent_at: float | None = None) -> None:
        """Record a 429; decrease once per episode (see the module docstring).

        *sent_at* (when the refused request left) tells answers to requests sent before the
        last decrease, which it already accounted for. *retry_after* is also the refused
        request's own wait, which the retry loop honours.
        """
        now = self._clock()
        at = now if sent_at is None else sent_at
        self._answers.append((at, False))
        if retry_after is not None and retry_after >= _WINDOW_HINT_S:
            self._end_dry()  # a full window, no bucket: the lock-out's law measures it
        else:
            self._note_dry(at)
        self._episode(
            now, at, retry_after, stale=sent_at is not None and sent_at < self._decreased_at
        )
        self._bound_by_run(now, at, retry_after)

    def _episode(self, now: float, at: float, retry_after: float | None, *, stale: bool) -> None:
        if stale:
            return
        self._refused += 1
        span = self._recent[-1] - self._recent[0] if self._recent else 0.0
        sending = min(self._rate, (len(self._recent) - 1) / span) if span > 0 else self._rate
        if self._slow_start:  # the refused request left at the rate then, a round trip ago
            sending = self._rate_at(at)
            if retry_after is None or retry_after < _WINDOW_HINT_S:  # a bucket, not a window
                self._end_slow_start(now, at, sending)
                return
        if self._ok:
            answers = list(self._answers)  # the last few: what Looker served just now
            refused = sum(not ok for _, ok in answers)
            served = self._served_since_dry(at)
            if served is not None:  # ending slow start: what Looker served since it ran dry
                self._decrease(now, min(sending, served))
                logger.debug("slow start ending: %.2f requests/s", self._rate)
                return
            # isolated, below the ceiling, and not right after a decrease: timing noise, or a
            # ceiling Looker no longer serves (a large bucket hid the excess): stop climbing
            if refused < 2 and not self._probed and self._ok >= _JUDGED:
                self._ceiling = min(self._ceiling, sending)
                logger.debug(
                    "isolated 429 at %.2f requests/s: ceiling %.2f", sending, self._ceiling
                )
                return
            if refused / len(answers) >= 0.5:  # far above: what it served is its rate
                basis = min(sending, max(_served(answers), sending / 2))
            else:  # near: the share served since the last decrease, at most one step down
                share = 1.0 - self._refused / (self._ok + self._refused)
                basis = sending * max(RATE_DECREASE, share)
            self._decrease(now, basis)
            logger.warning(
                "Looker rate limit hit (%d of the last %d answers refused): %.2f requests/s",
                refused,
                len(answers),
                self._rate,
            )
            return
        if self._refused < _LOCKED_OUT:
            return
        wait = retry_after if retry_after is not None and math.isfinite(retry_after) else 0.0
        self._pause_until = max(self._pause_until, now + min(max(wait, 0.0), RETRY_AFTER_MAX_S))
        self._end_dry()  # everyone pauses: time not sending is no measure of Looker's rate
        if wait < _WINDOW_HINT_S:  # a storm: wait it out, one usual step
            self._decrease(now, sending)
        else:  # a full window: what it served in the last minute is its pace
            self._decrease(now, min(self._rate, len(self._served) / _MINUTE))
            # For a minute Looker frees slots as it served them a minute ago (perhaps our slow
            # start): 429s then say little about its pace; hold r near what it served.
            self._floor, self._floor_until = self._rate, self._pause_until + _MINUTE
        logger.warning(
            "Looker refuses every request: pausing %.1f s, then %.2f requests/s",
            max(0.0, self._pause_until - now),
            self._rate,
        )

    def _bound_by_run(self, now: float, at: float, retry_after: float | None) -> None:
        """Refusals in a row (none served since the first) over T seconds of send time prove
        Looker's rate is under 1/T: a bucket gained no whole token in T. Cap the ceiling there.
        Unless they came back closer than they left: a stall (our loop, the network) brought them
        to Looker together, and T is the span they came back in (a burst of them: none)."""
        if self._run_from is None:
            self._run_from, self._run_answered, self._run = at, now, 0
        self._run += 1
        span = min(at - self._run_from, now - self._run_answered)
        long_wait = retry_after is not None and retry_after >= _WINDOW_HINT_S  # a full window
        if self._run < _RUN or span <= 0 or long_wait or RATE_DECREASE / span >= self._rate:
            return
        # r bets on the bound; the ceiling keeps twice it, as send times are not arrival times
        # (a request stamped early and sent late shrinks the span Looker saw): regrowth is then
        # fast and the next episode, near the limit, measures it.
        self._slow_start = False
        self._ceiling, self._probed = min(self._ceiling, 2.0 / span), 0
        self._set_rate(RATE_DECREASE / span)
        self._decreased_at = self._clock()  # what was sent before the cut, it accounted for
        logger.debug(
            "%d refused in a row over %.3f s: %.2f requests/s", self._run, span, self._rate
        )

    def learned(self) -> LearnedRate | None:
        """What this limiter learned of Looker's pace, for the next run (None: a configured
        rate, which learns nothing). A rate probed past the ceiling without a 429 is the
        ceiling now: Looker served it."""
        if self._configured is not None:
            return None
        ceiling = self._ceiling
        if math.isinf(ceiling):  # none of its own: the one it resumed from, if any, holds
            ceiling = self._threshold / RATE_DECREASE
        return LearnedRate(self._rate, None if math.isinf(ceiling) else max(ceiling, self._rate))

    def resume(self, learned: LearnedRate) -> None:
        """Start from what the last run against this Looker learned (see the module docstring).

        Only before this limiter has learned anything itself, and never with a configured rate.
        """
        if self._configured is not None or not self._slow_start or self._dry_from is not None:
            return
        if learned.ceiling is not None:
            self._threshold = RATE_DECREASE * learned.ceiling
            start = max(self._rate, RESUME_SHARE * self._threshold)
            self._set_rate(min(start, self._threshold))
        else:
            self._set_rate(max(self._rate, RESUME_SHARE * learned.rate))
        logger.debug(
            "resuming from the last run: %.2f requests/s (ceiling %s)",
            self._rate,
            "none" if learned.ceiling is None else f"{learned.ceiling:.2f}",
        )

    def __repr__(self) -> str:
        return f"<AdaptiveLimiter rate={self._rate:.2f} configured={self._configured!r}>"

    async def _take(self) -> float:
        held = False
        while (delay := self._delay(self._clock())) > 0:
            held = True
            await self._sleep(delay)
        now = self._clock()
        # Held back means sending at about r: a waiter that the event loop (or our own CPU)
        # woke much later than its slot proves nothing about a higher rate.
        self._held = held and now - self._last_sent <= _HELD_GAP / self._rate
        # The slot this request was due at, not when it woke: a late wake-up (the event loop,
        # our CPU) is made up by the next few, so the pace holds r; more than one interval
        # behind, we were idle, and idle time earns no credit.
        due = self._slot + 1.0 / self._rate
        self._slot = due if now - due <= 1.0 / self._rate else now
        self._last_sent = now
        self._recent.append(now)
        if self._slow_start:
            self._start_rates.append((now, self._rate))
        for log in self._logs:
            log.record(now)
        return now

    def _delay(self, now: float) -> float:
        # Due 1/r after the last slot, and never closer than RATE_DECREASE/r to the last send.
        paced = max(self._slot + 1.0 / self._rate, self._last_sent + RATE_DECREASE / self._rate)
        return max(self._pause_until, paced, *(now + log.delay(now) for log in self._logs)) - now

    def _note_dry(self, at: float) -> None:
        """A refusal sent at *at*: from the first one on, Looker's bucket is empty."""
        if self._slow_start and self._dry_from is None:  # the first: the successes sent since
            self._dry_sends = [sent for sent, ok in self._answers if ok and sent >= at]
            self._dry_from = at
        elif self._dry_from is not None and at < self._dry_from:  # an earlier one, answered later
            later = self._dry_from
            self._dry_sends += [sent for sent, ok in self._answers if ok and at <= sent < later]
            self._dry_from = at

    def _end_slow_start(self, now: float, at: float, sending: float) -> None:
        """The first refusal: r was doubling, so it is up to several times Looker's rate; each
        request sent above that rate until we know it is refused. Cut deep at once: to
        _START_CUT x the rate it left at, or to what Looker served per second since our first
        send (its burst and its refill: more than its rate, unless it wasted refills while we
        ramped up below it), but not below _START_FLOOR x that rate."""
        first = self._start_rates[0][0] if self._start_rates else at
        served = self._ok / (at - first) if at > first else math.inf
        cut = min(_START_CUT, max(_START_FLOOR, served / sending))
        if self._ramp_from is not None:  # past the last run's ceiling: back to it at most
            cut = min(RATE_DECREASE, max(cut, self._threshold / sending))
            self._ramp_from = None
        self._decrease(now, sending, cut=cut)
        logger.debug("slow start ends at %.2f requests/s: %.2f", sending, self._rate)

    def _served_since_dry(self, at: float) -> float | None:
        """Ending slow start, a refusal sent at *at* (None: not ending). Looker's bucket was empty
        when the first refusal left and when this one did: between them it gained k < n + 1
        tokens, n being the successes sent then. With none, 1 / span bounds its rate from above
        and the measure goes on; with some, (n + _DRY_TOKENS) / span is its rate, and ends it."""
        if self._dry_from is None or self._slow_start or at <= self._dry_from:
            return None
        served = sum(self._dry_from <= sent < at for sent in self._dry_sends)
        span = at - self._dry_from
        if not served:
            return 1.0 / span
        self._end_dry()  # one measure: below it, what Looker serves is what we send
        return (served + _DRY_TOKENS) / span

    def _end_dry(self) -> None:
        self._dry_from, self._dry_sends = None, []

    def _rate_at(self, sent: float) -> float:
        """The rate in force when the request sent at *sent* left (slow start only)."""
        at = bisect.bisect_right(self._start_rates, (sent, math.inf))
        return self._start_rates[at - 1][1] if at else self._rate

    def _decrease(self, now: float, basis: float, cut: float = RATE_DECREASE) -> None:
        logger.debug(
            "decrease at %.2f requests/s: ceiling %.2f -> %.2f (%d served, %d refused since the last)",
            self._rate,
            self._ceiling,
            basis,
            self._ok,
            self._refused,
        )
        self._slow_start = False
        self._decreased_at = now
        self._ok = self._refused = 0
        self._ceiling, self._probed = basis, 0
        self._set_rate(cut * basis)

    def _set_rate(self, rate: float) -> None:
        if self._clock() < self._floor_until:  # the minute after a lock-out: at its pace
            rate = min(max(self._floor, rate), self._floor / RATE_DECREASE)
        rate = max(RATE_MIN_PER_S, rate)
        self._rate = rate if self._configured is None else min(rate, self._configured)


def _combined_rate(per_second: float | None, per_minute: float | None) -> float | None:
    rates = [rate for rate in (per_second, per_minute and per_minute / _MINUTE) if rate]
    return min(rates) if rates else None


def _served(answers: list[tuple[float, bool]]) -> float:
    """Successes per second of send time over *answers* (send time, success): Looker's rate."""
    span = max(at for at, _ in answers) - min(at for at, _ in answers)
    if len(answers) < _JUDGED or span <= 0:  # too few to tell
        return math.inf
    return sum(ok for _, ok in answers) * (len(answers) - 1) / len(answers) / span
