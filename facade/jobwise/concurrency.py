"""Limits on tasks in flight at once, served first come, first served: :class:`FifoLimit`, and
:class:`AdaptiveLimit` on it (AIMD: halve on 429/503, grow by one per window of successes)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Self


class FifoLimit:
    """At most :attr:`current` holders at once (``async with``); the others queue in order.

    First come, first served: a holder that leaves and comes back at once (no pause between)
    goes behind those queued. Woken all at once to race for a place, the waiters of a batch lost
    to such holders again and again: creates queued for their turn kept the retrieves of the
    few jobs due out, and results stopped coming in.
    """

    def __init__(self) -> None:
        self.active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def current(self) -> int:
        """How many may hold a place now."""
        raise NotImplementedError

    @property
    def waiting(self) -> int:
        """Tasks queued for a place."""
        return len(self._waiters)

    def _wake(self) -> None:
        """Hand free places to the first in line (call after :attr:`current` grows)."""
        while self._waiters and self.active < self.current:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.active += 1
                waiter.set_result(None)

    async def __aenter__(self) -> Self:
        if self.active < self.current and not self._waiters:
            self.active += 1
            return self
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # granted as it was cancelled: hand the place on
            elif waiter in self._waiters:  # else a release has passed over it already
                self._waiters.remove(waiter)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._release()

    def _release(self) -> None:
        self.active -= 1
        self._wake()


class AdaptiveLimit(FifoLimit):
    """An async limit on requests in flight between ``floor`` and ``ceiling``.

    >>> limit = AdaptiveLimit(16)
    >>> async with limit:  # at most ``limit.current`` at once
    ...     ...
    """

    def __init__(
        self,
        ceiling: int,
        floor: int = 1,
        cooldown: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.ceiling = ceiling
        self.floor = min(floor, ceiling)
        self.limit = float(ceiling)
        self.cooldown = cooldown
        self.clock = clock
        self.decreases = 0
        self._last_decrease = -cooldown

    @property
    def current(self) -> int:
        """How many may be in flight now."""
        return max(self.floor, int(self.limit))

    def congested(self, status: int = 429) -> None:
        """Multiplicative decrease, at most once per ``cooldown`` seconds."""
        now = self.clock()
        if now - self._last_decrease >= self.cooldown:
            self._last_decrease = now
            self.limit = max(float(self.floor), self.limit / 2)
            self.decreases += 1

    def succeeded(self) -> None:
        """Additive increase: about +1 per ``current`` successes."""
        if self.limit < self.ceiling:
            self.limit = min(float(self.ceiling), self.limit + 1 / self.current)
            self._wake()
