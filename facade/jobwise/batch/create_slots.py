"""How many creates a batch sends side by side to a server that may ignore Idempotency-Key.

A create whose answer is lost is settled from the listing, in the window of time it was in
flight: Writer's jobs do not carry their inputs, so two lost creates whose windows overlap can
only be told apart when one of them made nothing. Creates in flight together are exactly such
windows. So creates start one at a time, and go side by side only:

* on a connection that has lost none of the last :data:`CALM` creates (a network that drops
  one answer in four drops two side by side too, and they end ``ambiguous``); any lost create
  puts them back to one at a time;
* as far as the network, not the rate budget, holds them back: at a known pace, as many as
  carry it over the median round trip and one more (Little's law). One at a time, a create a
  round trip of 0.3 s long allows 200 a minute of Writer's 400; three at a time reach the limit;
* before the server's rate is known (no ``rate_limit=``, no headers, no 429 yet), one more
  after :data:`CALM` more creates answered at the width in force while a create waited on the
  network at least four times as long as on the budget and others queued for a slot (one fewer
  when it waited longer on the budget), not one more per answer: with
  nothing to pace them, slots widened per answer went from 1 to 15 in 0.2 s, 300 creates a
  second at a 0.05 s round trip, and spent a 400-request window in a burst that the server's
  sliding window gave back a window later, storm after storm (1,000 jobs at speed 10: 43-48
  429s, paced down to 81 or 395 a minute for seconds); and a 429 before a rate is known puts
  them back to one at a time (each pause's end let every slot's create out into the storm);
* and only over round trips of :data:`NETWORK_FLOOR` or more (the median of the last
  :data:`ROUND_TRIPS_KEPT`): one at a time, a closer server takes 50 creates a second, over seven
  times Writer's documented limit, and nothing is worth the risk below. Loopback keeps one (on
  it, with 6.5 % of creates lost, side by side made two items ambiguous in 5,000).

The cost, stated: a lost create in flight beside others is settled with theirs, and where two
windows share an unknown job, both items end ``ambiguous`` (never another input's result).
"""

from __future__ import annotations

import math
import statistics
from collections import deque

from jobwise.concurrency import FifoLimit

CALM = 50
"""Creates answered in a row, none lost, before any go side by side."""
NETWORK_BOUND = 4.0
"""A create waited this many times longer on the network than on the budget: add a slot."""
NETWORK_FLOOR = 0.02
"""Seconds: the median round trip below which creates stay one at a time."""
ROUND_TRIPS_KEPT = 16
"""Creates whose network time the median is of (one slow answer in a hundred moves it not)."""


class CreateSlots(FifoLimit):
    """An async limit on creates in flight: 1 up to ``ceiling``, set by what creates show."""

    current = 1
    """Creates that may be in flight now."""

    def __init__(self, ceiling: int) -> None:
        super().__init__()
        self.ceiling = max(1, ceiling)
        self.calm = 0
        self._since_resize = 0
        """Creates answered since the width last changed."""
        self._round_trips: deque[float] = deque(maxlen=ROUND_TRIPS_KEPT)

    def answered(self, paced: float, network: float, rate: float | None = None) -> None:
        """A create was answered after ``paced`` seconds waiting on the rate budget and
        ``network`` seconds on the network (its attempts, retries included); ``rate``: the
        budget's pace in requests a minute (None: no rate known, and nothing holds a burst
        back but the slots)."""
        self.calm += 1
        self._since_resize += 1
        self._round_trips.append(network)
        if self.calm < CALM:
            return
        round_trip = statistics.median(self._round_trips)
        if rate is not None and round_trip >= NETWORK_FLOOR:
            # Little's law: the creates in flight that carry the pace over the round trip, and
            # one more for its jitter. Widened per answer and narrowed per pause of the budget,
            # the slots swung between 1 and 11 at a known pace and creates ran at 51 a second
            # of 60 (the network scenario of scripts/bench_virtual.py).
            wanted = min(self.ceiling, math.ceil(rate / 60 * round_trip) + 1)
            if wanted != self.current:
                self._resize(wanted)
            return
        if (
            self._since_resize >= CALM
            and network >= NETWORK_BOUND * paced
            and self.waiting
            and self.current < self.ceiling
            and round_trip >= NETWORK_FLOOR
        ):
            self._resize(self.current + 1)
        elif paced > network and self.current > 1:
            self._resize(self.current - 1)

    def lost(self) -> None:
        """A create's answer was lost: one at a time again, until :data:`CALM` more answer."""
        self.calm = 0
        self._resize(1)

    def throttled(self) -> None:
        """A 429 before any rate is known: one at a time while the budget learns it (the
        calm is kept: widening starts again at once, by :data:`CALM` creates a slot)."""
        self._resize(1)

    def _resize(self, slots: int) -> None:
        self._since_resize = 0
        self.current = slots
        self._wake()
