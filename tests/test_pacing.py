"""The rate budget, in virtual time: pacing, priorities, learning from headers and 429s."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from jobwise._async.pacing import AsyncPacedTransport, acquire
from jobwise._sync.pacing import PacedTransport
from jobwise.errors import InvalidArgumentError
from jobwise.limit_learning import FIRST_PAUSE
from jobwise.pacing import Priority, RateBudget, priority_of
from jobwise.replay import Replay
from jobwise.retries import PAUSED_BELOW, Attempts, RetryPolicy


class VirtualTime:
    """A clock and a sleep: sleepers wake in time order once every task is blocked."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + seconds, next(self._order), future))
        await future

    async def run(self, main: Awaitable[Any], limit: int = 1_000_000) -> Any:
        task = asyncio.ensure_future(main)
        for _ in range(limit):
            for _ in range(8):
                await asyncio.sleep(0)
            if task.done():
                return task.result()
            if self._timers:
                when, _, future = heapq.heappop(self._timers)
                self.now = max(self.now, when)
                if not future.done():
                    future.set_result(None)
        raise AssertionError("the simulation did not finish")


def budget(vt: VirtualTime, rate: float | None = None, **options: Any) -> RateBudget:
    rb = RateBudget(rate, clock=vt, wallclock=lambda: 1_700_000_000.0, **options)
    rb.vt = vt  # type: ignore[attr-defined]
    return rb


async def take(rb: RateBudget, priority: Priority) -> None:
    """Wait for the budget in the budget's virtual time."""
    await acquire(rb, priority, rb.vt.sleep)  # type: ignore[attr-defined]


def answer(status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers={k.replace("_", "-"): v for k, v in headers.items()})


async def test_unknown_rate_does_not_pace() -> None:
    vt = VirtualTime()
    rb = budget(vt)
    for _ in range(100):
        await take(rb, Priority.CREATE)
    assert vt.now == 1000.0 and rb.rate is None and rb.granted == 100


async def test_a_given_rate_spaces_requests_evenly() -> None:
    vt = VirtualTime()
    rb = budget(vt, 120)  # one every 0.5 s

    async def main() -> list[float]:
        times = []
        for _ in range(10):
            await take(rb, Priority.CREATE)
            times.append(vt.now)
        return times

    times = await vt.run(main())
    assert times[0] == 1000.0
    assert times[-1] - times[0] == pytest.approx(4.5 - rb.tolerance)
    gaps = [b - a for a, b in itertools.pairwise(times[1:])]
    assert all(gap == pytest.approx(0.5) for gap in gaps)


async def _order(rb: RateBudget, vt: VirtualTime, arrivals: list[Priority]) -> list[str]:
    got: list[str] = []

    async def one(name: str, priority: Priority) -> None:
        await take(rb, priority)
        got.append(name)

    async def main() -> None:
        await take(rb, Priority.CREATE)  # the budget is now spent for one interval
        async with asyncio.TaskGroup() as group:
            for n, priority in enumerate(arrivals):
                group.create_task(one(f"{priority.name.lower()}{n}", priority))

    await vt.run(main())
    return got


async def test_waiting_creates_go_before_waiting_sweeps() -> None:
    vt = VirtualTime()
    rb = budget(vt, 60, sweep_share=0)
    arrivals = [Priority.SWEEP] * 3 + [Priority.CREATE] * 3
    got = await _order(rb, vt, arrivals)
    assert got == ["create3", "create4", "create5", "sweep0", "sweep1", "sweep2"]


async def test_sweeps_get_their_share() -> None:
    vt = VirtualTime()
    rb = budget(vt, 60, sweep_share=0.25)
    got = await _order(rb, vt, [Priority.SWEEP] * 3 + [Priority.CREATE] * 9)
    assert [name[0] for name in got] == list("cccscccscccs")


