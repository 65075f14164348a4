"""Timestamps as timezone-aware datetimes (python-dateutil parses what the stdlib does not),
and the client's wall clock that never steps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from dateutil import parser as _dateutil


def aware(value: datetime) -> datetime:
    """``value`` with UTC assumed when it carries no zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parse_time(value: str | datetime | None) -> datetime | None:
    """Parse an API timestamp (ISO 8601 of any precision, or an HTTP date) as aware UTC-or-zoned.

    >>> parse_time("2025-06-14T10:00:00.123456789Z").isoformat()
    '2025-06-14T10:00:00.123456+00:00'
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return aware(value)
    try:
        return aware(datetime.fromisoformat(value))  # the common case, ten times faster
    except ValueError:
        pass
    try:
        return aware(_dateutil.parse(value))
    except (ValueError, OverflowError):
        raise ValueError(f"not a timestamp: {value!r}") from None


class SteadyWall:
    """Unix seconds that never step: the wall clock read once, then carried on by the client's
    monotonic ``clock``.

    A lost POST's window and the server's clock offset are reckoned on it. Built from
    ``time.time()`` read at each send, a step of the machine's clock (NTP, a VM resumed) moved
    the window off the job the create had made: the listing showed none, and the create was
    sent again (205 jobs for 200 inputs under a clock stepping 20 s a second). :meth:`step`
    tells how far the wall clock has since moved from it, so that a user of the offsets can
    learn them anew after a step (or a suspend, which the monotonic clock does not count).
    """

    __slots__ = ("_clock", "_start", "_wallclock")

    def __init__(self, clock: Callable[[], float], wallclock: Callable[[], float]) -> None:
        self._clock = clock
        self._wallclock = wallclock
        self._start = wallclock() - clock()

    def __call__(self) -> float:
        return self._start + self._clock()

    def step(self) -> float:
        """Seconds the machine's wall clock has moved from this one since it was read."""
        return self._wallclock() - self()
