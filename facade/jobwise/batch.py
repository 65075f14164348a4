"""Batch runs: many inputs in, every result back exactly once, resumable after a crash.

One engine (asyncio) serves both clients: :class:`AsyncBatchRun` iterates it directly and
:class:`BatchRun` runs it in a thread. How it works:

* inputs are read lazily; each is recorded in the state file with its Idempotency-Key before
  it is sent (see :mod:`jobwise.batch_state`), so a re-run sends nothing twice;
* submitting is bounded by an adaptive limit that halves on 429/503 and grows back (AIMD);
* waiting is a sweep of the list endpoint (completed and failed, newest first, stopping once
  past the batch's oldest unfinished job), with per-job retrieves for stragglers and for
  retried jobs: about one request per job in all, create included. Correctness never depends
  on the server's ordering: a job the sweeps miss is retrieved on its own;
* ``retry_failed=N`` retries a failed job up to N times through the retry endpoint.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobwise._api.writer import FINAL_STATUSES
from jobwise._async.batch_protocol import AsyncBatchClient
from jobwise.batch_options import BatchOptions
from jobwise.batch_results import FINAL_ITEM_STATUSES, BatchItem, Progress
from jobwise.batch_state import BatchState, Row, StateFileError, digest
from jobwise.concurrency import AdaptiveLimit
from jobwise.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from jobwise.models import Job, JobResult
from jobwise.polling import status_text
from jobwise.times import parse_time
from jobwise.validation import InputSet, normalize_inputs

SWEEP_PAGE_SIZE = 100
# A job the list sweeps have not found in this many sweeps is retrieved on its own: the sweep
# stops at the batch's oldest unfinished job, and a server may order or page unexpectedly.
STRAGGLER_SWEEPS = 4
MAX_SUBMIT_ATTEMPTS = 6
_TRANSIENT = (RateLimitError, ServerError, APIConnectionError)


@dataclass
class _Track:
    row: Row
    created_at: datetime | None
    misses: int = 0
    retried: bool = False


def _item(row: Row) -> BatchItem:
    return BatchItem(
        row.index, row.inputs, row.job_id, row.status, row.suggestion, row.error, row.retries
    )


def _take(iterator: Iterator[Any], count: int) -> list[Any]:
    return list(itertools.islice(iterator, count))


async def _read_in_thread(inputs: Iterable[Any]) -> AsyncIterator[tuple[int, Any]]:
    """Number the inputs, reading them in a worker thread so that a slow source (a network
    share, a database cursor) never stalls the event loop. Chunks double while reading is
    quick (up to 64 inputs a hop) and fall back to one when it is slow, so inputs read before
    a slow one are submitted at once."""
    iterator = iter(inputs)
    index, size = 0, 1
    while True:
        started = time.monotonic()
        chunk = await asyncio.to_thread(_take, iterator, size)
        if not chunk:
            return
        size = min(64, size * 2) if time.monotonic() - started < 0.01 else 1
        for raw in chunk:
            yield index, raw
            index += 1


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real error inside a task group's (possibly nested) exception group."""
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return _first_error(error)
        if not isinstance(error, asyncio.CancelledError):
            return error
    return group.exceptions[0]


def _normalized(raw: object, index: int) -> tuple[InputSet, str | None]:
    try:
        return normalize_inputs(raw, f"inputs[{index}]"), None
    except InvalidArgumentError as exc:
        return InputSet({"(invalid input)": [repr(raw)[:500]]}), str(exc)