async def test_a_cancelled_waiter_hands_its_turn_on() -> None:
    vt = VirtualTime()
    rb = budget(vt, 60)

    async def main() -> float:
        await take(rb, Priority.CREATE)
        first = asyncio.ensure_future(take(rb, Priority.CREATE))
        second = asyncio.ensure_future(take(rb, Priority.CREATE))
        await asyncio.sleep(0)
        first.cancel()
        await second
        return vt.now

    # Second in line it would wait two intervals; it moves up (seen within a second).
    assert await vt.run(main()) <= 1001.0


@pytest.mark.parametrize(
    ("headers", "per_minute"),
    [
        ({"RateLimit-Limit": "400"}, 400),
        ({"RateLimit-Limit": "100, 100;w=10"}, 600),
        ({"RateLimit-Policy": '"default";q=50;w=30', "RateLimit": '"default";r=40;t=3'}, 100),
        ({"X-RateLimit-Limit": "400", "X-RateLimit-Remaining": "12"}, 400),
    ],
)
def test_the_server_limit_comes_from_its_headers(
    headers: dict[str, str], per_minute: float
) -> None:
    vt = VirtualTime()
    rb = budget(vt)
    rb.observe(httpx.Response(200, headers=headers))
    assert rb.server_limit == per_minute
    assert rb.rate == pytest.approx(per_minute * rb.headroom)


def test_a_pacing_decision_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    rb = budget(VirtualTime())
    with caplog.at_level(logging.INFO, logger="jobwise"):
        rb.observe(httpx.Response(200, headers={"RateLimit-Limit": "400"}))
    assert any(
        "pacing at" in r.message and "the server's limit is 400" in r.message
        for r in caplog.records
    ), caplog.text


def test_a_given_rate_is_a_ceiling() -> None:
    rb = budget(VirtualTime(), 100)
    rb.observe(answer(RateLimit_Limit="400"))
    assert rb.rate == 100


@pytest.mark.parametrize(
    "headers",
    [
        {"RateLimit-Limit": "10", "RateLimit-Remaining": "0", "RateLimit-Reset": "7"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(1_700_000_007)},
        {"RateLimit-Policy": '"d";q=10;w=60', "RateLimit": '"d";r=0;t=7'},
    ],
)
async def test_nothing_remaining_waits_for_the_reset(headers: dict[str, str]) -> None:
    vt = VirtualTime()
    rb = budget(vt)
    rb.observe(httpx.Response(200, headers=headers))
    await vt.run(take(rb, Priority.CREATE))
    assert vt.now == pytest.approx(1007.0)


async def test_a_429_pauses_every_request_for_its_retry_after() -> None:
    vt = VirtualTime()
    rb = budget(vt)
    rb.observe(answer(429, Retry_After="3"))
    await vt.run(take(rb, Priority.SWEEP))
    assert vt.now == pytest.approx(1003.0)
    assert rb.throttled == 1


class FixedWindow:
    """A server allowing ``limit`` requests per ``window`` seconds (Writer's documented kind)."""

    def __init__(self, clock: Callable[[], float], limit: int, window: float = 60.0) -> None:
        self.clock, self.limit, self.window = clock, limit, window
        self.start, self.used = clock(), 0

    def __call__(self) -> httpx.Response:
        now = self.clock()
        if now - self.start >= self.window:
            self.start += (now - self.start) // self.window * self.window
            self.used = 0
        if self.used < self.limit:
            self.used += 1
            return answer()
        return answer(429, Retry_After=str(math.ceil(self.start + self.window - now)))


class Bucket:
    """A token bucket of ``rate`` per second and a burst as large (the emulator's kind)."""

    def __init__(self, clock: Callable[[], float], rate: float) -> None:
        self.clock, self.rate, self.tokens, self.stamp = clock, rate, rate, clock()

    def __call__(self) -> httpx.Response:
        now = self.clock()
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return answer()
        wait_ms = math.ceil((1 - self.tokens) / self.rate * 1000)
        return answer(429, Retry_After_Ms=str(wait_ms))


