"""One polling policy for sync and async waits: the decisions here, the loops in
``jobwise._async.polling`` (and its generated sync twin)."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from jobwise.errors import (
    APIConnectionError,
    NotFoundError,
    ServerError,
    WaitTimeoutError,
)

log = logging.getLogger("jobwise")

LAST_POLL_SECONDS = 1.0
"""The least time a poll is given: the poll made at the deadline may still see a job that
finished in time, and a wait ends at most this late."""


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
        self.not_found: NotFoundError | None = None
        """The last poll's 404, while no poll has found the job."""

    def seen(self, job: Any) -> bool:
        """Record a polled job; True when its status changed (or it is the first)."""
        self.failures = 0
        self.last = job
        status = status_text(job)
        changed = status != self.last_status
        self.last_status = status
        return changed

    def left(self) -> float:
        """Seconds the next poll may take: the time left, and at least ``LAST_POLL_SECONDS``."""
        return max(LAST_POLL_SECONDS, self.deadline - self.clock())

    def is_final(self) -> bool:
        """Whether the last job seen has a final status (an unknown status is not final)."""
        return self.last_status in self.final

    def pause(self, asked: float | None = None) -> float:
        """Seconds to sleep before the next poll, never past the deadline; raises at it."""
        now = self.clock()
        if now >= self.deadline:
            if self.last is None and self.not_found is not None:
                raise self.not_found  # never found: not "did not finish within 5 s"
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
            self.not_found = exc
            if not self.polls:  # else a mistyped id waited out the grace without a word
                log.info(
                    "job %s not found; a job just created may not show yet: looking again "
                    "for up to %.0f s",
                    self.job_id,
                    self.policy.not_found_grace,
                )
        elif isinstance(exc, APIConnectionError | ServerError):
            self.failures += 1
            if self.failures >= self.policy.max_failed_polls:
                raise exc
        else:
            raise exc
        return self.pause(getattr(exc, "retry_after", None))
