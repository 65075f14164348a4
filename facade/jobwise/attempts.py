"""The bounds of one call and of each of its HTTP attempts: a whole answer within the time
left, and no bigger than the size allowed. Decisions only; the transports do the I/O.

httpx's timeouts bound each read, so a server sending a byte a second never trips them. Here an
attempt has an end: async code is cancelled at it (:class:`AsyncTimeLimit`); sync code cannot be
cancelled, so each read's timeout is cut to the time left and the time is checked between reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar
from types import TracebackType

import httpx

from jobwise.errors import ResponseTooLargeError

MAX_RESPONSE_BYTES = 10 * 2**20
"""The largest answer read by default. A list page of 100 jobs (the default page size) may take
100 KB a job, far beyond any agent's suggestion seen; past it a server is misbehaving, and the
answer is refused before it is read whole (``max_response_bytes=`` to change it)."""
CALL_TIMEOUT = "jobwise_call_timeout"
"""The request extension with the seconds a whole call may take (its attempts and pauses)."""
CALLS_END: ContextVar[float | None] = ContextVar("jobwise_calls_end", default=None)
"""When every call made in this context ends, by the client's clock (a batch's deadline): no
attempt runs and no retry waits past it."""


class Exposure:
    """Whether a call's request may have reached the server, for a batch whose create was
    cancelled (a stopped run): the retry transports record each attempt of the calls made in
    the context that holds it (:data:`EXPOSURE`). Unwatched (a client of the caller's own
    making), or left running in a worker thread, it may have."""

    __slots__ = ("_attempting", "_reached", "_watched", "detached", "paced")

    def __init__(self) -> None:
        self._attempting = self._reached = self._watched = False
        self.detached = False
        """Set when the call runs on after its caller stopped waiting (a worker thread)."""
        self.paced = 0.0
        """Seconds its attempts waited on the rate budget (the paced transports add them)."""

    def began(self) -> None:
        """An attempt is under way."""
        self._watched = self._attempting = True

    def ended(self, never_sent: bool) -> None:
        """The attempt ended; ``never_sent``: its request certainly never left."""
        self._attempting = False
        self._reached = self._reached or not never_sent

    @property
    def never_sent(self) -> bool:
        """Whether every attempt so far certainly never left (and none runs or will run)."""
        return self._watched and not (self._attempting or self._reached or self.detached)


EXPOSURE: ContextVar[Exposure | None] = ContextVar("jobwise_exposure", default=None)
"""The :class:`Exposure` of the calls made in this context (None: nobody asks)."""


def phases(request: httpx.Request) -> dict[str, float | None]:
    """The request's per-phase timeouts (connect, read, write, pool) as httpx set them."""
    timeouts = request.extensions.get("timeout")
    return dict(timeouts) if isinstance(timeouts, dict) else {}


def longest(timeouts: dict[str, float | None]) -> float | None:
    """The longest one attempt may take: its longest phase (None: no bound)."""
    values = [value for value in timeouts.values() if value is not None]
    return max(values) if values else None


class CallLimits:
    """One call's end (by the transport's clock) and its attempts' bounds."""

    def __init__(
        self,
        request: httpx.Request,
        started: float,
        deadline: float,
        max_bytes: int,
        clock: Callable[[], float],
    ) -> None:
        self.request = request
        self.clock = clock
        self.phases = phases(request)
        self.attempt_seconds = longest(self.phases)
        asked = request.extensions.get(CALL_TIMEOUT)
        self.ends = started + (deadline if asked is None else min(deadline, asked))
        end = CALLS_END.get()
        if end is not None:
            self.ends = min(self.ends, end)
        self.max_bytes = max_bytes

    def attempt(self) -> Attempt:
        """The bounds of the next attempt: the attempt's timeout, cut to the call's time left."""
        left = self.ends - self.clock()
        seconds = left if self.attempt_seconds is None else min(self.attempt_seconds, left)
        return Attempt(self.request, max(0.0, seconds), self.phases, self.max_bytes, self.clock)


class Attempt:
    """One attempt's end (on the client's clock: ``time.monotonic`` unless a test or a
    simulation injects another) and size cap."""

    def __init__(
        self,
        request: httpx.Request,
        seconds: float,
        timeouts: dict[str, float | None],
        max_bytes: int,
        clock: Callable[[], float],
    ) -> None:
        self.request = request
        self.seconds = seconds
        self.clock = clock
        self.ends = clock() + seconds
        self.timeouts = timeouts
        self.max_bytes = max_bytes
        self.cut_reads()

    def left(self) -> float:
        """Seconds until the attempt's end."""
        return max(0.0, self.ends - self.clock())

    def cut_reads(self) -> None:
        """Let no phase of the request (a read, a write, a connect) wait past the end."""
        if self.timeouts:
            left = self.left()
            self.request.extensions["timeout"] = {
                phase: left if value is None else min(value, left)
                for phase, value in self.timeouts.items()
            }

    def check(self, size: int) -> None:
        """Raise when the answer so far is too big, or the attempt's time is up."""
        if size > self.max_bytes:
            raise ResponseTooLargeError(
                f"{self.request.method} {self.request.url.copy_with(query=None)} answered with "
                f"more than {self.max_bytes:,} bytes (max_response_bytes); it was not read whole"
            )
        if self.clock() > self.ends:
            raise self.timed_out()

    def timed_out(self) -> httpx.ReadTimeout:
        """The error of an attempt that ran out of time."""
        return httpx.ReadTimeout(
            f"no whole answer within {self.seconds:.3g} s", request=self.request
        )


class AsyncTimeLimit:
    """Cancels an async attempt at its end (``asyncio.timeout``), raising httpx.ReadTimeout."""

    def __init__(self, attempt: Attempt) -> None:
        self.attempt = attempt
        self.timeout = asyncio.timeout(attempt.left())

    async def __aenter__(self) -> None:
        await self.timeout.__aenter__()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.timeout.__aexit__(kind, exc, traceback)
        except TimeoutError:
            raise self.attempt.timed_out() from None


class TimeLimit:
    """A sync attempt cannot be cancelled: its reads' timeouts, cut to the time left, and the
    check between reads bound it (it ends within one read of its end)."""

    def __init__(self, attempt: Attempt) -> None:
        self.attempt = attempt

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None
