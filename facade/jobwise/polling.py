"""One polling policy for sync and async waits; the decisions here, the sleeping in the clients."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from jobwise.errors import (
    APIConnectionError,
    JobwiseError,
    NotFoundError,
    ServerError,
    WaitTimeoutError,
)
from jobwise.retries import parse_retry_after

T = TypeVar("T")


@dataclass(frozen=True)
class PollPolicy:
    """Intervals between polls: ``initial`` growing by ``factor`` up to ``max_interval``.

    Each interval is jittered uniformly between half and all of itself, so that many waiters
    never poll in step and never at zero. A server's Retry-After, when longer, wins.
    ``not_found_grace`` tolerates a 404 just after create (eventual consistency);
    ``max_failed_polls`` polls in a row that fail (after the transport's own retries) end the wait.
    """

    initial: float = 0.5
    factor: float = 1.5
    max_interval: float = 10.0
    not_found_grace: float = 10.0
    max_failed_polls: int = 5

    def __post_init__(self) -> None:
        if not (0 < self.initial <= self.max_interval) or self.factor < 1:
            raise ValueError("PollPolicy needs 0 < initial <= max_interval and factor >= 1")

    def interval(self, poll: int, rng: random.Random) -> float:
        """The jittered pause after the ``poll``-th poll (0-based)."""
        base = min(self.max_interval, self.initial * self.factor**poll)
        return rng.uniform(base / 2, base)


def status_text(job: Any) -> str:
    """A job's status as a plain string, known or not."""
    status = job.status
    return str(getattr(status, "value", status))


class Waiter:
    """The state of one wait: deadline, polls made, status changes seen."""

    def __init__(
        self,
        job_id: str,
        timeout: float,
        final: Collection[str],
        policy: PollPolicy,
        clock: Callable[[], float],
        rng: random.Random | None = None,
    ) -> None:
        self.job_id = job_id
        self.timeout = timeout
        self.final = final
        self.policy = policy
        self.clock = clock
        self.rng = rng or random.Random()
        self.started = clock()
        self.deadline = self.started + timeout
        self.polls = 0
        self.failures = 0
        self.last: Any = None
        self.last_status: str | None = None

    def seen(self, job: Any) -> bool:
        """Record a polled job; True when its status changed (or it is the first)."""
        self.failures = 0
        self.last = job
        status = status_text(job)
        changed = status != self.last_status
        self.last_status = status
        return changed

    def is_final(self) -> bool:
        """Whether the last job seen has a final status (an unknown status is not final)."""
        return self.last_status in self.final

    def pause(self, asked: float | None = None) -> float:
        """Seconds to sleep before the next poll, never past the deadline; raises at it."""
        now = self.clock()
        if now >= self.deadline:
            raise WaitTimeoutError(self.job_id, self.timeout, self.last)
        delay = self.policy.interval(self.polls, self.rng)
        self.polls += 1
        if asked is not None:
            delay = max(delay, asked)
        return min(delay, self.deadline - now)

    def failed(self, exc: Exception) -> float:
        """A poll raised: the pause before polling again, or re-raise when it should end."""
        if isinstance(exc, NotFoundError):
            if self.last is not None or self.clock() - self.started > self.policy.not_found_grace:
                raise exc
        elif isinstance(exc, APIConnectionError | ServerError):
            self.failures += 1
            if self.failures >= self.policy.max_failed_polls:
                raise exc
        else:
            raise exc
        return self.pause(getattr(exc, "retry_after", None))


def watch_sync(
    waiter: Waiter,
    fetch: Callable[[], httpx.Response],
    parse: Callable[[httpx.Response], T],
    sleep: Callable[[float], None],
) -> Iterator[T]:
    """Poll with ``fetch`` until final; yield each status change."""
    while True:
        try:
            response = fetch()
        except JobwiseError as exc:
            sleep(waiter.failed(exc))
            continue
        job = parse(response)
        if waiter.seen(job):
            yield job
        if waiter.is_final():
            return
        sleep(waiter.pause(parse_retry_after(response.headers)))


async def watch_async(
    waiter: Waiter,
    fetch: Callable[[], Awaitable[httpx.Response]],
    parse: Callable[[httpx.Response], T],
    sleep: Callable[[float], Awaitable[None]],
) -> AsyncIterator[T]:
    """The async twin of :func:`watch_sync`."""
    while True:
        try:
            response = await fetch()
        except JobwiseError as exc:
            await sleep(waiter.failed(exc))
            continue
        job = parse(response)
        if waiter.seen(job):
            yield job
        if waiter.is_final():
            return
        await sleep(waiter.pause(parse_retry_after(response.headers)))


def last_of(watching: Iterator[T], on_status: Callable[[T], object] | None) -> T:
    """The final job of a watch, telling ``on_status`` of each change on the way."""
    last: T | None = None
    for last in watching:
        if on_status is not None:
            on_status(last)
    if last is None:  # a watch yields at least once before it ends
        raise RuntimeError("the watch ended without a job")
    return last


async def alast_of(watching: AsyncIterator[T], on_status: Callable[[T], object] | None) -> T:
    """The async twin of :func:`last_of`."""
    last: T | None = None
    async for last in watching:
        if on_status is not None:
            on_status(last)
    if last is None:
        raise RuntimeError("the watch ended without a job")
    return last
