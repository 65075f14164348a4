"""The rules that learn a server's rate limit from its answers, for
:class:`jobwise.pacing.RateBudget` (which paces at what they learn). Where the rate comes from:

* ``rate_limit=`` (requests per minute) from the caller: a ceiling that learning never exceeds;
* a server's own headers on any answer (read by :mod:`jobwise.rate_headers`):
  ``Remaining: 0`` pauses every request until the reset;
* 429 answers: every request waits out ``Retry-After`` (one pause for all, not one per
  request); without one, :data:`FIRST_PAUSE`, doubled by each 429 right after a pause with
  few accepted since, and one interval of the pace for the only 429 of the last 32.
  Between two episodes the allowance was spent at both ends, so what the server accepted from
  the end of one's pause to the end of the other's (one without Retry-After counted as
  :data:`FIRST_PAUSE`) over that time is its rate: the budget paces at 97 % of that. It never
  falls below half of its highest estimate (no collapse to 1, the failure of halving a
  concurrency limit on every 429), and after a window with no 429 while requests queued (or
  two spans of the estimate in force, when shorter; one, below 97 % of the best estimate) it
  probes 5 % higher, up to the ceiling; a 429 after a probe takes it back, doubles the quiet
  time before the next probe and halves its step, and tries that step at once (the limit lies
  between the two paces: bisected, down to :data:`FINEST_STEP`).

  Not every 429 is a limit: a server's stray 429s (faults, a proxy) come at random, and reading
  each as a spent allowance walks the rate down episode after episode. So an episode is judged
  when its pause ends, and before any rate is in force only clear evidence sets one (a storm,
  see :data:`STORM`, or a hot share, :data:`HOT_SHARE`); one after which most answers in flight
  were accepted is stray. Once a rate is in force, an episode re-estimates it only with
  :data:`MIN_EVIDENCE` accepted requests since the last estimate (or a storm), over no shorter
  a span than the estimate in force, and lowers the pace only when over 1 % of the answers
  since were 429s or the estimate is under 90 % of the pace (:data:`BELOW_PACE`), to no less
  than 80 % of the best estimate. A storm read over a shorter span than the estimate in force
  (a sliding window's echo, :data:`ECHO_QUIET`) cuts the pace for half that span. When the
  limit fell (a second client on the key; :mod:`jobwise.paced_answers` tells), the pace becomes
  what the server accepted of it, down to half the pace before the fall and half the best
  estimate. The cost, stated: a limit that rejects under a quarter of the requests is not
  learned before a first rate is; each of its 429s is waited out instead.

No I/O here either: the budget calls :meth:`LimitLearning.observe` after each answer.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

from jobwise.paced_answers import PacedAnswers
from jobwise.rate_headers import MINUTE, RateHeaders, read_rate_headers
from jobwise.replay import Replay
from jobwise.retries import parse_retry_after

log = logging.getLogger("jobwise")

MIN_EVIDENCE = 20
"""Accepted requests between two episodes for their estimate to count (one or two requests
over an idle minute say nothing of a server's limit)."""
STORM = 3
"""429s in one episode, or before a rate is in force in a row across episodes (a client one at
a time meets one an episode), none accepted among them: a spent allowance, evidence enough. In
a row once a rate is in force, a sliding window's echo cut 4,000 a minute to 1,150."""
RECENT = 32
HOT_SHARE = 0.25
"""429s among the last :data:`RECENT` answers that say the allowance is spent again and again
(stray 429s at 5 % make 8 of 32 about once in 3,000 answers)."""
ECHO_QUIET = 0.5
"""After a storm read over a shorter span than the estimate in force (a sliding window's echo),
the share of that estimate's span that must go by without a 429 before the pace comes back.
The echo of a slow start lasts about as long as the start was slow, while the span also holds
the window the server had already counted: held the whole span, the cut kept 1,000 jobs over
a 0.05 s round trip at 1,093-1,227 a minute of 4,000 for 7.7-7.8 s (bench_batch.py's network
scenario: 43.6 and 45.2 s); held half, for 3.8 s (41.4 s), with no more 429s."""
TOLERATED_SHARE = 0.01
"""429s, as a share of the answers since the last estimate, that do not lower the pace: at a
pace just under the limit, a request the network held back arrives with the next ones now and
then, and reading each such 429 as a lower limit took 3 % off the pace every time (a
10,000-job Writer-profile batch ran at 110 a second of its 400)."""
BELOW_PACE = 0.9
"""An estimate under this share of the pace says it is over the limit, however few the 429s (a
serial client paced at 39,000 a minute of 24,000 met one a window, 1 in 400, each paused)."""
PROBE_SPANS = 2.0
"""Spans of the estimate in force (about a server's window) without a 429 before the pace probes
5 % higher, when shorter than the client's window (a minute): a 10,000-job Writer-profile batch
at speed 60 (a 1 s window) paced at 20,156 a minute of 24,000 was never probed in its 28 s."""
PROBE_STEP = 0.05
"""The first probe's step: 5 % more."""
FINEST_STEP = 0.01
"""The smallest step a probe taken back halves to. Taken back to the pace before a 5 % probe
and tried 5 % higher again, a 10,000-job Writer-profile batch at speed 60 sat at 22,895 a
minute of 24,000 (95 %: 1.076x its bound, scripts/bench_virtual.py writer, seeds 0 and 1);
bisected, it paces at 23,761 (99 %) from its 18th second (1.061x)."""
CALM_FLOOR = 0.8
"""A re-estimate without a storm lowers the pace to no less than this share of the best."""
FIRST_PAUSE = 0.05
"""Seconds every request waits after a 429 without Retry-After that begins an episode long after
the last one. No Writer page documents Retry-After or the shape of its window, and a fixed
second (this pause before) is a whole window at the emulator's speed 60: each lone 429 of a
serial batch at the limit stopped it for as long as 400 creates, 26 of them 12 s of a 10,000-job
batch. A server whose allowance is spent for longer answers 429 again and the pause doubles;
a 429 long after the last pause halves it (reset to this, the storms of a batch over a 0.05 s
round trip at speed 10 met 429 after 429: 26.0 s where a fixed second took 21.4 s)."""
LONGEST_PAUSE = 8.0
"""Seconds: the longest such pause (the retries' own longest backoff), reached after eight 429s
in a row; a minute-long window spent in a burst is waited out in about a dozen of them."""


class LimitLearning:
    """What a budget learns of a server's limit from its answers (429s, rate-limit headers):
    the state of that learning and its rules. :class:`jobwise.pacing.RateBudget` is one, and
    sets the budget's state declared here."""

    ceiling: float | None
    rate: float | None
    headroom: float
    window: float
    clock: Callable[[], float]
    wallclock: Callable[[], float]
    _lock: threading.Lock
    _not_before: float
    _started: float | None
    granted: int

    if TYPE_CHECKING:

        @property
        def interval(self) -> float:
            """Seconds between two grants at the current rate (the budget's)."""

    def __init__(self, window: float) -> None:
        self.throttled = 0
        """429 answers observed."""
        self.server_limit: float | None = None
        """The server's own limit per minute, once its headers said."""
        self._accepted = 0
        self._episode: tuple[float, int, int] | None = None
        """The last episode that set the reference: its refill time, accepted and 429 counts."""
        self._episode_began = -math.inf
        self._episode_end = -math.inf
        self._judging: tuple[float, int, int] | None = None
        """The open episode (its refill time, accepted and 429 counts), judged when its pause
        ends."""
        self._answers_in_episode = [0, 0]
        """Accepted answers and 429s observed during the open episode."""
        self._before_probe: float | None = None
        self._quiet = window
        """How long the pace must go without a 429 before it probes (doubled by a failed probe)."""
        self._probe_spans = PROBE_SPANS  # the same in spans of the estimate in force
        self._step = PROBE_STEP
        """The next probe's step (halved by each probe taken back)."""
        self._halved = False
        """Whether the probe in force is the half step tried at once after a 429."""
        self._replay = Replay()
        self._recent: deque[bool] = deque(maxlen=RECENT)
        """Whether each of the last answers was a 429."""
        self._in_a_row = 0  # 429s since the last accepted answer
        self._accepted_since_429 = 0
        self._fallen_from: float | None = None
        """The pace before the first cut for a fallen limit since a calm window (None: none)."""
        self._paced = PacedAnswers()
        self._best = 0.0
        self._span = 0.0
        """How long the evidence of the estimate in force spanned (seconds)."""
        self._restore: tuple[float, float] | None = None
        """After a storm read over a shorter span than the estimate in force: the pace before
        it, and how long without a 429 brings it back."""
        self._last_throttle = -math.inf
        self._unasked_pause = FIRST_PAUSE
        """The pause of the last 429 without Retry-After (see :meth:`_unasked`)."""
        self._last_change = -math.inf
        self._queued_since_change = False

    def _set_rate(self, per_minute: float, now: float, why: str) -> None:
        if self.ceiling is not None:
            per_minute = min(per_minute, self.ceiling)
        log.info("pacing at %.0f requests per minute (%s)", per_minute, why)
        self.rate = per_minute
        self._restore = None
        self._before_probe = None
        self._last_change = now
        self._paced.clear()
        self._queued_since_change = False

    def _probe(self, now: float) -> None:
        """After a quiet spell (a window, or :data:`PROBE_SPANS` times the span of the estimate
        in force when shorter, doubled by each probe taken back, halved below the best
        estimate's pace) while requests queued, try one step more (learned rates only); after a
        storm's cut, the pace before it once the estimate before it spanned without a 429."""
        if self.rate is None or self._episode is None or self.server_limit is not None:
            return
        if self._restore is not None:
            before, quiet = self._restore
            if now - self._last_change >= quiet and now - self._last_throttle >= quiet:
                self._set_rate(before, now, f"no 429 for {quiet:.1f} s: back to the pace before")
            return
        spans = self._probe_spans
        if self.rate < self.headroom * self._best:
            # The server accepted more over a whole span once: the pace is held down by a cut
            # (a storm's floor, 80 % of the best), not by the limit. Probed after two spans, a
            # 10,000-job Writer-profile batch at speed 60 took 11 s to climb from 20,767 a
            # minute to 22,895 of 24,000; after one, 5 s, and it paces at 23,761 from its 12th
            # second: 1.061x its bound -> 1.051x (seeds 0, 1), 0.13 % 429s.
            spans /= 2
        quiet = min(self._quiet, spans * self._span) if self._span else self._quiet
        if now - self._last_change < quiet or now - self._last_throttle < quiet:
            return
        if self._queued_since_change and (self.ceiling is None or self.rate < self.ceiling):
            before = self.rate  # a probe that lasted a quiet window is the new base
            why = f"no 429 for a while: trying {self._step:.1%} more"
            self._set_rate(self.rate * (1 + self._step), now, why)
            self._before_probe, self._halved = before, False

    def observe(self, response: httpx.Response, sent: float | None = None) -> None:
        """Learn from an answer: its rate-limit headers, and whether it is a 429. ``sent``: when
        its request was granted (the budget's clock); it tells an answer to a request that was
        in flight when an episode began from one sent after it."""
        headers = response.headers
        with self._lock:
            now = self.clock()
            in_flight = self._in_flight(now, sent)
            if self.rate is not None and sent is not None and sent >= self._last_change:
                self._paced.add(response.status_code == 429)
                if self._paced.calm():
                    self._fallen_from = None  # a calm window at this pace: the cuts held
            if response.status_code == 429:
                self.throttled += 1
                self._recent.append(True)
                self._in_a_row += 1
                self._throttled(now, parse_retry_after(headers), in_flight)
                self._accepted_since_429 = 0
            else:
                self._accepted += 1
                if self.rate is None and sent is not None:
                    self._replay.accepted(sent)
                self._recent.append(False)
                self._in_a_row = 0
                self._accepted_since_429 += 1
                if self._judging is not None and in_flight:
                    self._answers_in_episode[0] += 1
            said = read_rate_headers(headers, self.window, self.wallclock)
            if said is not None:
                self._told(now, said)

    def _in_flight(self, now: float, sent: float | None) -> bool:
        """Whether an answer belongs to the episode under way: its request left before the
        episode's first 429 (without ``sent``: it came before the pause ended, or just after)."""
        if sent is not None:
            return sent < self._episode_began
        return now <= self._episode_end

    def _throttled(self, now: float, retry_after: float | None, in_flight: bool) -> None:
        pause = retry_after if retry_after is not None else self._unasked(now, in_flight)
        self._not_before = max(self._not_before, now + pause)
        self._last_throttle = now
        if in_flight:  # the same episode: an answer to a request already sent
            self._episode_end = max(self._episode_end, self._not_before)
            if self._judging is not None:
                self._answers_in_episode[1] += 1
            return
        self._judge(math.inf)  # an episode still open (no request since its pause) is judged
        self._episode_began = now
        self._episode_end = self._not_before + max(0.05, 2 * self.interval)
        if self._before_probe is not None:
            # The limit lies between the pace before and the probe: half the step, tried at
            # once; a 429 there takes it back to the pace before (FINEST_STEP).
            before, halved = self._before_probe, self._halved
            self._step = max(FINEST_STEP, self._step / 2)
            if halved:
                self._set_rate(before, now, "a 429 after trying more: back")
            else:
                why = f"a 429 after trying more: back, and {self._step:.1%} more"
                self._set_rate(before * (1 + self._step), now, why)
                self._before_probe, self._halved = before, True
            self._quiet *= 2  # the limit is near: probing it often would cost a 429 each time
            self._probe_spans *= 2
        if self.server_limit is None:
            # A pause without Retry-After is a guess (read as back at the end of one of 0.4 s:
            # 17,500 a minute of 24,000); if not back, the next 429 moves the reference.
            refill = pause if retry_after is not None else min(pause, FIRST_PAUSE)
            self._judging = (now + refill, self._accepted, self.throttled)
            self._answers_in_episode = [0, 1]

    def _unasked(self, now: float, in_flight: bool) -> float:
        """The pause of a 429 without Retry-After: doubled (up to :data:`LONGEST_PAUSE`) for
        an episode that begins within one pause of the last one's end with under
        :data:`MIN_EVIDENCE` accepted since the last 429 (an echo lets a few through), else
        halved (down to :data:`FIRST_PAUSE`), the same for the answers in flight of one
        episode; never under one interval of the pace. Doubled though 400 were accepted in
        between (one at a time at 1,700 a second against 400), it grew to 8 s."""
        if not in_flight:
            spent = self._accepted_since_429 < MIN_EVIDENCE
            if now <= self._episode_end + self._unasked_pause and spent:
                self._unasked_pause = min(2 * self._unasked_pause, LONGEST_PAUSE)
            else:  # the last pause was enough: the next may be shorter
                self._unasked_pause = max(FIRST_PAUSE, self._unasked_pause / 2)
        if self.rate is not None and sum(self._recent) == 1:
            # The only 429 of the last 32 at a pace: timing (0.05 s stopped a speed-60 batch for
            # 20 requests, twice a second; in an echo one interval read as a fallen limit). The
            # next 429 pauses from the first pause (one grown before stopped 1.7 s each pair).
            self._unasked_pause = FIRST_PAUSE
            return self.interval
        return max(self._unasked_pause, self.interval)

    def _judge(self, now: float) -> None:
        """Once the open episode's pause is over: learn from it, unless it was stray."""
        if self._judging is None or now < self._not_before:
            return
        refilled, accepted_then, throttled_then = self._judging
        accepted_during, throttled_during = self._answers_in_episode
        self._judging = None
        share = self._paced.fallen_share()
        if self.rate is not None and share:
            # The limit fell: what the server accepts of the pace is the new rate. The estimate
            # between episodes, read since a reference set before the fall and held at 80 % of
            # the best, never learned a halved limit: 46 % of requests were 429s. Cuts stop at
            # half the pace before the first, and at half the best estimate (a server refusing
            # at random would collapse it, cut after cut).
            self._paced.clear()
            if self._fallen_from is None:
                self._fallen_from = self.rate
            floor = 0.5 * max(self._fallen_from, self._best)  # never below half the best
            paced = max(self.rate * (1 - share) * self.headroom, floor)
            if paced < self.rate:
                self._episode = (refilled, accepted_then, throttled_then)
                why = f"429s: {share:.0%} of the last answers at this pace"
                self._set_rate(paced, self.clock(), why)
            return
        if self.rate is None and accepted_during > throttled_during:
            log.debug(
                "a stray 429: %d of %d answers during its pause were accepted; not a limit",
                accepted_during,
                accepted_during + throttled_during,
            )
            return
        # Spent when the episode began, back when its pause ended: from the end of the last
        # episode's pause to the end of this one the server accepted exactly its rate.
        previous = self._episode
        if previous is None:  # first episode: since the start (an upper bound: bursts count)
            began = self._started if self._started is not None else refilled
            span, accepted = refilled - began, accepted_then
        else:
            span, accepted = refilled - previous[0], accepted_then - previous[1]
        # Evidence enough: a storm; for a first estimate, a hot share; once a rate is in force,
        # 20 accepted. Unpaced, a lone 429 now and then is left to its pause: read as a limit,
        # its span (idle time included) measured the client's demand. After the first, the hot
        # share does not count: the 429s of the bunch that set it come milliseconds apart.
        # Without evidence, the next estimate spans this one too.
        storm = (throttled_during >= STORM and not accepted_during) or (
            self.rate is None and self._in_a_row >= STORM
        )
        enough = self.rate is not None and accepted >= MIN_EVIDENCE
        hot = previous is None and sum(self._recent) >= HOT_SHARE * RECENT
        if previous is not None and accepted < 1:
            # Nothing accepted since the reference's pause: the allowance was not back, the span
            # begins here (from there, pauses of 0.4 and 0.8 s read 11,100 a minute of 24,000).
            self._episode = (refilled, previous[1], previous[2])
            return
        if span <= 0 or accepted < 1 or not (storm or hot or enough):
            return
        if previous is not None and not storm and span < self._span:
            # Shorter than the estimate in force: it reads how one bunch of requests was timed
            # (the 429s of the bunch that set a first estimate came after its pause, 0.13 s on,
            # and read 17,600 a minute of a 24,000 limit). The reference stays.
            return
        estimate = accepted / span * MINUTE
        if previous is not None:
            self._best = max(self._best, estimate)
            throttled = throttled_then - previous[2]
            few = throttled < 2 or throttled <= TOLERATED_SHARE * (accepted + throttled)
            if few and self.rate is not None and estimate >= BELOW_PACE * self.rate:
                # Nearly all sent since the reference was accepted, at about the pace: a 429 now
                # and then is timing. The reference stays: the share is read over a longer span.
                return
        self._episode = (refilled, accepted_then, throttled_then)
        # 429s without a storm may be timing (nothing tells them from a limit just under the
        # pace): they move the pace at most 20 % below the best estimate; a storm, to half of it.
        paced = max(estimate * self.headroom, self._best * (CALM_FLOOR if not storm else 0.5))
        before, shorter = self.rate, span < self._span
        if not shorter:
            self._span = span
        if before is None or paced < before:
            why = f"429s: the server accepted about {estimate:.0f} a minute"
            self._set_rate(paced, self.clock(), why)
            if before is None:  # the start's echo (jobwise.replay)
                self._replay.begin(self.clock(), self.granted)
            if before is not None and shorter:
                # A sliding window's echo (ECHO_QUIET): the cut holds until half as long as that
                # estimate spanned goes by without a 429; a limit that truly fell storms again.
                self._restore = (before, ECHO_QUIET * self._span)

    def _told(self, now: float, said: RateHeaders) -> None:
        """Pace at the limit the server's headers told, and pause while its allowance is spent."""
        if said.per_minute is not None and said.per_minute != self.server_limit:
            self.server_limit = said.per_minute
            self._set_rate(
                said.per_minute * self.headroom, now, f"the server's limit is {said.per_minute:.0f}"
            )
        if said.spent_for is not None:
            self._not_before = max(self._not_before, now + said.spent_for)