async def _load(
    vt: VirtualTime,
    rb: RateBudget,
    server: Callable[[], httpx.Response],
    requests: int,
    *,
    workers: int = 32,
    network: float = 0.2,
    alone: int = 0,
) -> tuple[float, int]:
    """``requests`` successes through the budget by ``workers`` workers with ``network``
    seconds of network each way; the first ``alone`` successes one at a time (a batch's start)."""
    done = 0
    sent = 0

    async def worker(first: bool) -> None:
        nonlocal done, sent
        while done < requests:
            if not first and done < alone:
                await vt.sleep(0.01)
                continue
            await take(rb, Priority.CREATE)
            sent += 1
            granted = vt.now
            await vt.sleep(network)
            response = server()
            await vt.sleep(network)
            rb.observe(response, granted)
            if response.status_code != 429:
                done += 1

    async def main() -> float:
        started = vt.now
        async with asyncio.TaskGroup() as group:
            for number in range(workers):
                group.create_task(worker(number == 0))
        return vt.now - started

    elapsed = await vt.run(main())
    return elapsed, sent


@pytest.mark.parametrize("kind", ["fixed window", "token bucket"])
async def test_learning_a_limit_from_429s_without_collapse(kind: str) -> None:
    vt = VirtualTime()
    rb = budget(vt)
    server = FixedWindow(vt, 400) if kind == "fixed window" else Bucket(vt, 400 / 60)
    elapsed, sent = await _load(vt, rb, server, 4000)
    floor = 4000 / 400 * 60
    assert rb.throttled <= 0.01 * sent
    assert elapsed <= 1.1 * floor
    assert rb.rate is not None and 300 <= rb.rate <= 420


class SlidingWindow:
    """At most ``limit`` requests in any ``window`` seconds (the emulator's Writer profile)."""

    def __init__(
        self, clock: Callable[[], float], limit: int, window: float, retry_after: bool = True
    ) -> None:
        self.clock, self.limit, self.window = clock, limit, window
        self.retry_after = retry_after
        self.stamps: deque[float] = deque()

    def __call__(self) -> httpx.Response:
        now = self.clock()
        while self.stamps and self.stamps[0] <= now - self.window:
            self.stamps.popleft()
        if len(self.stamps) < self.limit:
            self.stamps.append(now)
            return answer()
        wait = self.stamps[0] + self.window - now
        if not self.retry_after:  # Writer's documented 429 (the emulator's writer profile)
            return answer(429)
        return answer(
            429, Retry_After=str(math.ceil(wait)), Retry_After_Ms=str(math.ceil(wait * 1000))
        )


async def test_a_sliding_window_echoing_a_slow_start_does_not_hold_the_pace_down() -> None:
    """Creates go one at a time first, then 15 side by side (a batch over a 0.05 s round trip).
    Against 400 requests in any 6 s (Writer's limit at speed 10), what the server gives back
    after the first pause is what was sent a window before: the slow start. The storm that
    follows, read as the limit, held the pace at 1,166 a minute of 4,000 for good (1,000
    requests took 2.5 times the floor); the cut lasted as long as the first estimate spanned
    (1.37 times the floor), and now half as long (1.23 times)."""
    vt = VirtualTime()
    rb = budget(vt)
    server = SlidingWindow(vt, 400, 6.0)
    elapsed, sent = await _load(vt, rb, server, 1000, workers=15, network=0.025, alone=50)
    floor = 1000 / 400 * 6.0
    assert elapsed <= 1.3 * floor
    assert rb.rate is not None and 0.9 * 4000 <= rb.rate <= 4000
    assert rb.throttled <= 0.03 * sent


