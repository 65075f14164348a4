"""A rate budget: requests per minute, paced before they are sent, creates first.

:class:`RateBudget` spaces requests evenly (GCRA: each grant moves a "theoretical arrival time"
one interval on; a grant may come up to ``tolerance`` seconds early, so a late wake-up is made
up for instead of lost). Where the rate comes from (the caller's ``rate_limit=``, a server's
headers, its 429s) and how a limit is learned: :mod:`jobwise.limit_learning`; after the first
rate learned from 429s, no grant comes sooner than the start's own timing (:mod:`jobwise.replay`).

Priorities: a waiting :attr:`Priority.CREATE` goes before a waiting :attr:`Priority.SWEEP`, but
``sweep_share`` of the grants (5 % by default) go to a sweep that has waited, so that results are
still collected while creates saturate the budget (0 makes the order strict).

Why not a library: aiolimiter 1.3 (a leaky bucket) has no priorities, reads the loop's clock (no
injectable clock), fixes its rate at construction (``_rate_per_sec`` is private, in
``__slots__``) and allows a burst of a whole period's requests at once, which trips a server
that counts per second. ``limits`` 5 answers "may I?" against a window store but never waits,
has no priorities and no re-rating either. What is left here is small: a GCRA clock, two
queues and the learning rules (:class:`~jobwise.limit_learning.LimitLearning`).

No I/O here: the paced transports (``jobwise._async.pacing`` and its sync twin) sleep for the
budget, below the retries (each attempt is paced and observed) and above the network::

    AsyncRetryTransport(... AsyncPacedTransport(AsyncDatedTransport(network, ...), budget, sleep))

Waiters sleep rather than wait on events, so one budget serves asyncio and threads alike (a
lock guards it): the first in line sleeps until its grant, the others about as long as the
grants before them take, and each looks again when it wakes.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from enum import IntEnum

import httpx

from jobwise.errors import InvalidArgumentError
from jobwise.limit_learning import LimitLearning
from jobwise.rate_headers import MINUTE
from jobwise.settings import check_rate_limit

LOOK_AGAIN = 1.0
"""A waiter looks again at least this often (seconds): a pause may end early or a rate change."""


class Priority(IntEnum):
    """Who goes first when both wait: creates, then sweeps (lists and single retrieves)."""

    CREATE = 0
    SWEEP = 1


class Ticket:
    """A request waiting for its turn (see :meth:`RateBudget.admit`)."""

    __slots__ = ("priority",)

    def __init__(self, priority: Priority) -> None:
        self.priority = priority


class RateBudget(LimitLearning):
    """Paces requests to ``rate`` per minute (None: unknown until the server tells).

    >>> budget = RateBudget(rate_limit=400)
    >>> ticket = budget.admit(Priority.CREATE)  # None: send now
    >>> while ticket and (pause := budget.wait_time(ticket)) > 0:
    ...     time.sleep(pause)                     # then budget.leave(ticket) in a finally
    >>> budget.observe(response)                # after each answer
    """

    def __init__(
        self,
        rate_limit: float | None = None,
        *,
        tolerance: float = 0.05,
        sweep_share: float = 0.05,
        headroom: float = 0.97,
        window: float = MINUTE,
        clock: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 <= sweep_share <= 1:
            raise InvalidArgumentError("sweep_share", f"must be within 0..1; got {sweep_share}")
        rate_limit = check_rate_limit(rate_limit)
        super().__init__(window)
        self.ceiling = rate_limit
        self.rate: float | None = rate_limit
        """Requests per minute in force; None while unknown (no pacing)."""
        self.tolerance = tolerance
        self.sweep_share = sweep_share
        self.headroom = headroom
        self.window = window
        self.clock = clock
        self.wallclock = wallclock
        self.granted = 0
        self._tat = -math.inf
        self._not_before = -math.inf
        self._queues: tuple[deque[Ticket], deque[Ticket]] = (deque(), deque())
        self._lock = threading.Lock()
        self._passed_over = 0
        self._started: float | None = None

    # pacing -------------------------------------------------------------------------------

    def observe(self, response: httpx.Response, sent: float | None = None) -> None:
        """As :meth:`LimitLearning.observe`, and tell the replay (:mod:`jobwise.replay`)."""
        super().observe(response, sent)
        if sent is not None:
            with self._lock:
                self._replay.answered(sent, response.status_code == 429)

    @property
    def interval(self) -> float:
        """Seconds between two grants at the current rate (0: no pacing)."""
        return MINUTE / self.rate if self.rate else 0.0

    def _delay(self, now: float) -> float:
        replayed = self._replay.not_before(self.granted)
        if self._replay.leads(self.granted):  # the replay's timing, not the rate's
            return max(self._not_before, replayed) - now
        return max(self._not_before, self._tat - self.tolerance, replayed) - now

    def _grant(self, now: float, priority: Priority) -> None:
        if self._started is None:
            self._started = self._last_change = now
        replaying = self._replay.leads(self.granted)
        self._replay.granted(now, self.granted)
        self.granted += 1
        if self.rate:
            self._tat = (now if replaying else max(self._tat, now)) + self.interval
        if priority is Priority.SWEEP:
            self._passed_over = 0
        elif self._queues[Priority.SWEEP]:
            self._passed_over += 1
        self._probe(now)

    def _head(self) -> Ticket | None:
        creates, sweeps = self._queues
        share = self.sweep_share
        if creates and sweeps and share > 0 and self._passed_over + 1 >= 1 / share:
            return sweeps[0]
        if creates:
            return creates[0]
        return sweeps[0] if sweeps else None

    def admit(self, priority: Priority = Priority.SWEEP) -> Ticket | None:
        """None when the request may go now (it is granted); else its place in line."""
        with self._lock:
            now = self.clock()
            self._judge(now)
            if not (self._queues[0] or self._queues[1]) and self._delay(now) <= 0:
                self._grant(now, priority)
                return None
            ticket = Ticket(priority)
            self._queues[priority].append(ticket)
            self._queued_since_change = True
            return ticket

    def wait_time(self, ticket: Ticket) -> float:
        """0 when ``ticket`` is granted now (it leaves the line); else seconds to sleep first."""
        with self._lock:
            now = self.clock()
            self._judge(now)
            delay = self._delay(now)
            if self._head() is ticket or (self.rate is None and delay <= 0):
                if delay <= 0:
                    self._queues[ticket.priority].remove(ticket)
                    self._grant(now, ticket.priority)
                    return 0.0
                return min(delay, LOOK_AGAIN)
            # Not first: about as long as the grants before it take (creates all go first).
            ahead = self._queues[ticket.priority].index(ticket)
            if ticket.priority is Priority.SWEEP:
                ahead += len(self._queues[Priority.CREATE])
            if self._replay.leads(self.granted):
                # The replay's next grant and an eighth of an interval on: slept ``ahead``
                # intervals, tickets held the replay to the estimate's pace (57-60 creates a
                # second where the echo allowed 143); slept to their own turn in it, x bound
                # 1.050 / 1.069 / 1.153 / 1.048, where this reads 1.047 / 1.053 / 1.153 / 1.048.
                return min(max(delay, 0.0) + self.interval / 8, LOOK_AGAIN)
            return min(max(delay, 0.0) + max(ahead, 1) * self.interval, LOOK_AGAIN)

    def leave(self, ticket: Ticket) -> None:
        """Take a ticket out of line (a cancelled wait); a granted one has left already."""
        with self._lock:
            queue = self._queues[ticket.priority]
            if ticket in queue:
                queue.remove(ticket)

    # the caller's ceiling -----------------------------------------------------------------

    def limit(self, per_minute: float | None) -> None:
        """Set the ceiling (None lifts it); a learned rate below it stays in force."""
        with self._lock:
            learned = self._episode is not None or self.server_limit is not None
            self.ceiling = per_minute
            if per_minute is None:
                self.rate = self.rate if learned else None
            elif learned and self.rate is not None:
                self.rate = min(self.rate, per_minute)
            else:
                self.rate = per_minute


def priority_of(request: httpx.Request) -> Priority:
    """``request.extensions["jobwise_priority"]`` when set; else POST creates, the rest sweep."""
    given = request.extensions.get("jobwise_priority")
    if isinstance(given, Priority):
        return given
    return Priority.CREATE if request.method == "POST" else Priority.SWEEP