class BatchEngine:
    """Runs one batch on an :class:`AsyncBatchClient`; ``emit`` receives each final item."""

    def __init__(self, jobs: AsyncBatchClient, options: BatchOptions) -> None:
        self.jobs = jobs
        self.options = options
        self.application_id = options.application_id
        self.concurrency = options.concurrency
        self.retry_failed = options.retry_failed
        self.state_path = options.state
        self.sweep_interval = options.sweep_interval
        self.max_outstanding = options.max_outstanding
        self.progress = Progress()
        self.outstanding: dict[str, _Track] = {}
        self.resumed = 0
        self.limit = AdaptiveLimit(self.concurrency)
        self._room = asyncio.Event()
        self._sweep_pages = 2
        self._last_report = 0.0
        self._sent_before = 0
        self._submitted_all = False
        self.state: BatchState | None = None

    async def run(self, emit: Callable[[BatchItem], Any]) -> None:
        """Read, submit and wait until every input is final (or left pending to resume)."""
        self._emit_to = emit
        self.state = BatchState(self.state_path, self.application_id, self.jobs.base_url)
        self.progress = Progress(self.state.counts)
        stop_hearing = self.jobs.on_congestion(self.limit.congested)
        self._sent_before = self.jobs.requests_sent
        try:
            sends: asyncio.Queue[Row | None] = asyncio.Queue(maxsize=self.concurrency * 4)
            async with asyncio.TaskGroup() as group:
                submitters = [
                    group.create_task(self._submitter(sends)) for _ in range(self.concurrency)
                ]
                waiter = group.create_task(self._wait_all())
                await self._read(sends)
                for _ in submitters:
                    await sends.put(None)
                for task in submitters:
                    await task
                self._submitted_all = True
                await waiter
        except BaseExceptionGroup as group:
            raise _first_error(group) from None
        finally:
            stop_hearing()
            self.progress.requests = self.jobs.requests_sent - self._sent_before
            self.state.commit(force=True)
            self._report(force=True)

    # reading -------------------------------------------------------------------------------

    async def _read(self, sends: asyncio.Queue[Row | None]) -> None:
        state = self._state
        stored = state.count()
        count = 0
        async for index, raw in _read_in_thread(self.options.inputs):
            count = index + 1
            inputs, problem = _normalized(raw, index)
            row = state.get(index) if index < stored else None
            self.progress.read += 1
            if row is not None:
                if row.digest != digest(inputs):
                    raise StateFileError(
                        f"state file {self.state_path} was made for another input list: "
                        f"input {index} differs; pass another state file"
                    )
                row.inputs = inputs  # the same input, in the one shape it is sent in
                self.resumed += row.status in FINAL_ITEM_STATUSES
            elif problem is not None:
                row = state.add(index, inputs, "invalid", problem)
            else:
                row = state.add(index, inputs, "pending", None)
            if row.status in FINAL_ITEM_STATUSES:
                await self._emit(row)
            elif row.status == "submitted":
                self._track(row)
            else:
                await sends.put(row)
            while len(self.outstanding) >= self.max_outstanding:
                self._room.clear()
                await self._room.wait()
            if index % 256 == 255:
                state.commit()
                await asyncio.sleep(0)
        if count < stored:
            raise StateFileError(
                f"state file {self.state_path} holds {stored} inputs but this input list has "
                f"{count}: it was made for another input list; pass another state file"
            )
        state.commit(force=True)

    # submitting ----------------------------------------------------------------------------

    async def _submitter(self, sends: asyncio.Queue[Row | None]) -> None:
        while (row := await sends.get()) is not None:
            await self._submit(row)

    async def _submit(self, row: Row) -> None:
        for attempt in range(MAX_SUBMIT_ATTEMPTS):
            try:
                async with self.limit:
                    created = await self.jobs.create(
                        self.application_id, row.inputs, idempotency_key=row.key
                    )
            except (AuthenticationError, PermissionDeniedError):
                raise
            except _TRANSIENT:
                # The transport below has already retried this call; a second, slower layer
                # here rides out an outage longer than one call's retry deadline.
                self.limit.congested()
                await self.jobs.sleep(min(30.0, 0.5 * 2**attempt))
                continue
            except APIError as exc:
                self._state.finished(row, "failed", None, str(exc))
                await self._emit(row)
                return
            self.limit.succeeded()
            self._state.submitted(row, created.id, created.created_at.isoformat())
            self._state.commit()
            self._track(row, created.created_at)
            return

    def _track(self, row: Row, created: datetime | None = None) -> None:
        assert row.job_id is not None
        if created is None and row.created_at:
            created = parse_time(row.created_at)
        self.outstanding[row.job_id] = _Track(row, created, retried=row.retries > 0)
        self.progress.in_flight = len(self.outstanding)
        self._report()

    # waiting -------------------------------------------------------------------------------

    async def _wait_all(self) -> None:
        """Sweep while submitting goes on, until everything submitted is final."""
        while not (self._submitted_all and not self.outstanding):
            await self.jobs.sleep(self.sweep_interval)
            if not self.outstanding:
                continue
            # Retried jobs are skipped by the sweeps: a retry keeps the job's id and creation
            # time, so a listing may still show its earlier "failed" answer.
            fresh = [t for t in self.outstanding.values() if not t.retried]
            # A sweep costs about as many requests as the last one read pages; when fewer jobs
            # are out than that, retrieving each is cheaper.
            if len(self.outstanding) <= self._sweep_pages or not fresh:
                await self._retrieve_each(list(self.outstanding.values()))
                continue
            try:
                await self._sweep(fresh)
            except _TRANSIENT:
                self.limit.congested()  # the next cycle sweeps again
                continue
            stragglers = [
                t for t in self.outstanding.values() if t.retried or t.misses >= STRAGGLER_SWEEPS
            ]
            await self._retrieve_each(stragglers)

    async def _sweep(self, fresh: list[_Track]) -> None:
        dated = [t.created_at for t in fresh if t.created_at is not None]
        oldest = min(dated) if dated else None
        pages = 0
        for status in sorted(FINAL_STATUSES):
            pager = self.jobs.list(self.application_id, status=status, page_size=SWEEP_PAGE_SIZE)
            async with self.limit:
                async for page in pager.pages():
                    pages += 1
                    for job in page:
                        found = self.outstanding.get(job.id)
                        if found is not None and not found.retried:
                            await self._finish(found, job)
                    if not any(not t.retried for t in self.outstanding.values()):
                        break
                    if oldest is not None and page[-1].created_at < oldest:
                        break
        self._sweep_pages = max(2, pages)
        for track in self.outstanding.values():
            track.misses += 1

    async def _retrieve_each(self, tracks: list[_Track]) -> None:
        async def one(track: _Track) -> None:
            assert track.row.job_id is not None
            try:
                async with self.limit:
                    job = await self.jobs.retrieve(track.row.job_id)
            except _TRANSIENT:
                return
            except NotFoundError as exc:
                self._state.finished(track.row, "failed", None, str(exc))
                await self._drop(track)
                return
            track.misses = 0
            if status_text(job) in FINAL_STATUSES:
                await self._finish(track, job)

        for start in range(0, len(tracks), self.concurrency * 4):
            await asyncio.gather(*(one(t) for t in tracks[start : start + self.concurrency * 4]))

    async def _finish(self, track: _Track, job: Job) -> None:
        row = track.row
        if status_text(job) == "failed" and row.retries < self.retry_failed:
            await self._retry(track)
            return
        if status_text(job) == "completed":
            suggestion = job.data.suggestion if isinstance(job.data, JobResult) else None
            self._state.finished(row, "completed", suggestion, None)
        else:
            error = job.error if isinstance(job.error, str) else "failed"
            self._state.finished(row, "failed", None, error)
        await self._drop(track)

    async def _retry(self, track: _Track) -> None:
        assert track.row.job_id is not None
        key = self._state.retrying(track.row)
        self.progress.retries += 1
        track.retried, track.misses = True, 0
        try:
            async with self.limit:
                await self.jobs.retry(track.row.job_id, idempotency_key=key)
        except (ConflictError, *_TRANSIENT):
            return  # already running again, or unknown: the next poll tells
        except APIError as exc:
            self._state.finished(track.row, "failed", None, str(exc))
            await self._drop(track)

    async def _drop(self, track: _Track) -> None:
        assert track.row.job_id is not None
        del self.outstanding[track.row.job_id]
        self._room.set()
        self.progress.in_flight = len(self.outstanding)
        self._state.commit()
        await self._emit(track.row)

    # results -------------------------------------------------------------------------------

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
        if self.options.on_progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_report >= 0.1:
            self._last_report = now
            self.progress.requests = self.jobs.requests_sent - self._sent_before
            self.options.on_progress(self.progress)

    def summary(self) -> dict[str, Any]:
        """Counts by status (this state file, all runs), retries, requests, elapsed."""
        counts = {status: n for status, n in self.progress.counts.items() if n}
        return {
            "counts": counts,
            "total": sum(counts.values()),
            "from_earlier_runs": self.resumed,
            "left_pending": counts.get("pending", 0) + counts.get("submitted", 0),
            "retries": self.progress.retries,
            "requests": self.progress.requests,
            "elapsed": round(self.progress.elapsed, 3),
            "concurrency_decreases": self.limit.decreases,
        }

    def close(self) -> None:
        """Release the state file."""
        if self.state is not None:
            self.state.close()
