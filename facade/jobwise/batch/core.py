"""What every part of the batch engine shares: its state, the items it waits for, and
how an outcome reaches the caller."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobwise.batch.create_slots import CreateSlots
from jobwise.batch.items import NEEDS_DECISION, BatchItem, BatchSummary, Progress
from jobwise.batch.options import BatchOptions
from jobwise.batch.protocol import AsyncBatchClient
from jobwise.batch.schedule import FailedListing, Schedule
from jobwise.batch.schema import Row
from jobwise.batch.state import BatchState
from jobwise.concurrency import AdaptiveLimit
from jobwise.times import parse_time

SWEEP_PAGE_SIZE = 100

NO_ANSWER = "no answer yet"


@dataclass
class Track:
    row: Row
    created_at: datetime | None
    since: float
    """When the job was submitted or retried (the client's clock)."""
    misses: int = 0
    retried: bool = False
    bad_answers: int = 0
    alone_at: float = 0.0
    """When it may next be retrieved on its own as a straggler."""
    tail_at: float = 0.0
    """When it may next be retrieved on its own among the batch's last few jobs."""


class Sends:
    """The rows to send, from the reader to the submitters (``None``: a submitter stops), at
    most ``size`` waiting. A full queue's reader goes on once the submitters have taken half,
    not after each row: woken per row it took, handed over and suspended again for each
    input (two task switches of the four a create's loop turns hold, one at a time)."""

    def __init__(self, size: int) -> None:
        self._rows: asyncio.Queue[Row | None] = asyncio.Queue()
        self._size = size
        self._room = asyncio.Event()

    async def put(self, row: Row | None) -> None:
        while self._rows.qsize() >= self._size:
            self._room.clear()
            await self._room.wait()
        self._rows.put_nowait(row)

    async def get(self) -> Row | None:
        row = await self._rows.get()
        if self._rows.qsize() <= self._size // 2:
            self._room.set()
        return row


def _item(row: Row) -> BatchItem:
    return BatchItem(
        row.index,
        row.inputs,
        row.job_id,
        row.status,
        row.suggestion,
        row.error,
        row.retries,
        tuple(row.candidates),
    )


class EngineCore:
    """The engine's shared state; each part of :class:`BatchEngine` is a subclass of it."""

    _emit_to: Callable[[BatchItem], Any]
    """Where each item's outcome goes (set by :meth:`BatchEngine.run`)."""

    def __init__(self, jobs: AsyncBatchClient, options: BatchOptions) -> None:
        self.jobs = jobs
        self.options = options
        self.application_id = options.application_id
        self.concurrency = options.concurrency
        self.progress = Progress(clock=jobs.clock)
        self.outstanding: dict[str, Track] = {}
        self.resumed = 0
        self.limit = AdaptiveLimit(self.concurrency)
        self.schedule = Schedule(options.sweep_interval)
        self.failures = FailedListing()
        self.state: BatchState | None = None
        self.possible_duplicates: list[str] = []
        self._keys_noted = False
        # While the server has not shown that it honours Idempotency-Key, creates go one at a
        # time but as the network needs: two lost creates in flight together share their
        # listing window, and then neither can be told from the other (Writer's jobs do not
        # carry their inputs).
        self.create_slots = CreateSlots(self.concurrency)
        self._next_create = 0.0
        self._room = asyncio.Event()
        self._creates_open = asyncio.Event()
        self._creates_open.set()
        self._landing = False
        """Stopping: creates stay closed (a settled lost create reopened them)."""
        self._answered = asyncio.Event()
        self._all_sent = asyncio.Event()
        self._lost = asyncio.Event()
        self._stopping = asyncio.Event()
        self._fatal: Exception | None = None
        """What stops the run (on_progress's error, a create refused for the whole batch):
        raised once the creates in flight have landed."""
        self._unknown: list[Row] = []
        self._first_created: datetime | None = None
        """The server's time of this run's first answered create."""
        self._foreign = False
        """Jobs this run did not make showed where only its own could be: adoption is off."""
        self._creating = 0
        self._resending = 0
        self._settling = 0
        self._sweep_pages = 2
        self._looks_creating = 0
        """Requests the looks spent while inputs were still being sent."""
        self._newest_first = True
        self._last_report = 0.0
        self._sent_before = 0
        self._submitted_all = False
        self._started = 0.0
        self._last_answer = 0.0
        self._last_error = NO_ANSWER
        self._heard_once = False
        self._only_refused = True  # every create that failed so far never reached the server
        self._answered_upto = 0
        self._asking_since: float | None = None

    @property
    def _state(self) -> BatchState:
        assert self.state is not None
        return self.state

    async def _emit(self, row: Row) -> None:
        self._report()
        result = self._emit_to(_item(row))
        if asyncio.iscoroutine(result):
            await result

    def _report(self, force: bool = False) -> None:
        if self.options.on_progress is None or self._fatal is not None:
            return
        now = self.jobs.clock()
        if force or now - self._last_report >= 0.1:
            self._last_report = now
            self.progress.requests = self.jobs.requests_sent - self._sent_before
            try:
                self.options.on_progress(self.progress)
            except Exception as exc:  # raised by _stop_when_asked, not in a caller's task
                self._stop(exc)

    def _track(self, row: Row, created: datetime | None = None) -> None:
        assert row.job_id is not None
        if created is None and row.created_at:
            created = parse_time(row.created_at)
        since = self.jobs.clock()
        self.outstanding[row.job_id] = Track(row, created, since, retried=row.retries > 0)
        self.progress.in_flight = len(self.outstanding)
        self._report()

    async def _drop(self, track: Track) -> None:
        assert track.row.job_id is not None
        self.outstanding.pop(track.row.job_id, None)
        self._room.set()
        self.progress.in_flight = len(self.outstanding)
        self._state.commit()
        await self._emit(track.row)

    def _retries_left(self, row: Row) -> bool:
        return row.retries < self.options.retry_failed

    def _overloaded(self, status: int) -> None:
        """A 503 halves the requests in flight; a 429 is the rate budget's to pace away, and
        no silence: a pause of Retry-After's length, counted as one, warned of a silent server
        after 5 s and could stop the run after 60 (Writer's limit is per minute)."""
        if status == 503:
            self.limit.congested()
        elif status == 429:
            self._heard()
            if self.jobs.rate_limit is None:
                self.create_slots.throttled()

    def summary(self) -> BatchSummary:
        """Counts by status, retries, requests, elapsed, and the jobs re-sent ambiguous items
        may duplicate (see :class:`BatchSummary`)."""
        # A copy first: the sync run's caller reads this from another thread.
        counts = {status: n for status, n in dict(self.progress.counts).items() if n}
        return {
            "counts": counts,
            "total": sum(counts.values()),
            "from_earlier_runs": self.resumed,
            "needs_decision": sum(counts.get(status, 0) for status in NEEDS_DECISION),
            "possible_duplicates": self.possible_duplicates,
            "retries": self.progress.retries,
            "requests": self.progress.requests,
            "elapsed": round(self.progress.elapsed, 3),
            "concurrency_decreases": self.limit.decreases,
            "rate_limit": self.jobs.rate_limit,
        }

    def close(self) -> None:
        """Release the state file."""
        if self.state is not None:
            self.state.close()

    def _heard(self) -> None:
        self._last_answer = self.jobs.clock()
        self._heard_once = True
        self._answered_upto = self.jobs.requests_sent

    def _stop(self, exc: Exception) -> None:
        """Stop the run for ``exc``: no create leaves from now on (a submitter already woken
        for its turn included), and ``exc`` is raised once those in flight have answered.
        (Raised in the task that met it, the error cancelled the others, and a create whose
        job was stored was left "sending" with no job id.)"""
        if self._fatal is None:
            self._fatal = exc
        self._close_creates()
        self._stopping.set()

    async def _stop_when_asked(self) -> None:
        await self._stopping.wait()
        await self._let_creates_land()
        assert self._fatal is not None
        raise self._fatal

    def _close_creates(self) -> None:
        """No create leaves from now on: a settled lost create no longer reopens them."""
        self._landing = True
        self._creates_open.clear()

    async def _let_creates_land(self) -> None:
        """Send no more creates, and wait for those in flight to answer (each ends by its own
        timeout and the batch's deadline)."""
        self._close_creates()
        while self._creating:
            self._answered.clear()
            await self._answered.wait()

    def _reopen_creates(self) -> None:
        if not self._landing:
            self._creates_open.set()
