"""Waiting: when to look at the server, until everything submitted has an outcome. Each job is
due again after a share of its age (:mod:`jobwise.batch.schedule`); a look is a sweep or
retrieves (:mod:`jobwise.batch.sweeping`), the batch's last jobs found through the running
ones, stragglers and retried jobs retrieved on their own."""

from __future__ import annotations

import asyncio

from jobwise.batch.core import SWEEP_PAGE_SIZE, Track
from jobwise.batch.items import ItemStatus
from jobwise.batch.schedule import STRAGGLER_SWEEPS, TAIL_FRESHNESS
from jobwise.batch.sweeping import Sweeping
from jobwise.errors import (
    APIError,
    InvalidResponseError,
)

PAST_DEADLINE_NAP = 0.1


class Waiting(Sweeping):
    """Sweeps and retrieves until everything submitted has an outcome."""

    def _busy(self) -> bool:
        return bool(
            self.outstanding
            or self._unknown
            or self._settling
            or self._resending
            or not self._creates_open.is_set()
        )

    async def _wait_all(self) -> None:
        """Sweep while submitting goes on, until everything submitted has an outcome."""
        while not (self._submitted_all and not self._busy()):
            await self._nap(self._pause())
            if self._expired():
                await self._time_out_outstanding()
                continue
            if not self.outstanding:
                continue
            now = self.jobs.clock()
            oldest = now - min(t.since for t in self.outstanding.values())
            depth = self.schedule.depth(now, oldest)
            due = (
                []
                if depth is None
                else [t for t in self.outstanding.values() if now - t.since < depth]
            )
            if self._probing():
                await self._fetch_done(due + self._last_few(due))
                continue
            if depth is None or self._spent_allowance():
                continue
            # Retried jobs are skipped by the sweeps: a retry keeps the job's id and creation
            # time, so a listing may still show its earlier "failed" answer.
            fresh = [t for t in due if not t.retried]
            # A sweep costs about as many requests as the last one read pages; when fewer jobs
            # are due than that, retrieving each is cheaper.
            if len(due) <= self._sweep_pages or not fresh:
                await self._retrieve_each(due + self._last_few(due))
                continue
            if await self._swept(fresh, due):
                await self._retrieve_each([t for t in due if t.retried] + self._stragglers())

    def _probing(self) -> bool:
        """Whether the batch's last jobs are found through the running ones: every input is
        sent, the listing is newest first, and ours fit one page of the in-progress listing."""
        return (
            self._submitted_all
            and self._newest_first
            and len(self.outstanding) <= SWEEP_PAGE_SIZE
            and all(t.created_at is not None for t in self.outstanding.values())
        )

    async def _fetch_done(self, due: list[Track]) -> None:
        """A look at the batch's last jobs when the tiers (or the last few's own cadence) say
        some are due: a page of the in-progress listing tells which of ours have ended, and
        only those are read (a sweep when they outnumber its pages, else each retrieved).
        Reading each due job instead cost about a request for each job that ended after the
        last input was sent (bench.py's network scenario: 166 requests for 171 jobs)."""
        looked = [t for t in due if not t.retried]
        fresh = [t for t in self.outstanding.values() if not t.retried]
        running: set[str] | None = None
        if fresh and self.schedule.probe(self.jobs.clock(), bool(looked)):
            try:
                running = await self._running(min(t.created_at for t in fresh if t.created_at))
            except APIError as exc:
                self._failed_listing(exc)
                return
            except InvalidResponseError as exc:  # a garbled page: the due ones, as before
                self._last_error = str(exc)
            done = looked if running is None else [t for t in fresh if t.row.job_id not in running]
            await self._read_done(done)
        # A straggler the in-progress listing shows is running: retrieving it tells nothing.
        stragglers = [t for t in self._stragglers() if t.row.job_id not in (running or ())]
        await self._retrieve_each([t for t in due if t.retried] + stragglers)

    async def _read_done(self, done: list[Track]) -> None:
        """Read these jobs: a sweep when they outnumber its pages, else each retrieved."""
        if len(done) <= self._sweep_pages:
            await self._retrieve_each(done)
        else:
            await self._swept(done, done)

    def _last_few(self, due: list[Track]) -> list[Track]:
        """Once every input is sent and fewer jobs are left than the last sweep read pages
        (retrieving each costs no more than a sweep), the jobs the tiers do not look at now,
        each again after :data:`TAIL_FRESHNESS` of its age: the batch ends with the last of
        them to be seen, often its oldest, which the tiers look at after 15 % of its age."""
        if not self._submitted_all or len(self.outstanding) > self._sweep_pages:
            return []
        now = self.jobs.clock()
        looked = {id(track) for track in due}
        found = []
        for track in self.outstanding.values():
            if id(track) not in looked and track.tail_at <= now:
                track.tail_at = now + TAIL_FRESHNESS * (now - track.since)
                found.append(track)
        return found

    def _stragglers(self) -> list[Track]:
        """Jobs the sweeps keep missing, past the straggler age: each retrieved on its own,
        then again once its age has doubled."""
        now = self.jobs.clock()
        oldest = now - self.schedule.straggler_age()
        found = []
        for track in self.outstanding.values():
            if track.misses >= STRAGGLER_SWEEPS and track.since <= oldest and track.alone_at <= now:
                track.alone_at = now + (now - track.since)
                found.append(track)
        return found

    async def _nap(self, seconds: float) -> None:
        """Sleep between sweeps; cut short once every input has been sent (an empty or
        finished batch ends at once)."""
        if self._submitted_all:
            await self.jobs.sleep(seconds)
            return
        sleeper = asyncio.ensure_future(self.jobs.sleep(seconds))
        waker = asyncio.ensure_future(self._all_sent.wait())
        try:
            await asyncio.wait((sleeper, waker), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    def _pause(self) -> float:
        if self._submitted_all:
            self.schedule.tail(self.progress.read)
        left = self._left()
        # Past the deadline, inputs still being timed out: a short nap, not 0, which spun this
        # loop (53 s of CPU in a 61 s run), nor a whole interval, which kept a lost create
        # cut at the deadline waiting a second more to time out.
        return min(self.schedule.interval, left) if left > 0 else PAST_DEADLINE_NAP

    async def _time_out_outstanding(self) -> None:
        for track in list(self.outstanding.values()):
            self._state.finished(track.row, ItemStatus.TIMED_OUT, None, self._late())
            await self._drop(track)
        for row in self._unknown:
            self._state.finished(row, ItemStatus.TIMED_OUT, None, self._late())
            await self._emit(row)
        self._unknown = []
        self._reopen_creates()