async def test_one_request_at_a_time_faster_than_the_limit_learns_it_without_retry_after() -> None:
    """Creates one at a time on loopback (0.6 ms each, 1,700 a second) against 400 in any
    second, 429s without Retry-After (Writer's profile at speed 60): each window's allowance
    goes in a quarter of a second, then the next request meets a 429 alone, and each one after
    the pause too. One 429 at a time is never a storm in flight, and the pause doubled up to
    8 s with no rate ever learned: 10,000 creates took 183 s of their 25 (bench_batch.py)."""
    vt = VirtualTime()
    rb = budget(vt)
    server = SlidingWindow(vt, 400, 1.0, retry_after=False)
    elapsed, sent = await _load(vt, rb, server, 4000, workers=1, network=0.0003)
    floor = 4000 / 400
    # 55 s before: a 429 with an answer accepted since the last now halves the pause, three
    # in a row (nothing accepted among them) are a storm, an estimate under 90 % of the pace
    # lowers it however few the 429s, and the allowance is read as back after the first pause
    # (read at the end of a grown one: 13-14 s). What is left (12 s) is the estimates' error,
    # probed back up 5 % at a time.
    assert elapsed <= 1.25 * floor
    assert rb.rate is not None and 0.6 * 24_000 <= rb.rate <= 24_000
    assert rb.throttled <= 0.01 * sent


class Stray:
    """No limit, but a share of answers 429 at random (a server's faults, not its allowance)."""

    def __init__(self, share: float, seed: int = 1) -> None:
        self.share, self.random = share, random.Random(seed)

    def __call__(self) -> httpx.Response:
        if self.random.random() < self.share:
            return answer(429, Retry_After="1", Retry_After_Ms="200")
        return answer()


async def test_stray_429s_do_not_walk_the_rate_down() -> None:
    vt = VirtualTime()
    rb = budget(vt)
    elapsed, sent = await _load(vt, rb, Stray(0.05), 4000)
    assert rb.throttled > 100  # the server did answer 429s
    # 32 workers at 0.4 s a request: 4,800 a minute. A rare episode may look like a limit (two
    # of three answers in flight 429 by chance), but the pace is not walked down.
    assert rb.rate is None or rb.rate >= 0.9 * 4800
    # The work (32 workers, 0.2 s a request) plus every 429's 0.2 s pause for all is 73 s here;
    # reading each stray 429 as a limit took 279 s.
    assert elapsed <= 1.5 * (sent / 32 * 0.2 + rb.throttled * 0.2)


@pytest.mark.parametrize("kind", ["fixed window", "token bucket"])
async def test_one_request_at_a_time_meets_a_limit(kind: str) -> None:
    vt = VirtualTime()
    rb = budget(vt)
    server = FixedWindow(vt, 100) if kind == "fixed window" else Bucket(vt, 100 / 60)
    done = 0
    while done < 400:  # each answer is a lone one: nothing else is in flight
        await vt.run(take(rb, Priority.CREATE))
        response = server()
        rb.observe(response, vt.now)
        done += response.status_code != 429
    if kind == "fixed window":  # one 429 a window, its pause lasting to the window's end
        assert rb.rate is None or rb.rate <= 105
        assert rb.throttled <= 5
    else:  # a 429 after almost every request: a share no stray 429 makes, learned
        assert rb.rate is not None and 50 <= rb.rate <= 105
        assert rb.throttled <= 25


async def test_timing_429s_at_a_learned_limit_do_not_walk_the_pace_down() -> None:
    """One request at a time against 400 a second (Writer's 400 a minute at speed 60): the
    second ends in 429s with an accepted answer between them, until the share of 429s sets a
    pace. The 429s of that same bunch, milliseconds apart, and then a 429 now and then at the
    pace (a request the network held back arrives with the next ones) do not lower it."""
    vt = VirtualTime()
    rb = budget(vt)

    async def send(status: int = 200) -> None:
        await take(rb, Priority.CREATE)
        granted = vt.now
        vt.now += 0.0025
        rb.observe(answer(status, Retry_After="1", Retry_After_Ms="4"), granted)

    async def second() -> None:
        for _ in range(390):
            await send()
        for _ in range(10):  # the window is full: its oldest requests leave one by one
            await send(429)
            await send()

    await vt.run(second())
    learned = rb.rate
    assert learned is not None and 0.9 * 400 * 60 <= learned <= 400 * 60

    async def paced() -> None:
        for n in range(1, 3001):
            await send(429 if n % 500 == 0 else 200)

    await vt.run(paced())
    assert rb.rate == learned


