"""What the answers' ``Date`` headers teach of the server's clock: bounds of its offset from
the client's steady wall clock (server time - :class:`jobwise.times.SteadyWall`), before any
create has answered with its ``created_at``.

A batch whose first create is lost settles it from the listing, in the window when the job may
have been made on the server's clock. Knowing nothing of that clock, the window spans
+-120 s, where an earlier batch's job is found and taken for the lost one (another input's
result). An origin server with a clock sends ``Date`` on every answer (RFC 9110, section
6.6.1), the listing's answer included, which bounds the offset to a few seconds.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from jobwise.times import aware

# Date names a whole second, and servers cache it: uvicorn refreshes it every tenth tick of a
# 0.1 s loop (uvicorn/server.py, Server.on_tick), so a Date may be a second or more behind
# (more while its event loop is busy). The server's clock read within [Date, Date + 3 s).
DATE_SPAN = 3.0
# How fast the server's clock may run against the client's, as a share: 1,000 ppm, twice the
# 500 ppm NTP slews at (the harder reading; the simulator draws up to 0.1 %). Bounds learned
# at one time hold later only within this share of the time since: intersected as they were,
# they drifted off the true offset (seed 36761: a server clock 0.1 % slow and truncated to
# whole seconds stamped a garbled create's job 3 ms before its window, and the create was sent
# twice more).
DRIFT = 0.001


def narrowed(
    known: tuple[float, float] | None, since: float, low: float, high: float
) -> tuple[float, float]:
    """Bounds of an offset learned ``since`` seconds ago, narrowed by (``low``, ``high``) learned
    now: widened first by the clocks' :data:`DRIFT` since; where the two do not meet (a clock
    was set, or timestamps too coarse to agree), the new ones alone."""
    if known is not None:
        drift = DRIFT * max(0.0, since)
        lowest, highest = max(known[0] - drift, low), min(known[1] + drift, high)
        if lowest <= highest:
            return lowest, highest
    return low, high


class ServerClock:
    """Bounds of (server clock - client clock), in seconds, narrowed by each ``Date`` seen.
    Replaced whole on each answer, so that a thread reading them never sees half a change."""

    __slots__ = ("_at", "_parsed", "bounds")

    def __init__(self) -> None:
        self.bounds: tuple[float, float] | None = None
        """(lowest, highest) offset the dates seen allow; None before any."""
        self._parsed = ("", 0.0)  # the last Date and its time, one parse a second at most
        self._at = 0.0  # when the bounds were last narrowed (the client's steady wall)

    def observe(self, date: str | None, sent: float, answered: float) -> None:
        """An answer dated ``date`` to a request sent at ``sent`` and answered at ``answered``
        (the client's steady wall clock): the server read its clock between the two."""
        if not date:
            return
        last, stamp = self._parsed
        if date != last:
            try:
                stamp = aware(parsedate_to_datetime(date)).timestamp()  # GMT, always
            except (TypeError, ValueError, IndexError):
                return  # not a date: it teaches nothing
            self._parsed = (date, stamp)
        low, high = stamp - answered, stamp + DATE_SPAN - sent
        self.bounds = narrowed(self.bounds, answered - self._at, low, high)
        self._at = answered
