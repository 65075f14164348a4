"""The echo of a start, replayed: after a first rate is learned from 429s, the next requests go
no sooner after it than the accepted ones went after the first (for
:class:`jobwise.limit_learning.LimitLearning`).

A server counting a sliding (or fixed) window no longer than the span the first estimate read
gives back, after its first 429s, what it accepted a window before: a batch's slow start (its
creates one at a time) comes back as a trickle, however high the pace. Paced at the estimate,
a batch of 1,000 over a 0.05 s round trip against 400 in any 6 s met 7-9 429s in that echo
(1.06-1.30 % of its requests); replayed, none (0.27-0.70 %, the first storm's alone;
scripts/bench_virtual.py network, seeds 0-3). The cost, stated: the replay shifts the start by
the whole span the estimate read, where the server's window may be shorter (there, 6 s of
7.1), so what the echo allows is sent up to a second late: 1.074x the bound -> 1.089x (median
of the four). A window longer than the span is not made worse: nothing is sent sooner.
"""

from __future__ import annotations

import math

KEPT = 10_000
"""Accepted requests remembered before a first rate is known (a start past this many without
one 429 has no slow part worth replaying: it went at the limit's own pace)."""


class Replay:
    """The times the requests accepted before a first rate were granted, and the replay of them
    after it."""

    def __init__(self) -> None:
        self._sent: list[float] = []
        self._began = math.nan
        self._granted = 0

    def accepted(self, sent: float) -> None:
        """A request granted at ``sent`` (the budget's clock) was accepted, no rate known yet."""
        if len(self._sent) < KEPT and math.isnan(self._began):
            self._sent.append(sent)

    def begin(self, now: float, granted: int) -> None:
        """A first rate was learned at ``now``, after ``granted`` grants: replay from here."""
        if math.isnan(self._began) and self._sent:
            self._sent.sort()
            self._began, self._granted = now, granted

    def not_before(self, granted: int) -> float:
        """The earliest time of the next grant (the budget's ``granted`` so far), or -inf."""
        k = granted - self._granted
        if math.isnan(self._began) or k >= len(self._sent):
            return -math.inf
        return self._began + self._sent[k] - self._sent[0]
