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
import contextlib
import itertools
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jobwise.batch_state import FINAL, BatchState, Row, StateFileError, digest
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
from jobwise.validation import check_id, check_int, normalize_inputs

if TYPE_CHECKING:
    from jobwise.writer import AsyncWriterJobs

SWEEP_PAGE_SIZE = 100
STRAGGLER_SWEEPS = 4
MAX_SUBMIT_ATTEMPTS = 6
_TRANSIENT = (RateLimitError, ServerError, APIConnectionError)


@dataclass(frozen=True)
class BatchItem:
    """One input's outcome: ``status`` is completed, failed or invalid (refused unsent)."""

    index: int
    inputs: dict[str, list[str]]
    job_id: str | None
    status: str
    suggestion: str | None
    error: str | None
    retries: int


@dataclass
class Progress:
    """Counts so far, for progress bars: ``done`` finished, ``failed`` of them failed."""

    read: int = 0
    completed: int = 0
    failed: int = 0
    invalid: int = 0
    in_flight: int = 0
    retries: int = 0
    requests: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> int:
        """Items with a final status."""
        return self.completed + self.failed + self.invalid

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        """Items finished per second."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0


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


def _normalized(raw: object, index: int) -> tuple[dict[str, list[str]], str | None]:
    try:
        return {i.id: list(i.value) for i in normalize_inputs(raw, f"inputs[{index}]")}, None
    except InvalidArgumentError as exc:
        return {"(invalid input)": [repr(raw)[:500]]}, str(exc)


class BatchEngine:
    """Runs one batch with an :class:`AsyncWriterJobs`; ``emit`` receives each final item."""

    def __init__(
        self,
        jobs: AsyncWriterJobs,
        application_id: str,
        inputs: Iterable[Any],
        *,
        concurrency: int,
        state: str | None,
        retry_failed: int,
        on_progress: Callable[[Progress], object] | None,
        sweep_interval: float = 1.0,
        max_outstanding: int = 10_000,
    ) -> None:
        self.jobs = jobs
        self.application_id = check_id(application_id, "application_id")
        if isinstance(inputs, str | bytes) or not isinstance(inputs, Iterable):
            raise InvalidArgumentError("inputs", "must be an iterable of input mappings")
        self.inputs = inputs
        self.concurrency = check_int(concurrency, "concurrency", 1, 1000)
        self.retry_failed = check_int(retry_failed, "retry_failed", 0, 100)
        if state is not None and (not isinstance(state, str) or not state):
            raise InvalidArgumentError("state", "must be a file path or None")
        self.state_path = state
        self.on_progress = on_progress
        self.sweep_interval = sweep_interval
        self.max_outstanding = max_outstanding
        self.progress = Progress()
        self.outstanding: dict[str, _Track] = {}
        self.unsent = 0
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
        transport = self.jobs._session.transport
        transport.observer = self.limit.congested
        self._sent_before = transport.sent
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
            transport.observer = None
            self.progress.requests = transport.sent - self._sent_before
            self.state.commit(force=True)
            self._report(force=True)

    # reading -------------------------------------------------------------------------------

    async def _read(self, sends: asyncio.Queue[Row | None]) -> None:
        state = self._state
        stored = state.count()
        count = 0
        async for index, raw in _read_in_thread(self.inputs):
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
                self.resumed += row.status in FINAL
            elif problem is not None:
                row = state.add(index, inputs, "invalid", problem)
            else:
                row = state.add(index, inputs, "pending", None)
            if row.status in FINAL:
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
                self.limit.congested()
                await self.jobs._session.sleep(min(30.0, 0.5 * 2**attempt))
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
        self.unsent += 1

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
            await self.jobs._session.sleep(self.sweep_interval)
            if not self.outstanding:
                continue
            fresh = [t for t in self.outstanding.values() if not t.retried]
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
        for status in ("completed", "failed"):
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
            if status_text(job) in ("completed", "failed"):
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
        status = row.status
        if status == "completed":
            self.progress.completed += 1
        elif status == "failed":
            self.progress.failed += 1
        else:
            self.progress.invalid += 1
        self._report()
        result = self._emit_to(_item(row))
        if asyncio.iscoroutine(result):
            await result

    def _report(self, force: bool = False) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_report >= 0.1:
            self._last_report = now
            self.progress.requests = self.jobs.requests_sent - self._sent_before
            self.on_progress(self.progress)

    def summary(self) -> dict[str, Any]:
        """Counts by status (this state file, all runs), retries, requests, elapsed."""
        counts = self.state.counts() if self.state is not None and self.state.db else {}
        return {
            "counts": counts,
            "total": sum(counts.values()),
            "from_earlier_runs": self.resumed,
            "left_pending": self.unsent + counts.get("pending", 0),
            "retries": self.progress.retries,
            "requests": self.progress.requests,
            "elapsed": round(self.progress.elapsed, 3),
            "concurrency_decreases": self.limit.decreases,
        }

    def close(self) -> None:
        """Release the state file."""
        if self.state is not None:
            self.state.close()


class AsyncBatchRun:
    """A batch for asyncio: ``async for item in run``, then ``run.summary()``."""

    def __init__(self, engine: BatchEngine) -> None:
        self._engine = engine
        self._summary: dict[str, Any] | None = None
        self._started = False

    async def __aiter__(self) -> AsyncIterator[BatchItem]:
        if self._started:
            raise RuntimeError("a batch run iterates once; call run_batch again to resume it")
        self._started = True
        items: asyncio.Queue[BatchItem | None] = asyncio.Queue(maxsize=1000)
        task = asyncio.create_task(self._run(items))
        try:
            while (item := await items.get()) is not None:
                yield item
            await task
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def _run(self, items: asyncio.Queue[BatchItem | None]) -> None:
        try:
            await self._engine.run(items.put)
        finally:
            self._summary = self._engine.summary()
            self._engine.close()
            await items.put(None)

    async def wait(self) -> dict[str, Any]:
        """Run to the end without looking at items; returns the summary."""
        async for _ in self:
            pass
        return self.summary()

    def summary(self) -> dict[str, Any]:
        """Counts by status, retries, requests, elapsed (after the run)."""
        return self._summary if self._summary is not None else self._engine.summary()


class BatchRun:
    """A batch for synchronous code: ``for item in run``, then ``run.summary()``.

    The engine runs in a background thread with its own event loop and async client.
    """

    def __init__(self, engine: BatchEngine) -> None:
        self._engine = engine
        self._summary: dict[str, Any] | None = None
        self._started = False

    def __iter__(self) -> Iterator[BatchItem]:
        if self._started:
            raise RuntimeError("a batch run iterates once; call run_batch again to resume it")
        self._started = True
        items: queue.Queue[BatchItem | BaseException | None] = queue.Queue(maxsize=1000)
        stop = threading.Event()
        thread = threading.Thread(
            target=self._thread, args=(items, stop), name="jobwise-batch", daemon=True
        )
        thread.start()
        try:
            while (item := items.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while thread.is_alive():
                with contextlib.suppress(queue.Empty):
                    items.get(timeout=0.05)
            thread.join()

    def _thread(
        self, items: queue.Queue[BatchItem | BaseException | None], stop: threading.Event
    ) -> None:
        async def emit(item: BatchItem) -> None:
            while not stop.is_set():
                try:
                    items.put_nowait(item)
                    return
                except queue.Full:
                    await asyncio.sleep(0.01)

        async def main() -> None:
            engine = self._engine
            task = asyncio.create_task(engine.run(emit))
            try:
                while not task.done():
                    await asyncio.wait({task}, timeout=0.05)
                    if stop.is_set():
                        task.cancel()
                if not task.cancelled():
                    task.result()
            finally:
                self._summary = engine.summary()
                engine.close()
                await engine.jobs.aclose()

        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # handed to the consuming thread, raised there
            items.put(exc)
        items.put(None)

    def wait(self) -> dict[str, Any]:
        """Run to the end without looking at items; returns the summary."""
        for _ in self:
            pass
        return self.summary()

    def summary(self) -> dict[str, Any]:
        """Counts by status, retries, requests, elapsed (after the run)."""
        if self._summary is None:
            raise RuntimeError("the batch has not run yet: iterate it or call wait()")
        return self._summary
