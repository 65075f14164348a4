"""When the batch engine looks for its jobs' results, so that waiting costs about the same at any
job latency (no I/O here).

Jobs are grouped by age into tiers that double: tier 0 holds jobs younger than ``interval /
FRESHNESS``, tier j the next doubling. Tier 0 is looked at every interval, tier j every
``interval * 2**(j-1)``: a job is looked for again after at most :data:`FRESHNESS` of its age
(young jobs every interval). A sweep of the list endpoint reads newest first down to the
oldest tier due, which covers every younger tier too, so a deep sweep is as rare as the old
jobs it serves; jobs due one by one instead would make every sweep deep.

A job the sweeps have covered :data:`STRAGGLER_SWEEPS` times and that is older than
:data:`STRAGGLER_FACTOR` times the 90th percentile of the latencies seen so far is retrieved on
its own, then again each time its age doubles: correctness never rests on the server's
ordering, and the safety net costs a few requests per long-tail job, not one per job and
interval.
"""

from __future__ import annotations

import math
from collections import deque

FRESHNESS = 0.15
"""Look again after at most this share of a job's age: one finishing at a random moment waits
half of it at the median, 7.5 % of its age, inside issue 13's 10 %."""
STRAGGLER_SWEEPS = 4
"""Sweeps that must have covered a job before it may be retrieved on its own."""
STRAGGLER_FACTOR = 3.0
"""How many times the 90th percentile latency a job must be old to be retrieved on its own."""
STRAGGLER_FLOOR = 10.0
"""Sweep intervals a job must be old for that, whatever the latencies (none seen yet, or tiny)."""
LATENCIES_KEPT = 1000
TAIL_INTERVAL = 0.1
"""Seconds: the shortest interval once every input is sent (see :meth:`Schedule.tail`). At 0.25 s
bench_virtual.py writer's last job (8.5 s, among 10,000) was seen 0.34 s after it ended, 1 % of
the batch; at 0.1 s, 0.03-0.06 s (seeds 0 and 1)."""
TAIL_FRESHNESS = 0.05
"""Once every input is sent and fewer jobs are left than a sweep reads pages, each is retrieved
again after at most this share of its age: the tiers look at a 27-53 s old job every 4 s, and
the 30.6 s job that ends a 1,000-job batch at speed 10 (bench_batch.py's network scenario) was
seen 0.8-4.0 s after it ended, up to 11 % of the whole batch. A look each 5 % of its age costs
such a job about 14 retrieves per doubling of its age, when a sweep would cost more."""
TAIL_BUDGET = 0.02
"""Looks the tail may add, as a share of the batch's jobs (issue 13 allows 1.1 requests a job)."""
PROBE_BUDGET = 0.04
"""Readings of the in-progress listing the tail may add over the longest latency seen, as a share
of the batch's jobs: a page each, whatever the jobs' ages. bench_virtual.py network seed 1
(1,000 jobs, the longest 47 s): a reading each 1.2 s, the last job seen 0.55 s after it ended;
at 0.02, each 2.35 s and 1.39 s. It costs a long tail more: 500 jobs of median 0.5 s, p99 60 s
(tests/batch/test_waiting.py, a 300 s job) took 790 requests, 754 at 0.02."""


