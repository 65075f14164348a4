"""Whether a server's limit fell: the last answers to requests granted at the pace in force,
their 429s counted over two windows (for :class:`jobwise.limit_learning.LimitLearning`). When a
quarter of the last :data:`FALLEN` are 429s, or a tenth of the last :data:`FALLEN_LONG`, the
limit fell (a second client on the key). The costs, stated: a limit that falls by less than a
tenth is learned slowly, by the re-estimates; a server that refuses a tenth of the requests at
random, whatever the pace, is paced down to half the best estimate."""

from __future__ import annotations

from collections import deque

FALLEN = 64
FALLEN_SHARE = 0.25
"""Answers at one pace judged together: a quarter of them 429s says the limit fell (stray 429s
at 5 % make 16 of 64 about once in ten million windows; at 10 %, once in two thousand)."""
FALLEN_LONG = 512
SLIPPED_SHARE = 0.1
"""A tenth of the last :data:`FALLEN_LONG` answers at one pace 429s says the limit fell by less
than a quarter (stray 429s at 5 % make 52 of 512 about once in 680,000 windows; at 7 %, once
in 200; at 10 %, once in two: a server refusing a tenth at random is paced down to half the
best estimate)."""


class PacedAnswers:
    """Whether each of the last :data:`FALLEN_LONG` answers at the pace in force was a 429, and
    how many were among the last :data:`FALLEN` and :data:`FALLEN_LONG`."""

    def __init__(self) -> None:
        self._answers: deque[bool] = deque(maxlen=FALLEN_LONG)
        self._throttled = [0, 0]

    def add(self, throttled: bool) -> None:
        """Count an answer in both windows (one sum per answer cost more than the rest of
        :meth:`jobwise.limit_learning.LimitLearning.observe`)."""
        answers, counts = self._answers, self._throttled
        if len(answers) >= FALLEN:
            counts[0] -= answers[-FALLEN]
        if len(answers) == FALLEN_LONG:
            counts[1] -= answers[0]
        answers.append(throttled)
        counts[0] += throttled
        counts[1] += throttled

    def clear(self) -> None:
        """Forget them (a new pace is in force)."""
        self._answers.clear()
        self._throttled = [0, 0]

    def calm(self) -> bool:
        """Whether a whole short window at this pace held under the fallen share of 429s."""
        return len(self._answers) >= FALLEN and self._throttled[0] < FALLEN_SHARE * FALLEN

    def fallen_share(self) -> float:
        """The share of 429s at the pace in force that says the limit fell, else 0."""
        answered, (short, long) = len(self._answers), self._throttled
        if answered >= FALLEN and short >= FALLEN_SHARE * FALLEN:
            return short / FALLEN
        if answered == FALLEN_LONG and long >= SLIPPED_SHARE * FALLEN_LONG:
            return long / FALLEN_LONG
        return 0.0
