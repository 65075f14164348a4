"""Adaptive concurrency (AIMD): halve on 429/503, grow by one per window of successes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType


class AdaptiveLimit:
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
        self.ceiling = ceiling
        self.floor = min(floor, ceiling)
        self.limit = float(ceiling)
        self.cooldown = cooldown
        self.clock = clock
        self.active = 0
        self.decreases = 0
        self._last_decrease = -cooldown
        self._changed = asyncio.Event()

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

    async def __aenter__(self) -> AdaptiveLimit:
        while self.active >= self.current:
            self._changed.clear()
            await self._changed.wait()
        self.active += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.active -= 1
        self._changed.set()