class Schedule:
    """Which ages to look for at each tick; the latencies seen set the straggler threshold."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.base_interval = interval
        self._looked: list[float] = []
        """When each tier was last covered by a look."""
        self._latencies: deque[float] = deque(maxlen=LATENCIES_KEPT)
        self._ordered: list[float] | None = None
        """The latencies kept, sorted (None: to sort again after a new one)."""
        self.probe_every = math.inf
        """Seconds between two looks at the in-progress listing at most, once every input is
        sent (set by :meth:`tail`)."""
        self._probed = -math.inf

    def upper(self, tier: int) -> float:
        """The age (seconds) where a tier ends."""
        return math.ldexp(self.interval / FRESHNESS, tier)

    def period(self, tier: int) -> float:
        """Seconds between two looks at a tier."""
        return math.ldexp(self.interval, max(0, tier - 1))

    def depth(self, now: float, oldest: float) -> float | None:
        """The age down to which to look now, the oldest outstanding job being ``oldest``
        seconds old (None: no tier is due). Marks the tiers it covers as looked at."""
        due, tier = None, 0
        while True:
            if tier == len(self._looked):
                self._looked.append(-float("inf"))
            # Half an interval early rather than a whole interval late (looks come on ticks).
            if now - self._looked[tier] >= self.period(tier) - self.interval / 2:
                due = tier
            if self.upper(tier) > oldest:
                break
            tier += 1
        if due is None:
            return None
        for covered in range(due + 1):
            self._looked[covered] = now
        return self.upper(due)

    def finished(self, age: float) -> None:
        """A job finished this many seconds after it was submitted (or retried)."""
        self._latencies.append(age)
        self._ordered = None

    def _sorted(self) -> list[float]:
        if self._ordered is None:
            self._ordered = sorted(self._latencies)
        return self._ordered

    def straggler_age(self) -> float:
        """Seconds after which a job the sweeps keep missing is retrieved on its own."""
        floor = STRAGGLER_FLOOR * self.base_interval
        ordered = self._sorted()
        if not ordered:
            return floor
        return max(floor, STRAGGLER_FACTOR * ordered[int(0.9 * (len(ordered) - 1))])

    def tail(self, jobs: int) -> None:
        """Every input is sent: only the batch's last jobs are left, and the last of them to be
        seen ends the batch. Look as often as the looks this adds over the longest latency seen
        stay within :data:`TAIL_BUDGET` of the batch's ``jobs`` (within the interval, no closer
        than :data:`TAIL_INTERVAL`): a few requests paid once, at the end, for up to an
        interval of wall time. (A share of the median latency apart, as before, the last jobs of
        a batch of 1-10 s jobs were looked for every 0.8 s, seen 0.4 s late on average.)"""
        ordered = self._sorted()
        if not ordered:
            return
        longest = ordered[-1]
        affordable = longest / max(1.0, TAIL_BUDGET * jobs)
        self.interval = min(self.base_interval, max(TAIL_INTERVAL, affordable))
        self.probe_every = max(TAIL_INTERVAL, longest / max(1.0, PROBE_BUDGET * jobs))

    def probe(self, now: float, asked: bool) -> bool:
        """Whether to read the in-progress listing now: when the tiers ask, or once
        :attr:`probe_every` has passed since the last reading (half an interval early rather
        than late, as the tiers). Asked by the tiers alone, bench_virtual.py writer's last job
        (8.5 s old) was looked at each 0.4-0.8 s and seen 0.34 s after it ended; 0.03-0.06 s."""
        if asked or now - self._probed >= self.probe_every - self.interval / 2:
            self._probed = now
            return True
        return False


def cheaper_alone(below: list[float], pages_per_second: float) -> bool:
    """Whether a sweep should stop and retrieve each job due below its last page on its own:
    ``below`` are how many seconds of creation time each lies under that page, and the listing
    held ``pages_per_second`` pages a second of it so far. Reading down to the k-th nearest
    costs the pages above it and leaves the rest to retrieve; that beats retrieving all of them
    now only where the k-th nearest lies fewer than k pages down."""
    ordered = sorted(below)
    return all(math.ceil(depth * pages_per_second) >= k for k, depth in enumerate(ordered, 1))


class FailedListing:
    """When a sweep reads the failed listing beside the completed one (many of ours running):
    once a failure of ours is expected there since it was last read, by Laplace's rule of
    succession over the final answers seen (one failure for each completion before any is
    seen, so it is read at once; with none in n answers, about once per n more). The Writer
    profile fails none, and reading it on every such sweep cost a request each that found
    nothing: 13 of the 55 listings of 600 jobs of 2-6 s (tests/batch/test_waiting.py)."""

    def __init__(self) -> None:
        self._finals = 0
        self._failures = 0
        self._unread = 0.0
        """Failures of ours expected in the failed listing since it was last read."""

    def seen(self, failed: bool) -> None:
        """A final answer of one of ours, failed or not."""
        self._finals += 1
        self._failures += failed

    def listings(self) -> list[str]:
        """The statuses to list (the completed jobs, and the failed ones when due)."""
        return ["completed", "failed"] if self._unread >= 1.0 else ["completed"]

    def read(self, failed_listed: bool, completed: int) -> None:
        """A sweep ended: it read the failed jobs too, or found ``completed`` of ours without."""
        if failed_listed:
            self._unread = 0.0
        else:
            self._unread += completed * (self._failures + 1) / (self._finals - self._failures + 1)
