"""Waiting: sweeps of the list endpoint, each job due again after a share of its age
(:mod:`jobwise.batch.schedule`), and retrieves for stragglers and retried jobs."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from jobwise._api.writer import FINAL_STATUSES
from jobwise.batch.core import SWEEP_PAGE_SIZE, Track
from jobwise.batch.items import ItemStatus
from jobwise.batch.lost import Settling
from jobwise.batch.outcomes import Outcomes
from jobwise.batch.schedule import STRAGGLER_SWEEPS, TAIL_FRESHNESS
from jobwise.errors import (
    APIError,
    AuthenticationError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
)
from jobwise.lost_posts import COARSE_MARGIN
from jobwise.models import Job
from jobwise.polling import status_text

# An answer that cannot be parsed is retried this many times before its item fails.
MAX_BAD_ANSWERS = 3
PAST_DEADLINE_NAP = 0.1


def _continues(page: list[Job], before: datetime | None) -> bool:
    """Whether a page continues a newest-first listing (ties of a coarse clock allowed)."""
    margin = timedelta(seconds=COARSE_MARGIN)
    newest = page[0].created_at
    if newest + margin < page[-1].created_at:
        return False
    return before is None or newest <= before + margin


def _final(job: Job) -> bool:
    return status_text(job) in FINAL_STATUSES


class Waiting(Settling, Outcomes):
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
            if depth is None:
                continue
            due = [t for t in self.outstanding.values() if now - t.since < depth]
            # Retried jobs are skipped by the sweeps: a retry keeps the job's id and creation
            # time, so a listing may still show its earlier "failed" answer.
            fresh = [t for t in due if not t.retried]
            # A sweep costs about as many requests as the last one read pages; when fewer jobs
            # are due than that, retrieving each is cheaper.
            if len(due) <= self._sweep_pages or not fresh:
                await self._retrieve_each(due + self._last_few(due))
                continue
            try:
                await self._sweep(fresh)
            except APIError as exc:
                if isinstance(exc, AuthenticationError | PermissionDeniedError):
                    raise
                self._last_error = str(exc)
                self.limit.congested()  # the next cycle sweeps again
                continue
            except InvalidResponseError as exc:  # a garbled page: retrieve its jobs one by one
                self._last_error = str(exc)
                await self._retrieve_each(due)
                continue
            await self._retrieve_each([t for t in due if t.retried] + self._stragglers())

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

    async def _sweep(self, fresh: list[Track]) -> None:
        """Read the jobs newest first, down to the oldest of ``fresh`` (every page when one of
        them has no creation time): all of them in one listing when fewer than a page of ours
        are running in that span, else the completed and the failed listings (two at least,
        but the running jobs are not read)."""
        dated = [t.created_at for t in fresh if t.created_at is not None]
        oldest = min(dated) if len(dated) == len(fresh) else None
        running = sum(
            1
            for t in self.outstanding.values()
            if oldest is None or (t.created_at is not None and t.created_at >= oldest)
        )
        statuses = sorted(FINAL_STATUSES) if running >= SWEEP_PAGE_SIZE else [None]
        pages = 0
        for status in statuses:
            listing = self.jobs.list(self.application_id, status=status, page_size=SWEEP_PAGE_SIZE)
            before: datetime | None = None
            async for page in listing.pages():
                self._heard()
                pages += 1
                for job in page:
                    found = self.outstanding.get(job.id)
                    if found is None:
                        self._look_for_foreign(job)
                    elif not found.retried and _final(job):
                        await self._finish(found, job)
                if not any(not t.retried for t in self.outstanding.values()):
                    break
                if not page:
                    continue
                # Once a listing shows it is not newest first, every sweep reads all pages.
                self._newest_first = self._newest_first and _continues(page, before)
                before = page[-1].created_at
                if self._newest_first and oldest is not None and before < oldest:
                    break
        self._sweep_pages = max(1, pages)
        for track in self.outstanding.values():
            created = track.created_at
            if not track.retried and (
                oldest is None or (created is not None and created >= oldest)
            ):
                track.misses += 1

    async def _retrieve_each(self, tracks: list[Track]) -> None:
        """Retrieve each job on its own, once, and settle it only while it is still waited
        for: a sweep cut short by a garbled page has finished some of the jobs it was due to
        read, and an answer for one of those emitted its item a second time."""

        def waited(track: Track) -> bool:
            return self.outstanding.get(track.row.job_id or "") is track

        async def one(track: Track) -> None:
            assert track.row.job_id is not None
            try:
                async with self.limit:
                    job = await self.jobs.retrieve(track.row.job_id)
            except (AuthenticationError, PermissionDeniedError):
                raise
            except (APIError, InvalidResponseError) as exc:
                if waited(track):
                    await self._unanswered(track, exc)
                return
            self._heard()
            if waited(track) and (
                status_text(job) in FINAL_STATUSES or track.row.status == ItemStatus.RETRYING
            ):
                await self._finish(track, job)

        unique = list({t.row.job_id: t for t in tracks if waited(t)}.values())
        for start in range(0, len(unique), self.concurrency * 4):
            await asyncio.gather(*(one(t) for t in unique[start : start + self.concurrency * 4]))

    async def _unanswered(self, track: Track, error: APIError | InvalidResponseError) -> None:
        """A retrieve without a job: a job gone fails its item, an unreadable answer does
        after MAX_BAD_ANSWERS, any other error is tried again later."""
        self._last_error = str(error)
        if isinstance(error, NotFoundError):
            self._state.finished(track.row, ItemStatus.FAILED, None, f"the job vanished: {error}")
            await self._drop(track)
        elif isinstance(error, InvalidResponseError):
            track.bad_answers += 1
            if track.bad_answers >= MAX_BAD_ANSWERS:
                reason = f"the server's answers for this job could not be read: {error}"
                self._state.finished(track.row, ItemStatus.FAILED, None, reason)
                await self._drop(track)

    async def _time_out_outstanding(self) -> None:
        for track in list(self.outstanding.values()):
            self._state.finished(track.row, ItemStatus.TIMED_OUT, None, self._late())
            await self._drop(track)
        for row in self._unknown:
            self._state.finished(row, ItemStatus.TIMED_OUT, None, self._late())
            await self._emit(row)
        self._unknown = []
        self._reopen_creates()