async def _learned_from_a_storm(vt: VirtualTime, rb: RateBudget) -> float:
    """The rate a storm sets after 30 requests over 3 s (the estimate spans 4 s, its pause too)."""
    for _ in range(30):
        await vt.run(take(rb, Priority.CREATE))
        vt.now += 0.1
        rb.observe(answer())
    for _ in range(3):  # a storm: three answers in flight, all 429
        rb.observe(answer(429, Retry_After="1"))
    await vt.run(take(rb, Priority.CREATE))  # the pause is over: the episode is judged
    assert rb.rate is not None
    return rb.rate


async def test_a_429_after_a_probe_takes_it_back_and_tries_half_the_step() -> None:
    """The limit lies between the pace before a probe and the probe: half the step is tried at
    once, a 429 there takes the pace back, and the next probe's step is halved again (5 %
    probes taken back kept a Writer-profile batch at 95 % of its limit)."""
    vt = VirtualTime()
    rb = budget(vt)
    learned = await _learned_from_a_storm(vt, rb)
    rb._queued_since_change = True
    vt.now += 2 * rb.window
    await vt.run(take(rb, Priority.CREATE))
    assert rb.rate == pytest.approx(learned * 1.05)
    rb.observe(answer(429, Retry_After="1"))
    assert rb.rate == pytest.approx(learned * 1.025)
    vt.now += 2  # after the pause: a 429 of another episode
    rb.observe(answer(429, Retry_After="1"))
    assert rb.rate == pytest.approx(learned)
    rb._queued_since_change = True
    vt.now += 8 * rb.window  # the quiet time doubled by each 429 after a probe
    await vt.run(take(rb, Priority.CREATE))
    assert rb.rate == pytest.approx(learned * 1.0125)


async def test_a_pace_below_the_best_estimate_probes_after_one_span() -> None:
    """A pace a storm cut below what the server once accepted over a whole span probes after
    one span of the estimate in force, not two (a Writer-profile batch took 11 s to climb from
    86 % of its limit to 95 %)."""
    vt = VirtualTime()
    rb = budget(vt)
    learned, learned_at = await _learned_from_a_storm(vt, rb), vt.now
    rb._best = 1.2 * learned / rb.headroom
    rb._queued_since_change = True
    vt.now = learned_at + 0.9 * 4  # under one span of the estimate (4 s)
    await vt.run(take(rb, Priority.CREATE))
    assert rb.rate == learned
    vt.now = learned_at + 1.1 * 4
    await vt.run(take(rb, Priority.CREATE))
    assert rb.rate == pytest.approx(learned * 1.05)


async def test_a_pace_learned_over_a_short_span_probes_after_two_such_spans() -> None:
    """A server whose window is a second (Writer's minute at speed 60) is probed after a few
    quiet seconds, not a quiet minute: an estimate read low held a 25 s batch down for good."""
    vt = VirtualTime()
    rb = budget(vt)
    learned, learned_at = await _learned_from_a_storm(vt, rb), vt.now
    rb._queued_since_change = True
    vt.now += 1.9 * 4  # under two spans of the estimate (30 accepted over 4 s)
    await vt.run(take(rb, Priority.CREATE))
    assert rb.rate == learned
    vt.now = learned_at + 2.1 * 4
    await vt.run(take(rb, Priority.CREATE))
    assert rb.rate == pytest.approx(learned * 1.05)


async def _paused_after(rb: RateBudget, status: int) -> float:
    """Seconds the next request waits after an answer of ``status`` (virtual time)."""
    vt: VirtualTime = rb.vt  # type: ignore[attr-defined]
    rb.observe(answer(status), vt.now)
    before = vt.now
    await vt.run(take(rb, Priority.CREATE))
    return vt.now - before


