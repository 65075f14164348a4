"""A batch's state in SQLite (WAL): what was sent when under which key, which job, what came back.

Every send is recorded and committed before it leaves, and every answer before the next step,
so a crash at any instant leaves each item in one of these states, and a re-run knows what to
do with it:

* ``pending``    recorded, not sent (or certainly not stored): send it
* ``sending``    a create left at ``sent_at``; its outcome is unknown: reconcile
* ``unknown``    a create's answer was lost (timeout, reset, 500/502/504): reconcile
* ``submitted``  job id known: wait for it
* ``retrying``   a retry of a failed job is intended (its key recorded first): send or confirm it
* ``completed`` / ``failed`` final, result kept: never sent again
* ``invalid``    refused before sending (bad input): never sent
* ``ambiguous``  a lost create could be one of several jobs (``candidates``): needs a decision
* ``timed_out``  the batch's deadline passed first: a later run resumes it

Commits use WAL with ``synchronous=NORMAL``: durable against a killed process (the OS keeps
the data), not against a power cut. Until the WAL is folded into the file (a checkpoint, every
:data:`CHECKPOINT_SECONDS` and at the end of a run), a running or killed state file is three:
the file, its ``-wal`` and its ``-shm``; copied without its ``-wal``, it forgets recent sends.

At each checkpoint and at close the run records its progress (requests sent, the rate limit in
force, elapsed time, the last error) in ``meta``; ``jobwise status`` reads it with the counts by
status, from another process, read-only (:mod:`jobwise.cli.status`).

A write that fails (a full disk) stops the run: the open transaction is rolled back and nothing
more is written, so the file holds what it held at its last commit, as a kill would leave it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from jobwise.batch.items import ItemStatus
from jobwise.batch.schema import COLUMNS, Row, digest, row_of
from jobwise.batch.state_file import StateFile
from jobwise.validation import InputSet

_SUBMIT = "UPDATE items SET status=?, job_id=?, created_at=?, error=NULL, candidates=NULL"
_ANOTHER = "WHERE job_id = ? AND idx <> ? LIMIT 1"
"""The item holding a job id (the first argument) besides input the second."""
_HOLDS_IF = (
    "INSERT INTO items (idx, digest, inputs, key, status, job_id, created_at) "
    "SELECT ?, '', '{{}}', '', 'submitted', ?, ? WHERE {} ON CONFLICT (idx) "
    "DO UPDATE SET job_id=excluded.job_id, created_at=excluded.created_at"
)
"""Without a file: input the first argument holds job id the second, made at the third. The
job ids are all that is read back there (:meth:`BatchState._write`), so :meth:`BatchState.add`
writes no row, and an input's row is made with its first job id: an insert of the input's JSON
and key for each was 24 of 1,177 samples of scripts/profile_batch.py (10,000 jobs)."""
_HOLDS = _HOLDS_IF.format("1")
_HOLDS_ALONE = _HOLDS_IF.format(f"NOT EXISTS (SELECT 1 FROM items {_ANOTHER})")
""":data:`_HOLDS` unless another input holds the job id (the id and the index again)."""


class BatchState(StateFile):
    """One batch's items in its state file: each change of an item's status, recorded (and
    committed where the change must be durable before the next step)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        found = self.db.execute("SELECT candidates FROM items WHERE candidates IS NOT NULL")
        self._candidates: Counter[str] = Counter(c for (text,) in found for c in json.loads(text))
        """The jobs ambiguous items could be, each with how many items name it (few: kept
        in memory, where a look in the JSON of every row cost a scan a listed job)."""

    def _drop_candidates(self, row: Row) -> None:
        if row.candidates:  # most never had any: no counter rebuilt a create
            self._candidates -= Counter(row.candidates)

    def _write(
        self, row: Row, status: ItemStatus, sets: str = "", args: tuple[Any, ...] = ()
    ) -> None:
        """Record ``row``'s new status (and ``sets``): in the file, or only in the row without
        one. The private database is read back for the items' job ids alone (:meth:`knows`,
        :meth:`created`; no later run reads it), which these changes leave alone; its other
        columns keep what :meth:`add` and the job ids' writes put there. Written anyway, a
        create's ``sending`` and its outcome cost 12 us of a job's CPU (43 of 1,297 samples of
        scripts/profile_batch.py, 10,000 jobs on loopback)."""
        if self.path:
            self._run(
                f"UPDATE items SET status=?{', ' + sets if sets else ''} WHERE idx=?",
                (status, *args, row.index),
            )
        self._changed(row, status)

    def _changed(self, row: Row, status: ItemStatus) -> None:
        """``row``'s status is now ``status`` (written)."""
        self.counts[row.status] -= 1
        self.counts[status] = self.counts.get(status, 0) + 1
        row.status = status
        self._dirty += 1

    def get(self, index: int) -> Row | None:
        """The record of input ``index``, if any (without a file: as :meth:`_write` keeps
        it)."""
        found = self.db.execute(f"SELECT {COLUMNS} FROM items WHERE idx = ?", (index,)).fetchone()
        return None if found is None else row_of(found)

    def knows(self, job_id: str) -> bool:
        """Whether any item of this batch holds ``job_id`` or has it as a candidate. (Not
        counting candidates, a lost create's listing could take an ambiguous item's job for its
        own, and the sweeps took it for another client's and stopped adoption: seed 42 of the
        simulator.)"""
        if job_id in self._candidates:
            return True
        found = self.db.execute("SELECT 1 FROM items WHERE job_id = ? LIMIT 1", (job_id,))
        return found.fetchone() is not None

    def holding(self, job_id: str) -> tuple[bool, str | None]:
        """Whether an item holds the job ``job_id``, and the ``created_at`` recorded for it (None
        when none was): :meth:`knows` and :meth:`held_created` in one look."""
        found = self.db.execute("SELECT created_at FROM items WHERE job_id = ? LIMIT 1", (job_id,))
        held = found.fetchone()
        return (False, None) if held is None else (True, held[0])

    def held_created(self, job_id: str) -> str | None:
        """The ``created_at`` recorded for the job ``job_id`` an item holds; None when no item
        holds it (or none was recorded)."""
        return self.holding(job_id)[1]

    def add(self, index: int, inputs: InputSet, status: ItemStatus, error: str | None) -> Row:
        """Record a new input (``pending``, or ``invalid``), before any send. Its key derives
        from the batch, the index and the input's digest: a changed input never reuses one."""
        text = json.dumps(inputs)
        hashed = digest(inputs, text)
        key = f"jobwise-{self.batch_id}-{index}-{hashed[:16]}"
        row = Row(index, inputs, key, status, error=error, digest=hashed)
        if self.path:  # without a file the row is made with its job id (_HOLDS)
            self._run(
                "INSERT INTO items (idx, digest, inputs, key, status, error) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (index, hashed, text, key, status, error),
            )
        self.counts[status] = self.counts.get(status, 0) + 1
        self._dirty += 1
        return row

    def sending(self, row: Row, now: float) -> None:
        """A create is about to leave: durable before it does."""
        row.sent_at, row.answered_at = now, None
        self._write(row, ItemStatus.SENDING, "sent_at=?, answered_at=NULL", (now,))
        self.commit(force=True)

    def refused(self, row: Row) -> None:
        """The create certainly was not stored (never sent, or refused): send it again later."""
        row.sent_at = None
        self._write(row, ItemStatus.PENDING, "sent_at=NULL")

    def unknown(self, row: Row, now: float, error: str) -> None:
        """The create's answer was lost: it may or may not have made a job."""
        row.answered_at, row.error = now, error
        self._write(row, ItemStatus.UNKNOWN, "answered_at=?, error=?", (now, error))
        self.commit(force=True)

    def submitted(self, row: Row, job_id: str, created_at: str) -> None:
        """The job id is known (answered, or adopted). Made durable with the next create's
        ``sending`` (one commit per create, not two); a kill before then leaves the item
        ``sending``, which the next run settles as any killed create (replayed by its key, or
        found in the listing), so nothing is lost or sent twice."""
        if self.path:
            self._run(
                f"{_SUBMIT} WHERE idx=?", (ItemStatus.SUBMITTED, job_id, created_at, row.index)
            )
        else:
            self._run(_HOLDS, (row.index, job_id, created_at))
        self._holds(row, job_id, created_at)

    def created(self, row: Row, job_id: str, created_at: str) -> Row | None:
        """A create's answer, recorded as :meth:`submitted` records it, unless another item
        already holds ``job_id`` (a server that hands out ids again): then nothing is written
        and that item is returned. The look for another holder is part of the write: a look
        of its own before it cost 9.6 us a create, the write 11.3 (10,000 jobs on loopback),
        each reading the same index of job ids. (Without a file the item returned has its index,
        job id and time alone: no more is written there.)"""
        if self.path:
            written = self._run(
                f"{_SUBMIT} WHERE idx=? AND NOT EXISTS (SELECT 1 FROM items {_ANOTHER})",
                (ItemStatus.SUBMITTED, job_id, created_at, row.index, job_id, row.index),
            )
        else:
            written = self._run(_HOLDS_ALONE, (row.index, job_id, created_at, job_id, row.index))
        if written.rowcount:
            self._holds(row, job_id, created_at)
            return None
        found = self.db.execute(f"SELECT {COLUMNS} FROM items {_ANOTHER}", (job_id, row.index))
        return row_of(found.fetchone())

    def _holds(self, row: Row, job_id: str, created_at: str) -> None:
        """``row`` holds ``job_id`` now (written)."""
        self._drop_candidates(row)
        row.job_id, row.created_at, row.error, row.candidates = job_id, created_at, None, []
        self._changed(row, ItemStatus.SUBMITTED)

    def ambiguous(self, row: Row, candidates: list[str], killed: bool) -> None:
        """A lost create that could be any of ``candidates``: a person decides."""
        self._drop_candidates(row)
        row.candidates = candidates
        self._candidates.update(candidates)
        lost = "was in flight when an earlier run stopped" if killed else "answer was lost"
        row.error = (
            f"the create {lost}, and the server shows "
            f"{len(candidates)} job(s) that could be it: {', '.join(candidates)}"
        )
        self._write(
            row, ItemStatus.AMBIGUOUS, "candidates=?, error=?", (json.dumps(candidates), row.error)
        )
        self.commit(force=True)

    def finished(
        self, row: Row, status: ItemStatus, suggestion: str | None, error: str | None
    ) -> None:
        """A final state and result (or ``timed_out``, with the job id kept)."""
        row.suggestion, row.error = suggestion, error
        self._write(row, status, "suggestion=?, error=?", (suggestion, error))

    def retrying(self, row: Row) -> str:
        """Record the intent to retry a failed job (its key first); returns the key."""
        row.retries += 1
        row.retry_key = f"jobwise-{self.batch_id}-{row.index}-retry-{row.retries}"
        self._write(
            row,
            ItemStatus.RETRYING,
            "retries=?, retry_key=?, error=NULL",
            (row.retries, row.retry_key),
        )
        self.commit(force=True)
        return row.retry_key

    def retried(self, row: Row, job_id: str) -> None:
        """The retry was accepted (its job id, in case the server made a new job)."""
        row.job_id = job_id
        if self.path:
            self._run(
                "UPDATE items SET status=?, job_id=? WHERE idx=?",
                (ItemStatus.SUBMITTED, job_id, row.index),
            )
        else:
            self._run(_HOLDS, (row.index, job_id, row.created_at))
        self._changed(row, ItemStatus.SUBMITTED)
        self.commit(force=True)

    def reopen(self, row: Row) -> None:
        """A timed-out item goes back to be waited for, reconciled or sent, as it was."""
        status = (
            ItemStatus.SUBMITTED
            if row.job_id
            else (ItemStatus.UNKNOWN if row.sent_at else ItemStatus.PENDING)
        )
        self._write(row, status, "error=NULL")

    def resend(self, row: Row) -> None:
        """An ambiguous item is sent again (the user accepts a possible duplicate)."""
        self._drop_candidates(row)
        row.sent_at, row.candidates = None, []
        self._write(row, ItemStatus.PENDING, "sent_at=NULL, candidates=NULL, error=NULL")

    def unsettled(self) -> Iterator[Row]:
        """Items whose create may or may not have made a job: a killed run's sends, lost
        answers, and such items that timed out."""
        for found in self.db.execute(
            f"SELECT {COLUMNS} FROM items WHERE status IN ('sending', 'unknown') "
            "OR (status = 'timed_out' AND job_id IS NULL AND sent_at IS NOT NULL) ORDER BY idx"
        ):
            yield row_of(found)

    def count(self) -> int:
        """How many inputs an earlier run read: one past the highest index recorded (a file
        with gaps, left by an earlier version after a failed commit, resumes too)."""
        return int(self.db.execute("SELECT coalesce(max(idx) + 1, 0) FROM items").fetchone()[0])

    def rows(self) -> Iterator[Row]:
        """Every record in input order (streamed)."""
        for found in self.db.execute(f"SELECT {COLUMNS} FROM items ORDER BY idx"):
            yield row_of(found)
