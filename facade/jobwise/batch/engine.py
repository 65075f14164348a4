"""Batch runs: many inputs in, every result back exactly once, resumable after a crash.

One engine (asyncio) serves both clients: :class:`jobwise.AsyncBatchRun` iterates it directly
and :class:`jobwise.BatchRun` runs it in a thread. How it keeps its promise on servers that
ignore Idempotency-Key (neither Writer nor osapi is known to honour it):

* every input is recorded in the state file before it is sent, every send is committed before
  it leaves, and every answer before the next step (see :mod:`jobwise.batch.state`);
* a create whose answer is lost (timeout or reset after sending, 500/502/504, a garbled 2xx) is
  never re-sent blindly: new creates pause until those in flight have answered, and after a
  settle delay the application's jobs created in the send's window are listed against every
  job id the state file knows. Exactly one unknown job: adopted (``adopt=True``; it assumes no
  other client creates jobs in the application meanwhile). None: sent again. Otherwise the item
  ends ``ambiguous`` with its candidates. Until the server shows it honours the key, creates
  go one at a time, so that two lost creates rarely share a window, and side by side only as
  far as a calm network's round trips, not the rate budget, hold them back
  (:mod:`jobwise.batch.create_slots`; sweeps and retrieves stay concurrent). A lost create puts them
  back to one at a time; those in flight beside it answer before it is settled, and a job in
  two lost creates' windows is adopted by neither. Where the server echoes the key back, it
  honours it, and a lost create is simply re-sent under the same key (the state file
  remembers this, so a killed run's creates are re-sent on resume too);
* the client's rate budget paces every request (creates before sweeps) and learns the server's
  limit from its headers and 429s; requests in flight are bounded by an adaptive limit that
  halves on 503 (overload, which no rate explains) and grows back (AIMD);
* waiting is a sweep of the list endpoint (completed and failed, newest first, stopping once
  past the oldest job due), each job due again after a share of its age
  (:mod:`jobwise.batch.schedule`), with per-job retrieves for stragglers and for retried
  jobs: about one request per job in all, create included, at any job latency. A sweep stops
  where retrieving the jobs due below it costs less than paging down to them; while inputs are
  sent under a rate limit the looks spend about a request per 100 inputs (the creates keep the
  rest), and once all are sent the in-progress listing tells which of the last jobs ended.
  Correctness never depends on the server's ordering: a job the sweeps miss is retrieved on
  its own;
* ``retry_failed=N`` retries a failed job up to N times; the intent is recorded first, so a
  retry interrupted by a crash is sent (or confirmed) on resume;
* never stuck: ``deadline`` ends unfinished items ``timed_out`` (job ids kept), and a server
  that gives no usable answer for ``stall_timeout`` seconds stops the run with one line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from jobwise.attempts import CALLS_END
from jobwise.batch.core import NO_ANSWER, Sends
from jobwise.batch.items import BatchItem, Progress
from jobwise.batch.reading import Reading
from jobwise.batch.state import BatchState
from jobwise.batch.waiting import Waiting


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real error inside a task group's (possibly nested) exception group."""
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return _first_error(error)
        if not isinstance(error, asyncio.CancelledError):
            return error
    return group.exceptions[0]


class BatchEngine(Reading, Waiting):
    """Runs one batch on an :class:`AsyncBatchClient`; ``emit`` receives each item's outcome.

    Its parts, each a file: reading the inputs, creates, settling lost creates, the server's
    window, waiting (sweeps and retrieves), outcomes, health; their state is
    :class:`EngineCore`'s."""

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
            sends = Sends(self.concurrency * 4)
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
                self.state.save_steady_anchor(self.jobs.wall() - self.jobs.clock())
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
