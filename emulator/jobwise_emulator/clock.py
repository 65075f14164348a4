"""One clock for the stores: monotonic seconds for timing, UTC wall time for timestamps."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    """Maps monotonic instants to wall-clock timestamps fixed at start.

    ``monotonic`` and ``wallclock`` default to the machine's; a simulation passes its virtual
    clock and a wall clock of its own (skewed from the client's on purpose)."""

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
    ) -> None:
        self._monotonic = monotonic
        self._mono0 = monotonic()
        self._wall0 = datetime.fromtimestamp(wallclock(), UTC)

    def now(self) -> float:
        """Monotonic seconds."""
        return self._monotonic()

    def _wall(self, instant: float) -> datetime:
        return self._wall0 + timedelta(seconds=instant - self._mono0)

    def iso(self, instant: float) -> str:
        """The ISO 8601 UTC timestamp of a monotonic instant (microseconds)."""
        return self._wall(instant).isoformat().replace("+00:00", "Z")

    def iso_seconds(self, instant: float) -> str:
        """RFC 3339 to the second, as Go's ``time.RFC3339`` writes it."""
        return self._wall(instant).strftime("%Y-%m-%dT%H:%M:%SZ")


def go_duration(seconds: float) -> str:
    """A duration as Go's ``time.Duration.String()`` writes it: "850ms", "1.5s", "2m3.25s"."""
    nanos = round(seconds * 1e9)
    if nanos == 0:
        return "0s"
    for unit, size in (("ns", 1), ("µs", 10**3), ("ms", 10**6)):
        if nanos < size * 1000:
            return f"{_trim(nanos / size)}{unit}"
    hours, rest = divmod(nanos, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    text = f"{_trim(rest / 1e9)}s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    if hours:
        text = f"{hours}h{text}"
    return text


def _trim(value: float) -> str:
    return f"{value:.9f}".rstrip("0").rstrip(".")
