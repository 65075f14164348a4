"""What the answers' ``Date`` headers teach of the server's clock: bounds of its offset from
this machine's (server time - ``time.time()``), before any create has answered with its
``created_at``.

A batch whose first create is lost settles it from the listing, in the window when the job may
have been made on the server's clock. Knowing nothing of that clock, the window spans
+-120 s, where an earlier batch's job is found and taken for the lost one (another input's
result). An origin server with a clock sends ``Date`` on every answer (RFC 9110, section
6.6.1), the listing's answer included, which bounds the offset to a few seconds.
"""

from __future__ import annotations

import math
from email.utils import parsedate_to_datetime

# Date names a whole second, and servers cache it: uvicorn refreshes it every tenth tick of a
# 0.1 s loop (uvicorn/server.py, Server.on_tick), so a Date may be a second or more behind
# (more while its event loop is busy). The server's clock read within [Date, Date + 3 s).
DATE_SPAN = 3.0


class ServerClock:
    """Bounds of (server clock - client clock), in seconds, narrowed by each ``Date`` seen."""

    __slots__ = ("_date", "_stamp", "high", "low")

    def __init__(self) -> None:
        self.low, self.high = -math.inf, math.inf
        self._date, self._stamp = "", 0.0

    def observe(self, date: str | None, sent: float, answered: float) -> None:
        """An answer dated ``date`` to a request sent at ``sent`` and answered at ``answered``
        (``time.time()``): the server read its clock between the two."""
        if not date:
            return
        if date != self._date:  # one parse a second at most
            try:
                stamp = parsedate_to_datetime(date).timestamp()
            except (TypeError, ValueError, IndexError):
                return  # not a date: it teaches nothing
            self._date, self._stamp = date, stamp
        low, high = self._stamp - answered, self._stamp + DATE_SPAN - sent
        if low > self.high or high < self.low:  # a clock was set meanwhile: start again
            self.low, self.high = low, high
        else:
            self.low, self.high = max(self.low, low), min(self.high, high)

    @property
    def bounds(self) -> tuple[float, float] | None:
        """(lowest, highest) offset the dates seen allow; None before any."""
        return None if self.low == -math.inf else (self.low, self.high)
