"""Creates: each input's POST, sent once, through the create slots; a lost answer's item
set aside for settlement; and the gate that stops creates when the run stops."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

from jobwise.attempts import EXPOSURE, Exposure
from jobwise.batch.core import Sends
from jobwise.batch.health import Health
from jobwise.batch.items import ItemStatus
from jobwise.batch.schema import Row
from jobwise.batch.window import ServerWindow
from jobwise.errors import (
    APIConnectionError,
    AuthenticationError,
    ClientClosedError,
    JobIdReusedError,
    JobwiseError,
    NotFoundError,
    PermissionDeniedError,
)
from jobwise.lost_posts import COARSE_MARGIN, may_be_stored, not_stored
from jobwise.models import JobCreated


class Creating(Health, ServerWindow):
    """Sends each input's create, records its answer, and closes the gate when the run stops."""

    async def _submitter(self, sends: Sends) -> None:
        while (row := await sends.get()) is not None:
            await self._submit(row)

    async def _submit(self, row: Row) -> None:
        for attempt in itertools.count():
            await self._creates_open.wait()
            if self._expired():
                self._state.finished(row, ItemStatus.TIMED_OUT, None, self._late())
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
                if dated is not None:  # a killed run's resume settles it in these (committed with
                    # the send, below)
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
                    self.create_slots.answered(exposure.paced, network, self.jobs.rate_limit)
                self._created(row, sent, answered, created)
                return
            if not await self._create_failed(row, failure, attempt):
                return

    async def _create_failed(self, row: Row, exc: JobwiseError, attempt: int) -> bool:
        """Record a create that failed; returns whether to send it again."""
        self._last_error = str(exc)
        if not (isinstance(exc, APIConnectionError) and not exc.may_have_arrived):
            self._only_refused = False
        if not_stored(exc) or (may_be_stored(exc) and self.jobs.keys_trusted):
            # Not stored, or stored under a key the server honours: send it again. The
            # transport below has already retried; this second, slower layer rides out an
            # outage longer than one call's retry deadline.
            self._state.refused(row)
            self.limit.congested()
            await self.jobs.sleep(max(0.0, min(30.0, 0.5 * 2**attempt, self._left())))
            return True
        if may_be_stored(exc):
            now = self.jobs.wall()
            self._state.unknown(row, now, str(exc))
            window = self._lost_window(row)
            self._unknown.append(row)
            self.create_slots.lost()
            if self._offset_known and not self._creating:
                # None other in flight: the next leaves once its own job's timestamp would come
                # after this one's end, so no later job can fall inside this window. A margin
                # more than the timestamps' own: the offset drifts with the server's clock rate
                # after it is learned (seed 14353: a clock 0.1 % slow and truncated to whole
                # seconds stamped the next create's job at the window's very end, another lost
                # create adopted it and its own was sent again).
                self._next_create = window[1] - self._offset_low + 2 * self._margin
            else:
                # No bound on the server's clock yet, or creates in flight beside it (their
                # jobs are in its window): none leaves until this one is settled, and it is
                # settled once those have answered, with any of them lost too.
                self._creates_open.clear()
            self._lost.set()
            return False
        self._state.finished(row, ItemStatus.FAILED, None, str(exc))
        await self._emit(row)
        return False

    def _created(self, row: Row, sent: float, answered: float, created: JobCreated) -> None:
        self._heard()
        holder = self._state.created(row, created.id, created.created_at.isoformat())
        if holder is not None:
            self._id_reused(row, holder, created.id)
            return
        if self.jobs.keys_trusted and not self._keys_noted:
            self._state.note_keys_honoured()
            self._keys_noted = True
        self.limit.succeeded()
        self._learn_offset(sent, answered, created.created_at)
        if self._first_created is None:
            self._first_created = created.created_at
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
        self._state.finished(row, ItemStatus.AMBIGUOUS, None, message)
        track = self.outstanding.pop(job_id, None)
        if track is not None:
            self._state.finished(track.row, ItemStatus.AMBIGUOUS, None, message)
            self._room.set()
            self.progress.in_flight = len(self.outstanding)
        self._state.commit(force=True)
        self._stop(JobIdReusedError(f"{message}; the batch stopped: check the server"))

    def _create_slot(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """Where a create may go: alongside others once keys are trusted, else in a slot."""
        return contextlib.nullcontext() if self.jobs.keys_trusted else self.create_slots
