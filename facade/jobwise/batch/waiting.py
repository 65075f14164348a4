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
from jobwise.models import Job, JobStatus
from jobwise.polling import status_text

# An answer that cannot be parsed is retried this many times before its item fails.
MAX_BAD_ANSWERS = 3
PAST_DEADLINE_NAP = 0.1


def _continues(page: list[Job], before: datetime | None) -> bool:
    """Whether a page continues a newest-first listing (ties of a coarse clock allowed): newest
    first within it, its oldest job no newer than the last page's. (Not its newest: a job that
    enters a status listing between two pages, pushed down by others entering above it, can
    open the next page newer than the last one ended. The network scenario of bench.py saw it
    in about half its sweeps' listings, and each such sweep turned every later one into a
    reading of every page: 116 pages after the last input was sent, 67 with this.)"""
    margin = timedelta(seconds=COARSE_MARGIN)
    if page[0].created_at + margin < page[-1].created_at:
        return False
    return before is None or page[-1].created_at <= before + margin


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
            due = (
                []
                if depth is None
                else [t for t in self.outstanding.values() if now - t.since < depth]
            )
            if self._probing():
                await self._fetch_done(due + self._last_few(due))
                continue
            if depth is None:
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

    async def _swept(self, fresh: list[Track], due: list[Track]) -> bool:
        """Sweep for ``fresh``; whether every page it meant to read was read. An error the next
        cycle sweeps again; a garbled page has ``due`` retrieved one by one."""
        try:
            await self._sweep(fresh)
        except APIError as exc:
            self._failed_listing(exc)
            return False
        except InvalidResponseError as exc:
            self._last_error = str(exc)
            await self._retrieve_each(due)
            return False
        return True

    def _failed_listing(self, exc: APIError) -> None:
        """A listing's error: fatal when the key is refused, else the next cycle looks again."""
        if isinstance(exc, AuthenticationError | PermissionDeniedError):
            raise exc
        self._last_error = str(exc)
        self.limit.congested()

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
        if looked:
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

    async def _running(self, oldest: datetime) -> set[str] | None:
        """The in-progress listing's ids down to ``oldest`` (None: it is not newest first)."""
        ids: set[str] = set()
        before: datetime | None = None
        listing = self.jobs.list(
            self.application_id, status=JobStatus.IN_PROGRESS, page_size=SWEEP_PAGE_SIZE
        )
        async for page in listing.pages():
            self._heard()
            ids.update(job.id for job in page)
            if not _continues(page, before):
                self._newest_first = False
                return None
            before = page[-1].created_at
            if before < oldest:
                break
        return ids

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

    async def _sweep(self, fresh: list[Track]) -> None:
        """Read the jobs newest first, down to the oldest of ``fresh`` (every page when one of
        them has no creation time): all of them in one listing when fewer than a page of ours
        are running in that span, else the completed listing, and the failed one when a
        failure is expected there (the running jobs are not read)."""
        dated = [t.created_at for t in fresh if t.created_at is not None]
        oldest = min(dated) if len(dated) == len(fresh) else None
        running = sum(
            1
            for t in self.outstanding.values()
            if oldest is None or (t.created_at is not None and t.created_at >= oldest)
        )
        statuses: list[str | None] = [None]
        if running >= SWEEP_PAGE_SIZE:
            statuses = list(self.failures.listings())
        pages = completed = 0
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
                        completed += status_text(job) == JobStatus.COMPLETED
                        self.failures.seen(status_text(job) == JobStatus.FAILED)
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
        self.failures.read(JobStatus.FAILED in statuses or None in statuses, completed)
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
            status = status_text(job)
            final = status in FINAL_STATUSES
            if waited(track) and (final or track.row.status == ItemStatus.RETRYING):
                if final:
                    self.failures.seen(status == JobStatus.FAILED)
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
