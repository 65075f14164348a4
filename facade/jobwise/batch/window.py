"""When a lost create may have made its job, on the server's clock: the bounds of that
clock's offset from the client's steady wall clock, learned from answers."""

from __future__ import annotations

import logging
from datetime import datetime

from jobwise.batch.core import EngineCore
from jobwise.batch.options import BatchOptions
from jobwise.batch.protocol import AsyncBatchClient
from jobwise.batch.schema import Row
from jobwise.lost_posts import (
    COARSE_MARGIN,
    FINE_MARGIN,
    UNANSWERED_WINDOW,
    UNKNOWN_CLOCK_SKEW,
    Window,
)
from jobwise.server_clock import DRIFT, narrowed

log = logging.getLogger("jobwise")

# How far the machine's wall clock may wander from the steady one (jobwise.times.SteadyWall)
# before it counts as a step: NTP slews by at most 0.5 ms a second, so a second in a run is a
# step (or a suspend, in which the monotonic clock stood still and the server's did not).
STEP = 1.0


Bounds = tuple[float, float, float]
"""The lowest and highest offset of the server's clock from the client's, and the margin of
its timestamps."""


def _hull(a: Bounds, b: Bounds) -> Bounds:
    """The bounds that hold both ``a`` and ``b``."""
    return min(a[0], b[0]), max(a[1], b[1]), max(a[2], b[2])


