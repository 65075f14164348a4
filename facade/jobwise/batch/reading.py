"""Reading the caller's inputs: numbered, copied and checked as read, in a worker thread, each
matched against the state file's record of it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jobwise.batch.core import Sends
from jobwise.batch.health import Health
from jobwise.batch.items import FINAL_ITEM_STATUSES, UNFINISHED, ItemStatus
from jobwise.batch.schema import OtherInputsError, Row, digest
from jobwise.errors import (
    InvalidArgumentError,
)
from jobwise.validation import InputSet, normalize_inputs


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


def _normalized(raw: object, index: int) -> tuple[InputSet, str | None]:
    try:
        return normalize_inputs(raw, f"inputs[{index}]"), None
    except InvalidArgumentError as exc:
        return InputSet({"(invalid input)": [repr(raw)[:500]]}), str(exc)


class Reading(Health):
    """Reads the inputs, records each one, and hands the ones to send to the submitters."""

    async def _read(self, sends: Sends) -> None:
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
                if row.status == ItemStatus.TIMED_OUT:
                    state.reopen(row)
                elif row.status == ItemStatus.FAILED and row.job_id and self._retries_left(row):
                    state.reopen(row)  # a finished batch run again with more retries allowed
                elif row.status == ItemStatus.AMBIGUOUS and self.options.resend_ambiguous:
                    self._note_duplicates(row)
                    state.resend(row)
                self.resumed += row.status in FINAL_ITEM_STATUSES
            elif problem is not None:
                row = state.add(index, inputs, ItemStatus.INVALID, problem)
            else:
                row = state.add(index, inputs, ItemStatus.PENDING, None)
            # Past the deadline, what is not yet sent, waited for, or (a killed run's, left
            # unsettled when its listing failed past the deadline) lost times out.
            if self._expired() and row.status in UNFINISHED:
                state.finished(row, ItemStatus.TIMED_OUT, None, self._late())
            if row.status in (ItemStatus.PENDING,):
                await sends.put(row)
            elif row.status in (ItemStatus.SUBMITTED, ItemStatus.RETRYING):
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

    def _note_duplicates(self, row: Row) -> None:
        """Candidates of a re-sent ambiguous item that no item holds: jobs it may duplicate."""
        fresh = {c for c in row.candidates if not self._state.knows(c)}
        self.possible_duplicates = sorted(fresh.union(self.possible_duplicates))
