"""Rate limiters: a token bucket (``--rate-limit``) and a per-key sliding window (profiles)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class TokenBucket:
    """Allows ``rate`` requests per second with a burst of the same size."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.clock = clock
        self.stamp = clock()

    def take(self) -> float:
        """0 when allowed, else the seconds until a token is free."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class SlidingWindow:
    """At most ``limit`` requests in any ``window`` seconds, per key."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}

    def take(self, key: str) -> float:
        """0 when allowed (and counted), else the seconds until the oldest one leaves."""
        now = self.clock()
        stamps = self._seen.setdefault(key, deque())
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if len(stamps) < self.limit:
            stamps.append(now)
            return 0.0
        return max(stamps[0] + self.window - now, 1e-6)

    def remaining(self, key: str) -> int:
        """Requests left in the current window (after :meth:`take`)."""
        return max(self.limit - len(self._seen.get(key, ())), 0)
