"""The echo of a start, replayed: after a first rate is learned from 429s, the next requests go
no sooner after it than the accepted ones went after the first, and the ones after those no
sooner after the replayed ones (for :class:`jobwise.pacing.RateBudget`).

A server counting a sliding (or fixed) window no longer than the span the first estimate read
gives back, after its first 429s, what it accepted a window before: a batch's slow start (its
creates one at a time) comes back as a trickle, and its last second's burst as a burst. Paced
at the estimate, a batch of 1,000 over a 0.05 s round trip against 400 in any 6 s met 7-9 429s
in that echo (1.06-1.30 % of its requests); replayed, none (0.27-0.70 %, the first storm's
alone; scripts/bench_virtual.py network, seeds 0-3). Replayed at the start's own timing, not
spread at the estimate's pace, the burst is caught up (143 creates a second where the pace
allowed 59); and the replay's own echo comes back a span later, so the round after it is paced
the same way (without it, the requests after the replay met 10-12 429s in it): x bound
1.085 / 1.069 / 1.160 / 1.050 -> 1.047 / 1.053 / 1.153 / 1.048.

A window longer than the span (a burst accepted in 0.4 s, refused until 6 s had gone by: the
writer scenario) answers the replay with a 429: the replay ends there (kept, it met 0.73 % 429s
of 10,000 jobs where the estimate's pace alone met 0.13 %).
"""

from __future__ import annotations

import math

KEPT = 10_000
"""Accepted requests remembered before a first rate is known (a start past this many without
one 429 has no slow part worth replaying: it went at the limit's own pace)."""


class Replay:
    """The times the requests accepted before a first rate were granted, the grants of the
    replay of them, and the earliest time of the next grant."""

    def __init__(self) -> None:
        self._sent: list[float] = []
        self._replayed: list[float] = []
        self._began = math.nan
        self._granted = 0
        self._ended = False
        self.shown = False
        """Whether a request the replay granted was accepted: till then the rate paces it too
        (32 workers let out at once into a fixed window met 32 429s where one would end it)."""

    def accepted(self, sent: float) -> None:
        """A request granted at ``sent`` (the budget's clock) was accepted, no rate known yet."""
        if len(self._sent) < KEPT and math.isnan(self._began):
            self._sent.append(sent)

    def answered(self, sent: float, throttled: bool) -> None:
        """A request granted at ``sent`` was answered: a 429 to one sent in the replay ends it;
        an acceptance shows the server gives the start back."""
        if sent >= self._began:
            self._ended = self._ended or throttled
            self.shown = not throttled or self.shown

    def begin(self, now: float, granted: int) -> None:
        """A first rate was learned at ``now``, after ``granted`` grants: replay from here."""
        if math.isnan(self._began) and self._sent:
            self._sent.sort()
            self._began, self._granted = now, granted

    def granted(self, now: float, granted: int) -> None:
        """Grant number ``granted`` (the budget's count before it) went at ``now``."""
        if self.not_before(granted) > -math.inf and len(self._replayed) < len(self._sent):
            self._replayed.append(now)

    def leads(self, granted: int) -> bool:
        """Whether the replay alone times the next grant (the rate's pacing aside)."""
        return self.shown and self.not_before(granted) > -math.inf

    def not_before(self, granted: int) -> float:
        """The earliest time of the next grant (the budget's ``granted`` so far), or -inf
        when no replay is under way."""
        k = granted - self._granted
        kept = len(self._sent)
        if math.isnan(self._began) or self._ended or k >= 2 * kept:
            return -math.inf
        first = self._sent[k] if k < kept else self._replayed[k - kept]
        return first + self._began - self._sent[0]
