"""Batch runs: many inputs in, every result back exactly once, resumable after a crash.

One engine (asyncio) serves both clients: :class:`jobwise.AsyncBatchRun` iterates it directly
and :class:`jobwise.BatchRun` runs it in a thread. How it keeps its promise on servers that
ignore Idempotency-Key (neither Writer nor osapi is known to honour it):

* every input is recorded in the state file before it is sent, every send is committed before
  it leaves, and every answer before the next step (see :mod:`jobwise.batch_state`);
* a create whose answer is lost (timeout or reset after sending, 500/502/504, a garbled 2xx) is
  never re-sent blindly: new creates pause until those in flight have answered, and after a
  settle delay the application's jobs created in the send's window are listed against every
  job id the state file knows. Exactly one unknown job: adopted (``adopt=True``; it assumes no
  other client creates jobs in the application meanwhile). None: sent again. Otherwise the item
  ends ``ambiguous`` with its candidates. Until the server shows it honours the key, creates
  go one at a time, so that two lost creates rarely share a window, and side by side only as
  far as a calm network's round trips, not the rate budget, hold them back
  (:mod:`jobwise.create_slots`; sweeps and retrieves stay concurrent). A lost create puts them
  back to one at a time; those in flight beside it answer before it is settled, and a job in
  two lost creates' windows is adopted by neither. Where the server echoes the key back, it
  honours it, and a lost create is simply re-sent under the same key (the state file
  remembers this, so a killed run's creates are re-sent on resume too);
* the client's rate budget paces every request (creates before sweeps) and learns the server's
  limit from its headers and 429s; requests in flight are bounded by an adaptive limit that
  halves on 503 (overload, which no rate explains) and grows back (AIMD);
* waiting is a sweep of the list endpoint (completed and failed, newest first, stopping once
  past the oldest job due), each job due again after a share of its age
  (:mod:`jobwise.batch_schedule`), with per-job retrieves for stragglers and for retried
  jobs: about one request per job in all, create included, at any job latency. Correctness
  never depends on the server's ordering: a job the sweeps miss is retrieved on its own;
* ``retry_failed=N`` retries a failed job up to N times; the intent is recorded first, so a
  retry interrupted by a crash is sent (or confirmed) on resume;
* never stuck: ``deadline`` ends unfinished items ``timed_out`` (job ids kept), and a server
  that gives no usable answer for ``stall_timeout`` seconds stops the run with one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jobwise._api.writer import FINAL_STATUSES
from jobwise._async.batch_protocol import AsyncBatchClient
from jobwise.attempts import CALLS_END, EXPOSURE, Exposure
from jobwise.batch_options import BatchOptions
from jobwise.batch_results import FINAL_ITEM_STATUSES, BatchItem, Progress
from jobwise.batch_schedule import STRAGGLER_SWEEPS, Schedule
from jobwise.batch_state import BatchState, OtherInputsError, Row, digest
from jobwise.concurrency import AdaptiveLimit
from jobwise.create_slots import CreateSlots
from jobwise.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    AuthenticationError,
    ClientClosedError,
    InvalidArgumentError,
    InvalidResponseError,
    JobIdReusedError,
    JobwiseError,
    NotFoundError,
    PermissionDeniedError,
    ServerUnavailableError,
)
from jobwise.models import Job, JobCreated, JobResult
from jobwise.polling import status_text
from jobwise.retries import REFUSED
from jobwise.times import parse_time
from jobwise.validation import InputSet, normalize_inputs

log = logging.getLogger("jobwise")

SWEEP_PAGE_SIZE = 100
# An answer that cannot be parsed is retried this many times before its item fails.
MAX_BAD_ANSWERS = 3
# How far apart the client's and the server's clocks may be before any create has answered
# (after one has, its created_at bounds the offset) and before any answer's Date header has
# (see jobwise.server_clock). A wide window holds other batches' jobs.
UNKNOWN_CLOCK_SKEW = 120.0
# The latest a killed run's unanswered create may still have been stored: a request timeout.
UNANSWERED_WINDOW = 60.0
# The offset bounds already hold the uncertainty of each answered create; the margin covers
# the resolution of the server's timestamps (whole seconds where they carry no fraction).
FINE_MARGIN, COARSE_MARGIN = 0.05, 1.0
# How far the machine's wall clock may wander from the steady one (jobwise.times.SteadyWall)
# before it counts as a step: NTP slews by at most 0.5 ms a second, so a second in a run is a
# step (or a suspend, in which the monotonic clock stood still and the server's did not).
STEP = 1.0
# Seconds without a usable answer after which a timed-out item says so: a server that answers
# at all answers a batch's requests well within this (its sweeps go every second at most).
SILENT = 5.0
NO_ANSWER = "no answer yet"
WATCH_TICK = 1.0
PAST_DEADLINE_NAP = 0.1
# What the reader times out once the deadline has passed: items not yet sent, waited for, or
# (a killed run's, left unsettled when its listing failed past the deadline) lost.
UNFINISHED = frozenset({"pending", "submitted", "retrying", "sending", "unknown"})


@dataclass
class _Track:
    row: Row
    created_at: datetime | None
    since: float
    """When the job was submitted or retried (the client's clock)."""
    misses: int = 0
    retried: bool = False
    bad_answers: int = 0
    alone_at: float = 0.0
    """When it may next be retrieved on its own as a straggler."""


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


@dataclass(frozen=True)
class _Read:
    """One input as it was when the source yielded it."""

    index: int
    inputs: InputSet
    problem: str | None
    text_type: str | None
    """The type's name when the input was a str or bytes (a list of strings, not mappings)."""


def _take(iterator: Iterator[Any], start: int, count: int) -> list[_Read]:
    # Each input is copied as it is read: a source that yields one dict, changed between
    # yields, had inputs sent twice and others never, with no error.
    return [
        _Read(
            index,
            *_normalized(raw, index),
            type(raw).__name__ if isinstance(raw, str | bytes) else None,
        )
        for index, raw in enumerate(itertools.islice(iterator, count), start)
    ]


async def _read_in_thread(
    inputs: Iterable[Any], clock: Callable[[], float]
) -> AsyncIterator[_Read]:
    """Number and copy the inputs, reading them in a worker thread so that a slow source (a
    network share, a remote cursor) never stalls the event loop. Chunks double while reading
    is quick (up to 64 inputs a hop) and fall back to one when it is slow, so inputs read
    before a slow one are submitted at once."""
    iterator = iter(inputs)
    index, size = 0, 1
    while True:
        started = clock()
        chunk = await asyncio.to_thread(_take, iterator, index, size)
        if not chunk:
            return
        size = min(64, size * 2) if clock() - started < 0.01 else 1
        index += len(chunk)
        for read in chunk:
            yield read


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


def _continues(page: list[Job], before: datetime | None) -> bool:
    """Whether a page continues a newest-first listing (ties of a coarse clock allowed)."""
    margin = timedelta(seconds=COARSE_MARGIN)
    newest = page[0].created_at
    if newest + margin < page[-1].created_at:
        return False
    return before is None or newest <= before + margin


def _final(job: Job) -> bool:
    return status_text(job) in FINAL_STATUSES


def _maybe_stored(exc: JobwiseError) -> bool:
    """Whether a failed POST may still have been acted on by the server."""
    if isinstance(exc, APIConnectionError):
        return exc.may_have_arrived
    if isinstance(exc, APIStatusError):
        return exc.status_code >= 500 and exc.status_code not in REFUSED
    return isinstance(exc, InvalidResponseError)  # a 2xx with a garbled body: it was stored


def _refused(exc: JobwiseError) -> bool:
    """Whether a failed POST certainly was not acted on (never arrived, or refused)."""
    if isinstance(exc, APIConnectionError):
        return not exc.may_have_arrived
    return isinstance(exc, APIStatusError) and exc.status_code in REFUSED


class BatchEngine:
    """Runs one batch on an :class:`AsyncBatchClient`; ``emit`` receives each item's outcome."""

    def __init__(self, jobs: AsyncBatchClient, options: BatchOptions) -> None:
        self.jobs = jobs
        self.options = options
        self.application_id = options.application_id
        self.concurrency = options.concurrency
        self.progress = Progress(clock=jobs.clock)
        self.outstanding: dict[str, _Track] = {}
        self.resumed = 0
        self.limit = AdaptiveLimit(self.concurrency)
        self.schedule = Schedule(options.sweep_interval)
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
        self._newest_first = True
        self._last_report = 0.0
        self._sent_before = 0
        self._submitted_all = False
        self._started = 0.0
        self._last_answer = 0.0
        self._last_error = NO_ANSWER
        self._heard_once = False
        self._answered_upto = 0
        self._asking_since: float | None = None
        # Bounds of (server clock - client clock), learned from answered creates.
        self._offset_low: float
        self._offset_high: float
        self._offset_known: bool
        self._margin: float
        self._forget_clock()
        self._saved_bounds: tuple[float, float, float] | None = None
        self._wall_step = 0.0

    async def run(self, emit: Callable[[BatchItem], Any]) -> None:
        """Read, submit and wait until every input has an outcome (or stop with an error)."""
        self._emit_to = emit
        self.state = BatchState(
            self.options.state, self.application_id, self.jobs.base_url, self.jobs.clock
        )
        self.progress = Progress(self.state.counts, clock=self.jobs.clock)
        self.state.report_with(  # what `jobwise status` shows besides the counts
            lambda: {
                **self.summary(),
                "requests": self.jobs.requests_sent - self._sent_before,
                "last_error": None if self._last_error == NO_ANSWER else self._last_error,
                "updated": self.jobs.wall(),
                "inputs": self.options.total,
            }
        )
        if self.options.rate_limit is not None:
            self.jobs.rate_limit = self.options.rate_limit
        stop_hearing = self.jobs.on_congestion(self._overloaded)
        self._sent_before = self.jobs.requests_sent
        self._started = self._last_answer = self.jobs.clock()
        self._wall_step = self.jobs.wall_step()
        self._answered_upto = self.jobs.requests_sent
        # Every call of this run ends by the deadline: a create riding out its retries against
        # a dead server took a `--timeout 1` batch to 4.8 s.
        deadline = self.options.deadline
        ends = CALLS_END.set(None if deadline is None else self._started + deadline)
        try:
            sends: asyncio.Queue[Row | None] = asyncio.Queue(maxsize=self.concurrency * 4)
            async with asyncio.TaskGroup() as group:
                watchdog = group.create_task(self._watchdog())
                resumed = list(self.state.unsettled())
                if self.state.keys_honoured:
                    # An earlier run saw this server echo its keys: creates go side by side at
                    # once, and a lost one is re-sent under its key. (Untrusted until an echo,
                    # a resumed run's first lost create was settled from the listing, where
                    # the jobs of the killed run's creates, not yet replayed, made it
                    # ambiguous: one honour-key soak in four.)
                    self.jobs.trust_keys()
                    self._keys_noted = True
                    for row in resumed:  # the server replays a stored create by its key
                        self.state.refused(row)
                elif resumed:  # settled before anything new is sent: their windows stay apart
                    await self._reconcile_killed(resumed)
                self.state.save_clock_bounds(None)  # this run learns its own
                submitters = [
                    group.create_task(self._submitter(sends)) for _ in range(self.concurrency)
                ]
                waiter = group.create_task(self._wait_all())
                reconciler = group.create_task(self._reconcile_loop(group))
                stopper = group.create_task(self._stop_when_asked())
                try:
                    await self._read(sends)
                except Exception:
                    # The caller's source failed. Cancelled, a create in flight was left
                    # "sending": the next run settled it from the listing, ambiguous where
                    # other jobs were being made meanwhile.
                    await self._let_creates_land()
                    raise
                for _ in submitters:
                    await sends.put(None)
                for task in submitters:
                    await task
                self._submitted_all = True
                self._all_sent.set()
                await waiter
                reconciler.cancel()
                watchdog.cancel()
                stopper.cancel()
        except BaseExceptionGroup as group:
            raise _first_error(group) from None
        finally:
            CALLS_END.reset(ends)
            stop_hearing()
            self.progress.requests = self.jobs.requests_sent - self._sent_before
            self.state.commit(force=True)
            self._report(force=True)
        if self._fatal is not None:  # the last report's
            raise self._fatal

    # reading -------------------------------------------------------------------------------

    async def _read(self, sends: asyncio.Queue[Row | None]) -> None:
        state = self._state
        stored = state.count()
        count = 0
        async for read in _read_in_thread(self.options.inputs, self.jobs.clock):
            index, inputs, problem = read.index, read.inputs, read.problem
            count = index + 1
            if index == 0 and read.text_type is not None:
                # A list of strings, not of input mappings: refused before anything is sent.
                raise InvalidArgumentError(
                    "inputs",
                    "must be input mappings, one per job, like {'Product': 'value'}; "
                    f"the first is a {read.text_type}",
                )
            row = state.get(index) if index < stored else None
            self.progress.read += 1
            if row is not None:
                if row.digest != digest(inputs):
                    raise OtherInputsError(
                        f"state file {self.options.state} was made for another input list: "
                        f"input {index + 1} (numbered from 1) is not the one it recorded; the "
                        "inputs probably changed since. To run these afresh (each is sent "
                        "again), pass another state file or delete this one",
                        index=index,
                    )
                row.inputs = inputs  # the same input, in the one shape it is sent in
                if row.status == "timed_out":
                    state.reopen(row)
                elif row.status == "failed" and row.job_id and self._retries_left(row):
                    state.reopen(row)  # a finished batch run again with more retries allowed
                elif row.status == "ambiguous" and self.options.resend_ambiguous:
                    self._note_duplicates(row)
                    state.resend(row)
                self.resumed += row.status in FINAL_ITEM_STATUSES
            elif problem is not None:
                row = state.add(index, inputs, "invalid", problem)
            else:
                row = state.add(index, inputs, "pending", None)
            if self._expired() and row.status in UNFINISHED:
                state.finished(row, "timed_out", None, self._late())
            if row.status in ("pending",):
                await sends.put(row)
            elif row.status in ("submitted", "retrying"):
                self._track(row)
            else:
                await self._emit(row)
            while len(self.outstanding) >= self.options.max_outstanding:
                self._room.clear()
                await self._room.wait()
            if index % 256 == 255:
                state.commit()
                await asyncio.sleep(0)
        if count < stored:
            raise OtherInputsError(
                f"state file {self.options.state} holds {stored} inputs but this input list has "
                f"{count}: it was made for another input list. To run these afresh (each is "
                "sent again), pass another state file or delete this one",
                stored=stored,
                given=count,
            )
        state.commit(force=True)

    def _overloaded(self, status: int) -> None:
        """A 503 halves the requests in flight; a 429 is the rate budget's to pace away, and
        no silence: a pause of Retry-After's length, counted as one, warned of a silent server
        after 5 s and could stop the run after 60 (Writer's limit is per minute)."""
        if status == 503:
            self.limit.congested()
        elif status == 429:
            self._heard()

    def _retries_left(self, row: Row) -> bool:
        return row.retries < self.options.retry_failed

    def _note_duplicates(self, row: Row) -> None:
        """Candidates of a re-sent ambiguous item that no item holds: jobs it may duplicate."""
        fresh = {c for c in row.candidates if not self._state.knows(c)}
        self.possible_duplicates = sorted(fresh.union(self.possible_duplicates))

    # submitting ----------------------------------------------------------------------------

    async def _submitter(self, sends: asyncio.Queue[Row | None]) -> None:
        while (row := await sends.get()) is not None:
            await self._submit(row)

    async def _submit(self, row: Row) -> None:
        for attempt in itertools.count():
            await self._creates_open.wait()
            if self._expired():
                self._state.finished(row, "timed_out", None, self._late())
                await self._emit(row)
                return
            failure: JobwiseError | None = None
            # The create slot first: queued for it while holding a place among the requests in
            # flight, the creates left none to the retrieves, and results stopped coming in.
            async with self._create_slot(), self.limit:
                # The last lost create's window closes first. No pause from the last check
                # to the send: a create lost meanwhile may have closed creates or moved it.
                while (gap := self._next_create - self.jobs.wall()) > 0 and not self._expired():
                    await self.jobs.sleep(min(gap, self._left()))
                if not self._creates_open.is_set():
                    continue  # a lost create is being settled meanwhile: wait for it
                # Waited for its turn past the deadline: not sent. (Every submitter waits its
                # turn: against a dead server, 16 sent after a 5 s deadline, each riding out
                # its retries, took 61 s.)
                if self._expired():
                    continue
                self._creating += 1
                sent = self.jobs.wall()  # the window opens when the request may leave
                dated = None if self._offset_known else self.jobs.server_clock_offset
                if dated is not None:  # a killed run's resume settles it in these
                    self._save_bounds((*dated, COARSE_MARGIN))
                self._state.sending(row, sent)
                exposure = Exposure()
                watching = EXPOSURE.set(exposure)
                try:
                    created = await self.jobs.create(
                        self.application_id, row.inputs, idempotency_key=row.key
                    )
                except (
                    AuthenticationError,
                    PermissionDeniedError,
                    ClientClosedError,
                    NotFoundError,
                ) as exc:
                    # Refused (or never sent), so not stored. Left "sending", the next run
                    # settled it from the listing and adopted an earlier batch's job. Each
                    # create would be refused alike: a 404 names no such application (or
                    # base URL), and each input ended "failed" for it, the batch exiting as
                    # if jobs had.
                    self._state.refused(row)
                    self._stop(exc)
                    return
                except JobwiseError as exc:
                    failure = exc
                except asyncio.CancelledError:
                    # The run stopped (a silent server, Ctrl-C). A create that only ever
                    # failed to connect made nothing: left "sending", the next run settled
                    # it in a window that held another batch's jobs.
                    if exposure.never_sent:
                        self._state.refused(row)
                    raise
                finally:
                    EXPOSURE.reset(watching)
                    self._creating -= 1
                    self._answered.set()
            if failure is None:
                answered = self.jobs.wall()
                if not self.jobs.keys_trusted:
                    network = answered - sent - exposure.paced
                    self.create_slots.answered(exposure.paced, network)
                self._created(row, sent, answered, created)
                return
            if not await self._create_failed(row, failure, attempt):
                return

    async def _create_failed(self, row: Row, exc: JobwiseError, attempt: int) -> bool:
        """Record a create that failed; returns whether to send it again."""
        self._last_error = str(exc)
        if _refused(exc) or (_maybe_stored(exc) and self.jobs.keys_trusted):
            # Not stored, or stored under a key the server honours: send it again. The
            # transport below has already retried; this second, slower layer rides out an
            # outage longer than one call's retry deadline.
            self._state.refused(row)
            self.limit.congested()
            await self.jobs.sleep(max(0.0, min(30.0, 0.5 * 2**attempt, self._left())))
            return True
        if _maybe_stored(exc):
            now = self.jobs.wall()
            self._state.unknown(row, now, str(exc))
            self._unknown.append(row)
            self.create_slots.lost()
            if self._offset_known and not self._creating:
                # None other in flight: the next leaves once its own window would open after
                # this one's end, so no later job can fall inside this window.
                self._next_create = self._window(row)[1] - self._offset_low + self._margin
            else:
                # No bound on the server's clock yet, or creates in flight beside it (their
                # jobs are in its window): none leaves until this one is settled, and it is
                # settled once those have answered, with any of them lost too.
                self._creates_open.clear()
            self._lost.set()
            return False
        self._state.finished(row, "failed", None, str(exc))
        await self._emit(row)
        return False

    def _created(self, row: Row, sent: float, answered: float, created: JobCreated) -> None:
        self._heard()
        holder = self._state.holder(created.id)
        if holder is not None and holder.index != row.index:
            self._id_reused(row, holder, created.id)
            return
        if self.jobs.keys_trusted and not self._keys_noted:
            self._state.note_keys_honoured()
            self._keys_noted = True
        self.limit.succeeded()
        self._learn_offset(sent, answered, created.created_at)
        if self._first_created is None:
            self._first_created = created.created_at
        self._state.submitted(row, created.id, created.created_at.isoformat())
        self._track(row, created.created_at)

    def _id_reused(self, row: Row, holder: Row, job_id: str) -> None:
        """The server named for ``row``'s job an id ``holder`` already holds: neither may take
        the other's result (a restarted server handed out 48 ids again, and 48 items got
        another input's result). Both end ambiguous and the batch stops, naming both."""
        message = (
            f"the server answered input {row.index + 1}'s create with job {job_id}, which input "
            f"{holder.index + 1} (numbered from 1) already holds: it hands out ids again"
        )
        self._state.ambiguous(row, [job_id], killed=False)
        self._state.finished(row, "ambiguous", None, message)
        track = self.outstanding.pop(job_id, None)
        if track is not None:
            self._state.finished(track.row, "ambiguous", None, message)
            self._room.set()
            self.progress.in_flight = len(self.outstanding)
        self._state.commit(force=True)
        self._stop(JobIdReusedError(f"{message}; the batch stopped: check the server"))

    def _create_slot(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """Where a create may go: alongside others once keys are trusted, else in a slot."""
        return contextlib.nullcontext() if self.jobs.keys_trusted else self.create_slots

    def _learn_offset(self, sent: float, answered: float, created: datetime) -> None:
        """Narrow the bounds of the server's clock offset: sent <= created - offset <= answered."""
        self._relearn_after_step()
        stamp = created.timestamp()
        if created.microsecond == 0:  # a whole second: maybe a coarse clock
            self._margin = COARSE_MARGIN
        low, high = stamp - answered, stamp - sent
        if not self._offset_known:
            self._offset_low, self._offset_high, self._offset_known = low, high, True
        else:
            self._offset_low = max(self._offset_low, low)
            self._offset_high = min(self._offset_high, high)
            if self._offset_low > self._offset_high:  # timestamps of coarse resolution
                self._offset_low, self._offset_high = low, high
        self._save_bounds((self._offset_low, self._offset_high, self._margin))

    def _save_bounds(self, bounds: tuple[float, float, float]) -> None:
        if bounds != self._saved_bounds:  # they settle after a few answers: no write per create
            self._state.save_clock_bounds(bounds)
            self._saved_bounds = bounds

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
            self._forget_clock()
            self._save_bounds((self._offset_low, self._offset_high, COARSE_MARGIN))

    def _clock_bounds(self) -> tuple[float, float, float]:
        """(lowest, highest) offset of the server's clock from the client's steady wall clock,
        and the margin of its timestamps: from answered creates, else from the answers' Date
        headers."""
        self._relearn_after_step()
        if self._offset_known:
            return self._offset_low, self._offset_high, self._margin
        dated = self.jobs.server_clock_offset
        if dated is not None:  # the Date's clock may not be created_at's: a coarse margin
            return dated[0], dated[1], COARSE_MARGIN
        return -UNKNOWN_CLOCK_SKEW, UNKNOWN_CLOCK_SKEW, COARSE_MARGIN

    def _track(self, row: Row, created: datetime | None = None) -> None:
        assert row.job_id is not None
        if created is None and row.created_at:
            created = parse_time(row.created_at)
        since = self.jobs.clock()
        self.outstanding[row.job_id] = _Track(row, created, since, retried=row.retries > 0)
        self.progress.in_flight = len(self.outstanding)
        self._report()

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

    # reconciling lost creates --------------------------------------------------------------

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
        """Settle a killed run's lost creates with the clock bounds that run learned."""
        bounds = self._state.clock_bounds()
        if bounds is not None:
            self._offset_low, self._offset_high, self._margin = bounds
            self._offset_known = True
        await self._reconcile(rows, killed=True)
        self._forget_clock()

    def _forget_clock(self) -> None:
        """Know nothing of the server's clock (a new run learns its own bounds)."""
        self._offset_low, self._offset_high = -UNKNOWN_CLOCK_SKEW, UNKNOWN_CLOCK_SKEW
        self._offset_known, self._margin = False, FINE_MARGIN

    async def _reconcile(self, rows: list[Row], *, killed: bool) -> list[Row]:
        """Settle lost creates against the server's listing; returns the rows to send again.

        A killed run's rows are settled before anything new is sent and go back to the reader
        (which checks their inputs) rather than being sent from here."""
        # A killed run's times are on its own wall clock: the pause is capped at ``settle``.
        settle = self.options.settle
        wait = max(r.answered_at or r.sent_at or 0.0 for r in rows) + settle
        await self.jobs.sleep(max(0.0, min(wait - self.jobs.wall(), settle, self._left())))
        while not self._expired():
            try:
                # The windows open once the listing's first answer has dated the server's
                # clock: a first create lost before any answer had no bound but +-120 s.
                found = await self._jobs_in(lambda: min(self._window(r)[0] for r in rows))
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
        candidates = {
            r.index: [j for j in found if windows[r.index][0] <= j[1] <= windows[r.index][1]]
            for r in rows
        }
        owners: dict[str, int] = {}
        for jobs in candidates.values():
            for job_id, _ in jobs:
                owners[job_id] = owners.get(job_id, 0) + 1
        opens = min(low for low, _ in windows.values())
        closes = max(high for _, high in windows.values())
        if any(opens <= stamp <= closes and job_id not in owners for job_id, stamp in found):
            # A job between the lost creates' windows, where only creates that answered (their
            # ids excluded) were sent: another client's.
            self._foreign = True
        resend: list[Row] = []
        for row in rows:
            mine = candidates[row.index]
            if not mine:
                self._state.refused(row)  # the server shows no job for it: send it again
                resend.append(row)
            elif (
                self.options.adopt
                and not self._foreign
                and len(mine) == 1
                and owners[mine[0][0]] == 1
            ):
                job_id, stamp = mine[0]
                created = datetime.fromtimestamp(stamp, UTC)
                self._state.submitted(row, job_id, created.isoformat())
                if not killed:
                    self._track(row, created)
            else:
                self._state.ambiguous(row, [job_id for job_id, _ in mine], killed)
                if not killed:
                    await self._emit(row)
        self._state.commit(force=True)
        return [] if killed else resend

    def _window(self, row: Row) -> tuple[float, float]:
        """When, on the server's clock, the row's lost create may have made its job."""
        assert row.sent_at is not None
        last = row.answered_at if row.answered_at is not None else row.sent_at + UNANSWERED_WINDOW
        low, high, margin = self._clock_bounds()
        return (row.sent_at + low - margin, last + high + margin)

    async def _jobs_in(self, opens: Callable[[], float]) -> list[tuple[str, float]]:
        """(id, created) of the application's jobs created since ``opens()`` (read after the
        first page) that no item holds. Pages are read newest first until one is wholly older;
        if the server's order turns out not to be newest first, the whole listing is read."""
        found: list[tuple[str, float]] = []
        newest_first, oldest_seen = True, float("inf")
        since: float | None = None
        async for page in self.jobs.list(self.application_id, page_size=SWEEP_PAGE_SIZE).pages():
            self._heard()
            if since is None:
                since = opens()
            stamps = [job.created_at.timestamp() for job in page]
            found += [
                (job.id, stamp)
                for job, stamp in zip(page, stamps, strict=True)
                if stamp >= since and not self._state.knows(job.id)
            ]
            newest_first = newest_first and max(stamps) <= oldest_seen + COARSE_MARGIN
            oldest_seen = min(oldest_seen, *stamps)
            if newest_first and max(stamps) < since:
                break
        return found

    # waiting -------------------------------------------------------------------------------

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
                await self._retrieve_each(due)
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

    def _stragglers(self) -> list[_Track]:
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

    async def _sweep(self, fresh: list[_Track]) -> None:
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

    async def _retrieve_each(self, tracks: list[_Track]) -> None:
        async def one(track: _Track) -> None:
            assert track.row.job_id is not None
            try:
                async with self.limit:
                    job = await self.jobs.retrieve(track.row.job_id)
            except (AuthenticationError, PermissionDeniedError):
                raise
            except NotFoundError as exc:
                self._state.finished(track.row, "failed", None, f"the job vanished: {exc}")
                await self._drop(track)
                return
            except InvalidResponseError as exc:
                self._last_error = str(exc)
                track.bad_answers += 1
                if track.bad_answers >= MAX_BAD_ANSWERS:
                    reason = f"the server's answers for this job could not be read: {exc}"
                    self._state.finished(track.row, "failed", None, reason)
                    await self._drop(track)
                return
            except APIError as exc:
                self._last_error = str(exc)
                return
            self._heard()
            if status_text(job) in FINAL_STATUSES or track.row.status == "retrying":
                await self._finish(track, job)

        for start in range(0, len(tracks), self.concurrency * 4):
            await asyncio.gather(*(one(t) for t in tracks[start : start + self.concurrency * 4]))

    async def _finish(self, track: _Track, job: Job) -> None:
        row = track.row
        status = status_text(job)
        made = track.created_at
        if made is not None and abs((job.created_at - made).total_seconds()) > COARSE_MARGIN:
            # Not the job its create made: a restarted server handed its id to another job
            # (another client's, unseen here), whose result is not this input's.
            self._state.finished(
                row,
                "ambiguous",
                None,
                f"the server's job {job.id} was created at {job.created_at.isoformat()}, not "
                f"at {made.isoformat()} as this input's was: it hands out ids again",
            )
            await self._drop(track)
            return
        if row.status == "retrying":  # a retry intended (maybe before a crash), not confirmed
            if status == "failed":
                await self._send_retry(track)
                return
            if status not in FINAL_STATUSES:
                return
        if status == "failed" and self._retries_left(row):
            self._state.retrying(row)
            self.progress.retries += 1
            await self._send_retry(track)
            return
        if status == "completed":
            suggestion = job.data.suggestion if isinstance(job.data, JobResult) else None
            self._state.finished(row, "completed", suggestion, None)
        else:
            error = job.error if isinstance(job.error, str) else "failed"
            self._state.finished(row, "failed", None, error)
        self.schedule.finished(self.jobs.clock() - track.since)
        await self._drop(track)

    async def _send_retry(self, track: _Track) -> None:
        row = track.row
        assert row.job_id is not None and row.retry_key is not None
        track.retried, track.misses = True, 0
        track.since = self.jobs.clock()
        try:
            async with self.limit:
                created = await self.jobs.retry(row.job_id, idempotency_key=row.retry_key)
        except (AuthenticationError, PermissionDeniedError):
            raise
        except (APIConnectionError, InvalidResponseError) as exc:
            self._last_error = str(exc)
            return  # unknown: the next retrieve tells, and the retry is sent again if needed
        except APIStatusError as exc:
            if exc.status_code >= 500 or exc.status_code in REFUSED:
                self._last_error = str(exc)
                return
            # Any other refusal (409, 400, 422: no source says what Writer answers for a job
            # that has not failed) may mean it runs again: keep waiting, the next retrieve tells
            # (a job still failed is retried again while retries are left, then fails).
            self._state.retried(row, row.job_id)
            return
        self._heard()
        if created.id != row.job_id:  # the server made a new job: follow it
            del self.outstanding[row.job_id]
            self.outstanding[created.id] = track
        self._state.retried(row, created.id)

    async def _time_out_outstanding(self) -> None:
        for track in list(self.outstanding.values()):
            self._state.finished(track.row, "timed_out", None, self._late())
            await self._drop(track)
        for row in self._unknown:
            self._state.finished(row, "timed_out", None, self._late())
            await self._emit(row)
        self._unknown = []
        self._reopen_creates()

    def _reopen_creates(self) -> None:
        if not self._landing:
            self._creates_open.set()

    async def _drop(self, track: _Track) -> None:
        assert track.row.job_id is not None
        self.outstanding.pop(track.row.job_id, None)
        self._room.set()
        self.progress.in_flight = len(self.outstanding)
        self._state.commit()
        await self._emit(track.row)

    # never stuck ---------------------------------------------------------------------------

    def _expired(self) -> bool:
        return self._left() <= 0

    def _left(self) -> float:
        """Seconds to the batch's deadline (inf without one)."""
        deadline = self.options.deadline
        if deadline is None:
            return math.inf
        return self._started + deadline - self.jobs.clock()

    def _heard(self) -> None:
        self._last_answer = self.jobs.clock()
        self._heard_once = True
        self._answered_upto = self.jobs.requests_sent

    def _silence(self) -> float:
        """Seconds the server has left a request without a usable answer. Looks at old jobs
        come ever further apart (at 7.5 % of their age) and nothing is asked in between: that
        quiet is no silence (counted as one, a job 13 minutes old stopped the run)."""
        now = self.jobs.clock()
        if self.jobs.requests_sent <= self._answered_upto:
            self._asking_since = None
            return 0.0
        if self._asking_since is None or self._asking_since < self._last_answer:
            # A request since the last answer, seen within a tick. Kept past later answers
            # (while requests were always in flight at the watchdog's ticks), it made a busy
            # run's silence grow by a second a tick: warned of after 5 s, stopped after 60.
            self._asking_since = max(self._last_answer, now - WATCH_TICK)
        return now - self._asking_since

    def _late(self) -> str:
        """Why an item timed out: the deadline, and the server's silence when it was silent."""
        silent = self._silence()
        # A server that never answered this run is named however short the deadline.
        if silent < SILENT and (self._heard_once or self._last_error == NO_ANSWER):
            return "the batch's deadline passed first"
        return (
            f"the batch's deadline passed first, with no usable answer from {self.jobs.base_url} "
            f"for {silent:.0f} s (last: {self._last_error})"
        )

    async def _watchdog(self) -> None:
        """Stop the run when the state file goes away, or the server gives no usable answer
        (warned of once it has been silent for :data:`SILENT`)."""
        warned = False
        while True:
            await asyncio.sleep(WATCH_TICK)  # real time, a safety net whatever the client sleeps
            self._state.check_intact()
            silent = self._silence()
            if silent < SILENT:
                warned = False
            elif not warned:  # else the first word of a dead server came after a minute
                warned = True
                last = "" if self._last_error == NO_ANSWER else f" (last: {self._last_error})"
                log.warning(
                    "jobwise: no usable answer from %s for %.0f s%s; still trying (the "
                    "jobwise logger at INFO, -v on the command line, shows each retry), the "
                    "batch stops after %.0f s without one",
                    self.jobs.base_url,
                    silent,
                    last,
                    self.options.stall_timeout,
                )
            if silent > self.options.stall_timeout:
                raise ServerUnavailableError(
                    f"no usable answer from {self.jobs.base_url} for {silent:.0f} s "
                    f"(last: {self._last_error}); the batch stopped and its state file keeps "
                    "everything: run it again to resume"
                )

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

    def summary(self) -> dict[str, Any]:
        """Counts by status (this state file, all runs; they add up to ``total``), retries,
        requests, elapsed, and the jobs re-sent ambiguous items may duplicate."""
        # A copy first: the sync run's caller reads this from another thread.
        counts = {status: n for status, n in dict(self.progress.counts).items() if n}
        return {
            "counts": counts,
            "total": sum(counts.values()),
            "from_earlier_runs": self.resumed,
            "needs_decision": counts.get("ambiguous", 0) + counts.get("timed_out", 0),
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