async def _accepted(rb: RateBudget, answers: int) -> None:
    """``answers`` requests granted and accepted."""
    vt: VirtualTime = rb.vt  # type: ignore[attr-defined]
    for _ in range(answers):
        await vt.run(take(rb, Priority.CREATE))
        rb.observe(answer(), vt.now)


async def test_the_only_429_at_a_pace_pauses_one_interval() -> None:
    """The only 429 in a while at a pace is timing (a late wake-up made up for in a burst): it
    pauses every request one interval of the pace, not 0.05 s (20 requests at 400 a second);
    a second one right after pauses in earnest."""
    vt = VirtualTime()
    rb = budget(vt, 6000)  # an interval of 0.01 s
    await _accepted(rb, 40)
    assert await _paused_after(rb, 429) == pytest.approx(0.01)
    assert await _paused_after(rb, 429) >= FIRST_PAUSE


async def test_a_429_after_a_few_accepted_right_after_a_pause_doubles_it() -> None:
    """A sliding window giving back a slow start lets a few requests through between 429s: the
    allowance is still spent, and the pause doubles (halved there, the 429s came quicker and
    stormed, the pace cut to 1,150-1,617 a minute of 4,000 for 3.8 s)."""
    vt = VirtualTime()
    rb = budget(vt)
    await vt.run(take(rb, Priority.CREATE))
    assert await _paused_after(rb, 429) == pytest.approx(FIRST_PAUSE)
    await _accepted(rb, 5)
    assert await _paused_after(rb, 429) == pytest.approx(2 * FIRST_PAUSE)


async def test_after_the_only_429_at_a_pace_the_next_pause_starts_short() -> None:
    """A pause grown by 429s in a row does not carry over to a lone 429 long after: paused one
    interval, then doubled by the 429 right after it, a grown pause held a Writer-profile batch
    at speed 60 for 1.7 s at each of its 429s (a pair a window)."""
    vt = VirtualTime()
    rb = budget(vt, 6000)  # an interval of 0.01 s
    for _ in range(6):  # the allowance spent: the pause grows to 1.6 s
        await _paused_after(rb, 429)
    await _accepted(rb, 40)
    assert await _paused_after(rb, 429) == pytest.approx(0.01)  # the only one in a while
    # right after it: in earnest, from the first pause
    assert await _paused_after(rb, 429) == pytest.approx(2 * FIRST_PAUSE)


async def test_a_given_rate_meets_the_server_without_429s() -> None:
    vt = VirtualTime()
    rb = budget(vt, 400)
    elapsed, _ = await _load(vt, rb, Bucket(vt, 400 / 60), 2000)
    assert rb.throttled == 0
    assert elapsed <= 1.05 * (2000 / 400 * 60)


def test_priority_of_a_request() -> None:
    assert priority_of(httpx.Request("POST", "http://x/v1/applications/a/jobs")) is Priority.CREATE
    assert priority_of(httpx.Request("GET", "http://x/v1/applications/a/jobs")) is Priority.SWEEP
    marked = httpx.Request("GET", "http://x/", extensions={"jobwise_priority": Priority.CREATE})
    assert priority_of(marked) is Priority.CREATE


async def test_paced_transport_acquires_and_observes() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        return answer(200, RateLimit_Limit="120")

    rb = RateBudget()
    transport = AsyncPacedTransport(httpx.MockTransport(handler), rb, asyncio.sleep)
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post("http://127.0.0.1/v1/applications/a/jobs", json={})
    assert seen == ["POST"] and rb.granted == 1 and rb.server_limit == 120


def test_sync_paced_transport_waits_in_threads() -> None:
    slept: list[float] = []
    rb = RateBudget(600)  # one every 0.1 s
    transport = PacedTransport(httpx.MockTransport(lambda _: answer()), rb, slept.append)
    with httpx.Client(transport=transport) as client:
        for _ in range(3):
            client.get("http://127.0.0.1/v1/applications/jobs/j")
    assert rb.granted == 3 and slept  # the fake sleep never advances the clock: it waited