class ServerWindow(EngineCore):
    """The bounds of the server's clock offset, and each lost create's window on that clock."""

    def __init__(self, jobs: AsyncBatchClient, options: BatchOptions) -> None:
        super().__init__(jobs, options)
        # Bounds of (server clock - client clock), learned from answered creates.
        self._offset_low: float
        self._offset_high: float
        self._offset_known: bool
        self._margin: float
        self._forget_clock()
        self._saved_bounds: Bounds | None = None
        self._before_steps: Bounds | None = None
        """The bounds in force before this run's steps of the wall clock, widened over each."""
        self._killed_wall = False
        """Settling a killed run's creates, whose bounds died with it."""
        self._killed_shift: float | None = None
        """This run's steady wall minus the killed run's, when both ran on one monotonic clock
        (see :meth:`_shift_from`)."""
        self._drawn: dict[int, Window] = {}
        """Windows of lost creates, kept for their settlement: this run's, drawn as each was
        lost on bounds that answered creates taught, and a killed run's, drawn on its saved
        bounds (see :meth:`_draw_killed`). A later step of the wall clock forgets the bounds
        for what is sent after it, not for these: redrawn at settlement on forgotten bounds, a
        lost create's window widened over the job of another lost just after it, and took it
        (seed 1574 of the simulator: another input's result)."""
        self._wall_step = 0.0
        self._learned_at = 0.0
        """When (the client's steady wall) an answer last narrowed the bounds."""

    def _learn_offset(self, sent: float, answered: float, created: datetime) -> None:
        """Narrow the bounds of the server's clock offset: sent <= created - offset <= answered."""
        self._relearn_after_step()
        stamp = created.timestamp()
        if created.microsecond == 0:  # a whole second: maybe a coarse clock
            self._margin = COARSE_MARGIN
        known = (self._offset_low, self._offset_high) if self._offset_known else None
        self._offset_low, self._offset_high = narrowed(
            known, answered - self._learned_at, stamp - answered, stamp - sent
        )
        self._offset_known, self._learned_at = True, answered
        if self._save_bounds((self._offset_low, self._offset_high, self._margin)):
            # Durable at once: a run killed before its next commit left its creates "sending"
            # with no bounds, to be settled on the next run's clock (see _clock_bounds).
            self._state.commit(force=True)

    def _save_bounds(self, bounds: Bounds) -> bool:
        """Record the bounds for a later run's settlement of this run's lost creates: with
        those in force before each step of the wall clock, since its creates were sent under
        either (seed 234 of the simulator: saved as forgotten, +-120 s, they missed a server
        200 s behind). Returns whether they changed (written, not committed)."""
        if self._before_steps is not None:
            bounds = _hull(self._before_steps, bounds)
        if bounds == self._saved_bounds:  # they settle after a few answers: no write per create
            return False
        self._state.save_clock_bounds(bounds)
        self._saved_bounds = bounds
        return True

    def _relearn_after_step(self) -> None:
        """Forget the server's clock offset after a step of the wall clock. The windows rest
        on the steady clock, which no step moves; but a suspended machine's monotonic clock
        stood still while the server's went on, and a step cannot be told from that. Widened
        in place, an offset let a window taken after the step cover creates sent before it
        (seed 1574 of the simulator: another input's job adopted); forgotten, the next lost
        create closes creates until it is settled, and answers teach the offset anew."""
        step = self.jobs.wall_step()
        moved, self._wall_step = step - self._wall_step, step
        if abs(moved) >= STEP and self._offset_known:
            log.warning(
                "jobwise: the wall clock moved %+.1f s; the server's clock is relearned", moved
            )
            known = (self._offset_low, self._offset_high, self._margin)
            kept = self._before_steps
            self._before_steps = known if kept is None else _hull(kept, known)
            self._forget_clock()

    def _clock_bounds(self) -> Bounds:
        """(lowest, highest) offset of the server's clock from the client's steady wall clock,
        and the margin of its timestamps: from answered creates, else from the answers' Date
        headers."""
        self._relearn_after_step()
        if self._offset_known:
            return self._offset_low, self._offset_high, self._margin
        dated = self.jobs.server_clock_offset
        if dated is not None and self._killed_wall:
            # A killed run's times, on its steady wall: steps of the machine's clock may have
            # moved it from this run's, on which the Date headers bound the server's clock. A
            # window on either alone missed the job (seeds 2797 and 385 of the simulator): both,
            # and the Date bounds moved onto the killed run's wall where the anchors tell how
            # (seed 10869: a step of -2 s between the runs, a server 200 s behind, the job 1 s
            # before the window; sent again, it was made twice).
            low, high = min(dated[0], -UNKNOWN_CLOCK_SKEW), max(dated[1], UNKNOWN_CLOCK_SKEW)
            if self._killed_shift is not None:
                low = min(low, dated[0] + self._killed_shift)
                high = max(high, dated[1] + self._killed_shift)
            return low, high, COARSE_MARGIN
        if dated is not None:  # the Date's clock may not be created_at's: a coarse margin
            return dated[0], dated[1], COARSE_MARGIN
        return -UNKNOWN_CLOCK_SKEW, UNKNOWN_CLOCK_SKEW, COARSE_MARGIN

    def _shift_from(self, rows: list[Row], anchor: float | None) -> float | None:
        """This run's steady wall minus the killed run's, from the two runs' anchors (steady
        wall minus monotonic clock), whatever steps the machine's wall clock took between them;
        None without the killed run's anchor, or when the monotonic clock now reads less than
        at the killed run's sends (a reboot restarted it, or another machine runs this)."""
        if anchor is None:
            return None
        latest = max((r.answered_at or r.sent_at or 0.0) for r in rows) - anchor
        now = self.jobs.clock()
        if now < latest:
            return None
        return (self.jobs.wall() - now) - anchor

    def _forget_clock(self) -> None:
        """Know nothing of the server's clock (a new run learns its own bounds)."""
        self._offset_low, self._offset_high = -UNKNOWN_CLOCK_SKEW, UNKNOWN_CLOCK_SKEW
        self._offset_known, self._margin = False, FINE_MARGIN

    def _lost_window(self, row: Row) -> Window:
        """The window of ``row``'s create, just lost: kept for its settlement when the bounds
        it rests on were learned from answered creates (else the listing's first answer, dating
        the server's clock, may narrow it then)."""
        window = self._draw(row)
        if self._offset_known:
            self._drawn[row.index] = window
        return window

    def _draw_killed(self, rows: list[Row], bounds: Bounds) -> None:
        """Draw a killed run's lost creates' windows on the ``bounds`` it saved, kept for their
        settlement: a step of the wall clock in this run forgets this run's bounds, not that
        one's."""
        for row in rows:
            self._drawn[row.index] = self._draw(row, bounds)

    def _window(self, row: Row) -> Window:
        """When, on the server's clock, the row's lost create may have made its job."""
        drawn = self._drawn.get(row.index)
        return drawn if drawn is not None else self._draw(row)

    def _settled(self, row: Row) -> None:
        """Forget the window of ``row``'s lost create: it is settled (a re-send draws anew)."""
        self._drawn.pop(row.index, None)

    def _draw(self, row: Row, bounds: Bounds | None = None) -> Window:
        """``row``'s window on ``bounds`` (the server's clock offset and margin), else on the
        bounds this run knows now."""
        assert row.sent_at is not None
        last = row.answered_at if row.answered_at is not None else row.sent_at + UNANSWERED_WINDOW
        drift = 0.0
        if bounds is None and self._offset_known:  # learned from answers, maybe a while ago
            drift = DRIFT * max(0.0, last - self._learned_at)
        low, high, margin = self._clock_bounds() if bounds is None else bounds
        return Window(row.sent_at + low - margin - drift, last + high + margin + drift)
