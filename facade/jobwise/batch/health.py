"""Never stuck: the batch's deadline, and a server that gives no usable answer."""

from __future__ import annotations

import asyncio
import logging
import math

from jobwise.batch.core import NO_ANSWER, EngineCore
from jobwise.errors import (
    ServerUnavailableError,
)

log = logging.getLogger("jobwise")

# Seconds without a usable answer after which a timed-out item says so: a server that answers
# at all answers a batch's requests well within this (its sweeps go every second at most).
SILENT = 5.0

WATCH_TICK = 1.0
UNREACHABLE = 10.0
"""Seconds of silence that stop a run none of whose requests has reached the server (every
connection refused: a wrong URL or port, or a server that is down). Nothing was sent, so
nothing is lost by stopping, and running the batch again resumes it; waited out to
``stall_timeout``, a batch against 127.0.0.1:1 said nothing useful for 60 s."""


class Health(EngineCore):
    """The deadline and the server's silence, watched by :meth:`_watchdog`."""

    def _expired(self) -> bool:
        return self._left() <= 0

    def _left(self) -> float:
        """Seconds to the batch's deadline (inf without one)."""
        deadline = self.options.deadline
        if deadline is None:
            return math.inf
        return self._started + deadline - self.jobs.clock()

    def _silence(self) -> float:
        """Seconds the server has left a request without a usable answer. Looks at old jobs
        come ever further apart (at 7.5 % of their age) and nothing is asked in between: that
        quiet is no silence (counted as one, a job 13 minutes old stopped the run)."""
        now = self.jobs.clock()
        if self.jobs.requests_sent <= self._answered_upto:
            self._asking_since = None
            return 0.0
        if self._asking_since is None or self._asking_since < self._last_answer:
            # A request since the last answer, seen within a tick. Kept past later answers
            # (while requests were always in flight at the watchdog's ticks), it made a busy
            # run's silence grow by a second a tick: warned of after 5 s, stopped after 60.
            self._asking_since = max(self._last_answer, now - WATCH_TICK)
        return now - self._asking_since

    def _late(self) -> str:
        """Why an item timed out: the deadline, and the server's silence when it was silent."""
        silent = self._silence()
        # A server that never answered this run is named however short the deadline.
        if silent < SILENT and (self._heard_once or self._last_error == NO_ANSWER):
            return "the batch's deadline passed first"
        return (
            f"the batch's deadline passed first, with no usable answer from {self.jobs.base_url} "
            f"for {silent:.0f} s (last: {self._last_error})"
        )

    def _stall_limit(self) -> float:
        """Seconds of silence that stop the run: ``stall_timeout``, or :data:`UNREACHABLE`
        while no request of this run has reached the server."""
        if not self._heard_once and self._only_refused and self._last_error != NO_ANSWER:
            return min(self.options.stall_timeout, UNREACHABLE)
        return self.options.stall_timeout

    async def _watchdog(self) -> None:
        """Stop the run when the state file goes away, or the server gives no usable answer
        (warned of once it has been silent for :data:`SILENT`)."""
        warned = False
        while True:
            await asyncio.sleep(WATCH_TICK)  # real time, a safety net whatever the client sleeps
            self._state.check_intact()
            silent = self._silence()
            if silent < SILENT:
                warned = False
            elif not warned:  # else the first word of a dead server came after a minute
                warned = True
                last = "" if self._last_error == NO_ANSWER else f" (last: {self._last_error})"
                log.warning(
                    "jobwise: no usable answer from %s for %.0f s%s; still trying (the "
                    "jobwise logger at INFO, -v on the command line, shows each retry), the "
                    "batch stops after %.0f s without one",
                    self.jobs.base_url,
                    silent,
                    last,
                    self._stall_limit(),
                )
            if silent > self._stall_limit():
                raise ServerUnavailableError(
                    f"no usable answer from {self.jobs.base_url} for {silent:.0f} s "
                    f"(last: {self._last_error}); the batch stopped and its state file keeps "
                    "everything: run it again to resume"
                )