def test_bad_arguments() -> None:
    with pytest.raises(InvalidArgumentError, match="rate_limit"):
        RateBudget(0)
    with pytest.raises(InvalidArgumentError, match="sweep_share"):
        RateBudget(sweep_share=2)


async def test_a_re_estimate_over_a_shorter_span_than_the_one_in_force_is_not_taken() -> None:
    """The 429s of the bunch that set a first estimate arrive after its pause; read over the
    fraction of a second since, they said 17,600 a minute of a 24,000 limit. The estimate
    waits until its evidence spans as long as the one in force did."""
    vt = VirtualTime()
    rb = budget(vt)

    async def send(status: int = 200, pause_ms: str = "4") -> None:
        await take(rb, Priority.CREATE)
        granted = vt.now
        vt.now += 0.0025
        rb.observe(answer(status, Retry_After="1", Retry_After_Ms=pause_ms), granted)

    async def bunch(accepted: int, throttled: int, pause_ms: str) -> None:
        for _ in range(accepted):
            await send()
        for _ in range(throttled):
            await send(429, pause_ms)
            await send()

    await vt.run(bunch(390, 10, "4"))  # about a second: the first estimate
    learned = rb.rate
    assert learned is not None and 0.9 * 400 * 60 <= learned <= 400 * 60
    await vt.run(bunch(20, 6, "30"))  # a tenth of a second, long pauses: reads low
    assert rb.rate == learned
    await vt.run(bunch(400, 6, "30"))  # as long as the first: taken
    assert rb.rate is not None and rb.rate < learned


@pytest.mark.parametrize(
    ("fallen_to", "requests", "most_429s"),
    [(200, 2000, 0.03), (320, 8000, 0.02)],
    ids=["by half", "by a fifth"],
)
async def test_a_limit_that_falls_is_learned_again(
    fallen_to: int, requests: int, most_429s: float
) -> None:
    """A second client on the key takes what the server accepts of this one. Re-estimates
    between episodes, read since a reference set before the fall and held at 80 % of the best
    estimate, never learned a halved limit: 46 % of the requests were 429s, paced at 93 % of
    the old limit. A limit a fifth lower, which makes under a quarter of the answers 429s, took
    6 % of 8,000. A quarter of the last 64 answers at one pace being 429s, or a tenth of the last
    512, now sets the pace to what was accepted."""
    vt = VirtualTime()
    rb = budget(vt)
    server = Bucket(vt, 400 / 60)
    await _load(vt, rb, server, 4000)
    server.rate = fallen_to / 60
    before = rb.throttled
    _, sent = await _load(vt, rb, server, requests)
    assert rb.throttled - before <= most_429s * sent
    # at most a probe above (5 %): at the limit, the pace probes now and then
    assert rb.rate is not None and 0.8 * fallen_to <= rb.rate <= 1.05 * fallen_to


async def test_a_429_without_retry_after_pauses_briefly_then_doubles() -> None:
    """No Writer page documents Retry-After: a lone 429 pauses every request 0.05 s (a fixed
    second was a whole window at speed 60), each 429 right after the last pause doubles it up to
    8 s, and a 429 long after the last pause halves it (that pause was enough)."""
    vt = VirtualTime()
    rb = budget(vt)
    pauses = []
    await vt.run(take(rb, Priority.CREATE))
    for _ in range(10):  # each retry meets a 429 again: the allowance stays spent
        before = vt.now
        rb.observe(answer(429), vt.now)
        await vt.run(take(rb, Priority.CREATE))
        pauses.append(round(vt.now - before, 3))
    assert pauses[:4] == [0.05, 0.1, 0.2, 0.4] and max(pauses) == 8.0
    await vt.run(vt.sleep(60))
    for _ in range(50):  # a calm spell
        await vt.run(take(rb, Priority.CREATE))
        rb.observe(answer(), vt.now)
    for expected in (4.0, 2.0, 1.0):
        rb.observe(answer(429), vt.now)
        before = vt.now
        await vt.run(take(rb, Priority.CREATE))
        assert round(vt.now - before, 3) == expected
        await vt.run(vt.sleep(60))


