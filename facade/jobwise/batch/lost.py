"""Settling lost creates: the application's jobs listed in each lost create's window, against
every job id the state file knows; adopted, sent again, or ambiguous (the one settlement of
:mod:`jobwise.lost_posts`, read from Writer's listing)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import UTC, datetime

from jobwise.batch.core import SWEEP_PAGE_SIZE
from jobwise.batch.creates import Creating
from jobwise.batch.options import BatchOptions
from jobwise.batch.protocol import AsyncBatchClient
from jobwise.batch.schema import Row
from jobwise.errors import (
    APIError,
    AuthenticationError,
    InvalidResponseError,
    PermissionDeniedError,
)
from jobwise.lost_posts import COARSE_MARGIN, CandidateScan, Listed, Settlement, Window, settle
from jobwise.models import Job
from jobwise.times import parse_time

log = logging.getLogger("jobwise")


class Settling(Creating):
    """Settles the creates whose answers were lost, from the server's listing."""

    def __init__(self, jobs: AsyncBatchClient, options: BatchOptions) -> None:
        super().__init__(jobs, options)
        self._warned_reused: set[str] = set()
        """Ids the server handed out again (see :meth:`_reused`), each warned of once."""

    async def _reconcile_loop(self, group: asyncio.TaskGroup) -> None:
        while True:
            await self._lost.wait()
            while self._creating and not self._creates_open.is_set():
                # Creates in flight answer first: their ids become known. (While creates are
                # open, the lost ones' windows are closed before the next create leaves.)
                self._answered.clear()
                await self._answered.wait()
            rows, self._unknown = self._unknown, []
            self._lost.clear()
            if not rows:  # timed out meanwhile, past the deadline (max() of none raised)
                continue
            self._settling = len(rows)
            resend = await self._reconcile(rows, killed=False)
            self._settling = 0
            self._resending += len(resend)
            if not self._unknown:
                self._reopen_creates()
            for row in resend:  # not awaited here: a re-send may itself be lost and settled
                group.create_task(self._resend(row))

    async def _resend(self, row: Row) -> None:
        try:
            await self._submit(row)
        finally:
            self._resending -= 1

    async def _reconcile_killed(self, rows: list[Row]) -> None:
        """Settle a killed run's lost creates in windows drawn on the clock bounds that run
        learned, else on this run's widened to hold that run's wall clock (see _clock_bounds).
        Drawn at once: a step of the wall clock in this run forgets this run's bounds, not that
        one's (seed 1727 of the simulator: redrawn on this run's Date bounds, 42 s of steps
        apart, a killed create's window took another's job)."""
        bounds = self._state.clock_bounds()
        if bounds is not None:
            self._draw_killed(rows, bounds)
        self._killed_wall = bounds is None
        self._killed_shift = self._shift_from(rows, self._state.steady_anchor())
        await self._reconcile(rows, killed=True)
        self._killed_wall = False
        self._killed_shift = None

    async def _reconcile(self, rows: list[Row], *, killed: bool) -> list[Row]:
        """Settle lost creates against the server's listing; returns the rows to send again.

        A killed run's rows are settled before anything new is sent and go back to the reader
        (which checks their inputs) rather than being sent from here."""
        # A killed run's times are on its own wall clock: the pause is capped at ``pause``.
        pause = self.options.settle
        wait = max(r.answered_at or r.sent_at or 0.0 for r in rows) + pause
        await self.jobs.sleep(max(0.0, min(wait - self.jobs.wall(), pause, self._left())))
        while not self._expired():
            try:
                # The windows open once the listing's first answer has dated the server's
                # clock: a first create lost before any answer had no bound but +-120 s.
                scan = CandidateScan(lambda: min(self._window(r).opens for r in rows))
                reused = await self._read_listing(scan)
                break
            except (APIError, InvalidResponseError) as exc:
                if isinstance(exc, AuthenticationError | PermissionDeniedError):
                    raise
                self._last_error = str(exc)
                await self.jobs.sleep(max(0.0, min(self.options.sweep_interval, self._left())))
        else:
            # They time out with the rest, still lost: a later run settles them (the state file
            # keeps their windows). Listing on past the deadline held a --timeout 8 batch
            # against a server that never answered for 60 s; waiting out the settling time
            # held a --timeout 1 one for 2 s more. A killed run's are timed out by the reader,
            # as it meets them.
            if not killed:
                self._unknown += rows
            return []
        windows = {r.index: self._window(r) for r in rows}
        for row in rows:
            self._settled(row)
        candidates = {r.index: scan.within(windows[r.index]) for r in rows}
        owners = Counter(job_id for jobs in candidates.values() for job_id in jobs)
        between = Window(
            min(w.opens for w in windows.values()), max(w.closes for w in windows.values())
        )
        if any(job_id not in owners for job_id in scan.within(between)):
            # A job between the lost creates' windows, where only creates that answered (their
            # ids excluded) were sent: another client's.
            self._foreign = True
        claims = owners + Counter(reused)  # a reused id's holder claims it too: never adopted
        resend: list[Row] = []
        for row in rows:
            mine = candidates[row.index]
            may_adopt = self.options.adopt and not self._foreign
            settlement = settle(mine, claims=claims, may_adopt=may_adopt)
            if settlement is Settlement.RESEND:
                self._state.refused(row)  # the server shows no job for it: send it again
                resend.append(row)
            elif settlement is Settlement.ADOPT:
                stamp = scan.found[mine[0]]
                assert stamp is not None  # Writer's jobs carry created_at
                created = datetime.fromtimestamp(stamp, UTC)
                self._state.submitted(row, mine[0], created.isoformat())
                if not killed:
                    self._track(row, created)
            else:
                self._state.ambiguous(row, mine, killed)
                if not killed:
                    await self._emit(row)
        self._state.commit(force=True)
        return [] if killed else resend

    async def _read_listing(self, scan: CandidateScan) -> set[str]:
        """Read the application's jobs into ``scan`` until no later page can hold a candidate:
        a job no item holds, or one an item holds by its id alone (see :meth:`_reused`).
        Returns the ids of the latter."""
        reused: set[str] = set()
        async for page in self.jobs.list(self.application_id, page_size=SWEEP_PAGE_SIZE).pages():
            self._heard()
            listed: list[Listed] = []
            for job in page:
                held, made = self._state.holding(job.id)
                again = held and self._reused(job, made)
                if again:
                    reused.add(job.id)
                listed.append(Listed(job.id, job.created_at.timestamp(), again or not held))
            if scan.read(listed):
                break
        return reused

    def _reused(self, job: Job, held_made: str | None) -> bool:
        """Whether ``job`` bears the id of a job an item holds but was made at another time: a
        restarted server handed the id out again, and this job is not that item's. It may be a
        lost create's (seed 37247 of the simulator: taken for the holder's, a lost create's job
        was no candidate, and the create was sent again: a duplicate), so it is a candidate,
        which the holder claims too: never adopted, its lost create ends ambiguous.
        ``held_made``: the ``created_at`` recorded for the item holding its id."""
        made = parse_time(held_made)
        if made is None or abs((job.created_at - made).total_seconds()) <= COARSE_MARGIN:
            return False
        if job.id not in self._warned_reused:
            self._warned_reused.add(job.id)
            log.warning(
                "jobwise: job %s was created at %s, not at %s as the item holding its id was: "
                "the server hands out ids again",
                job.id,
                job.created_at.isoformat(),
                made.isoformat(),
            )
        return True

    def _look_for_foreign(self, job: Job) -> None:
        """A job made since this run's first create, while no create of its own is in flight
        or lost, that no item holds: another client creates jobs in the application, and a
        lost create's one candidate may be its job. Adoption stops for the rest of the run
        (two batches in one application gave 5-7 items the other batch's results)."""
        first = self._first_created
        if (
            self._foreign
            or not self.options.adopt  # nothing to stop: it costs a look-up a job listed
            or first is None
            or job.created_at <= first
            or self._creating
            or self._unknown
            or self._settling
            or self._resending
            or self._state.knows(job.id)
        ):
            return
        self._foreign = True
        log.warning(
            "jobwise: job %s in application %s is not this batch's: another client creates "
            "jobs there, so a lost create is no longer adopted (it ends ambiguous)",
            job.id,
            self.application_id,
        )
