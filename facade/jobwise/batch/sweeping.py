"""Sweeping: the looks at the server that settle jobs. Listings read newest first down to the
oldest job due (the completed, failed or in-progress one, or all), and each job retrieved on
its own; the answers finish items, once each (:mod:`jobwise.batch.outcomes`)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from jobwise._api.writer import FINAL_STATUSES
from jobwise.batch.core import SWEEP_PAGE_SIZE, Track
from jobwise.batch.items import ItemStatus
from jobwise.batch.lost import Settling
from jobwise.batch.outcomes import Outcomes
from jobwise.batch.schedule import cheaper_alone
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
# Requests the looks may spend while inputs are being sent, beyond one per page of inputs read
# (each is a create not sent under a rate limit: bench_virtual.py writer read 376 list pages
# for 10,000 jobs, 287 while creating, each 2.5 ms of creates at 400 a second).
LOOKS_SLACK = 3
LOOKS_PERIOD = 5.0
"""Seconds: while inputs are being sent, a look at least this often whatever their pace, so a
slow source's results still come (writer's 27 s of creates get 5 more for it)."""


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


class Sweeping(Settling, Outcomes):
    """Listings and retrieves: each answer read settles the jobs it shows as ended."""

    async def _swept(self, fresh: list[Track], due: list[Track]) -> bool:
        """Sweep for ``fresh`` and retrieve the jobs it left below its last page; whether
        every page it meant to read was read. An error the next cycle sweeps again; a garbled
        page has ``due`` retrieved one by one."""
        try:
            left = await self._sweep(fresh)
        except APIError as exc:
            self._failed_listing(exc)
            return False
        except InvalidResponseError as exc:
            self._last_error = str(exc)
            await self._retrieve_each(due)
            return False
        await self._retrieve_each(left)
        return True

    def _failed_listing(self, exc: APIError) -> None:
        """A listing's error: fatal when the key is refused, else the next cycle looks again."""
        if isinstance(exc, AuthenticationError | PermissionDeniedError):
            raise exc
        self._last_error = str(exc)
        self.limit.congested()

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

    async def _sweep(self, fresh: list[Track]) -> list[Track]:
        """Read the jobs newest first, down to the oldest of ``fresh`` (every page when one of
        them has no creation time): all of them in one listing when fewer than a page of ours
        are running in that span, else the completed listing, and the failed one when a
        failure is expected there (the running jobs are not read). A listing stops early where
        retrieving the jobs due below it costs less than the pages down to them
        (:func:`cheaper_alone`); those are returned, to be retrieved on their own."""
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
        reached = oldest
        left: list[Track] = []
        for status in statuses:
            listing = self.jobs.list(self.application_id, status=status, page_size=SWEEP_PAGE_SIZE)
            before: datetime | None = None
            top: datetime | None = None
            read = 0
            async for page in listing.pages():
                self._heard()
                pages += 1
                self._looks_creating += not self._submitted_all
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
                top, read = top or page[0].created_at, read + 1
                if self._spent_allowance():
                    reached = before if reached is None else max(reached, before)
                    break
                if not self._newest_first or oldest is None:
                    continue
                if before < oldest:
                    break
                below = self._below(fresh, before)
                span = (top - before).total_seconds()
                if span > 0 and cheaper_alone([d for d, _ in below], read / span):
                    left += [t for _, t in below]
                    reached = before if reached is None else max(reached, before)
                    break
        self._sweep_pages = max(1, pages)
        self.failures.read(JobStatus.FAILED in statuses or None in statuses, completed)
        for track in self.outstanding.values():
            created = track.created_at
            if not track.retried and (
                reached is None or (created is not None and created >= reached)
            ):
                track.misses += 1
        return left

    def _spent_allowance(self) -> bool:
        """While inputs are still being sent, whether the looks have spent their allowance: a
        request for each :data:`SWEEP_PAGE_SIZE` inputs read (the bound's own share), one each
        :data:`LOOKS_PERIOD` seconds (a slow source's results still come), and
        :data:`LOOKS_SLACK`. None without a rate limit, where a look sends no create later, nor
        while the outstanding jobs hold the reader back."""
        if self._submitted_all or self.jobs.rate_limit is None:
            return False
        if len(self.outstanding) >= self.options.max_outstanding:
            return False
        elapsed = self.jobs.clock() - self._started
        allowance = self.progress.read / SWEEP_PAGE_SIZE + elapsed / LOOKS_PERIOD + LOOKS_SLACK
        return self._looks_creating >= allowance

    def _below(self, fresh: list[Track], before: datetime) -> list[tuple[float, Track]]:
        """The jobs of ``fresh`` still waited for and created before ``before``: how many
        seconds before it each was created, and its track."""
        return [
            ((before - t.created_at).total_seconds(), t)
            for t in fresh
            if t.created_at is not None
            and t.created_at < before
            and self.outstanding.get(t.row.job_id or "") is t
        ]

    async def _retrieve_each(self, tracks: list[Track]) -> None:
        """Retrieve each job on its own, once, and settle it only while it is still waited
        for: a sweep cut short by a garbled page has finished some of the jobs it was due to
        read, and an answer for one of those emitted its item a second time."""

        def waited(track: Track) -> bool:
            return self.outstanding.get(track.row.job_id or "") is track

        async def one(track: Track) -> None:
            assert track.row.job_id is not None
            self._looks_creating += not self._submitted_all
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