def test_a_429_the_budget_waits_out_is_retried_without_a_backoff_of_its_own() -> None:
    """Below the retries, the paced transport marks a 429 without Retry-After: the budget holds
    every request for its pause, so the retry adds none (it held a serial batch's create slot)."""
    clock = [1000.0]
    rb = RateBudget(clock=lambda: clock[0])
    paced = PacedTransport(httpx.MockTransport(lambda _: answer(429)), rb, time.sleep)
    request = httpx.Request("POST", "http://127.0.0.1/v1/jobs")
    response = paced.handle_request(request)
    assert response.extensions.get(PAUSED_BELOW) is True
    attempts = Attempts(RetryPolicy(), request, lambda: clock[0], random.Random(1))
    assert attempts.after_response(response) == 0.0
    assert attempts.after_response(answer(429)) > 0  # no budget below: a backoff of its own


async def test_the_echo_of_a_slow_start_is_replayed_not_stormed() -> None:
    """50 creates one at a time, then four side by side, against 400 in any 6 s without
    Retry-After (Writer's profile at speed 10): the window fills 7.2 s in, and what it gives
    back after is what it took 6 s before, the slow start. Paced at the estimate, requests met
    that trickle 429 after 429 (nine after the first storm's three); replayed at the start's own
    timing, none."""
    vt = VirtualTime()
    rb = budget(vt)
    server = SlidingWindow(vt, 400, 6.0, retry_after=False)
    elapsed, _ = await _load(vt, rb, server, 1000, workers=4, network=0.025, alone=50)
    assert rb.throttled <= 3  # the first storm: the requests in flight when the window filled
    # 18.4 s of a 15 s floor: the start's burst (28 in its last 0.1 s) is replayed as it went,
    # and the replay's own echo paced a span later (19.1 s when the replay was held to the
    # estimate's pace, and nothing after it)
    assert elapsed <= 18.6


def test_a_429_to_a_replayed_request_ends_the_replay() -> None:
    """A server whose window is longer than the span the first estimate read (400 accepted in
    0.4 s, refused until 6 s went by) answers the replay with 429s: it ends at the first."""
    replay = Replay()
    for k in range(400):
        replay.accepted(k / 1000)
    replay.answered(0.4, throttled=True)  # the first storm, before any rate: no replay yet
    replay.begin(0.75, 403)
    assert replay.not_before(403) == 0.75
    replay.granted(0.75, 403)
    assert replay.not_before(404) == pytest.approx(0.751)
    replay.answered(0.3, throttled=True)  # an answer to a request sent before it began
    assert replay.not_before(404) > -math.inf
    assert not replay.leads(404)  # the rate paces it too until a replayed request is accepted
    replay.answered(0.75, throttled=True)
    assert replay.not_before(404) == -math.inf


def test_the_replay_paces_its_own_echo_then_ends() -> None:
    """After the start's requests, the replay's own are replayed a span on, then pacing is
    the rate's alone."""
    replay = Replay()
    for sent in (0.0, 0.5, 0.6):
        replay.accepted(sent)
    replay.begin(1.0, 3)
    replay.answered(1.0, throttled=False)
    assert replay.leads(3)
    for granted, now in ((3, 1.0), (4, 1.5), (5, 1.7)):
        assert replay.not_before(granted) <= now
        replay.granted(now, granted)
    assert [replay.not_before(granted) for granted in (6, 7, 8)] == [2.0, 2.5, 2.7]
    for granted, now in ((6, 2.0), (7, 2.5), (8, 2.7)):
        replay.granted(now, granted)
    assert replay.not_before(9) == -math.inf
