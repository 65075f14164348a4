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

import contextlib
import hashlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jobwise.errors import JobwiseError
from jobwise.validation import InputSet

SCHEMA_VERSION = "3"
"""3: the run's progress in ``meta`` (``progress``). A file of schema 2 is migrated when a run
opens it (its progress comes with that run's first commit); a newer one is refused."""
OLDER_SCHEMAS = frozenset({"2"})
CHECKPOINT_SECONDS = 30.0
"""How often the WAL is folded into the file while a run goes on. SQLite's own checkpoints
come every 1,000 pages (4 MB, some 10,000 changes here); a copy made without the ``-wal``
in between lacks what was written since the last one. One costs an fsync or two."""


class StateFileError(JobwiseError):
    """The state file cannot be used: corrupted, locked, replaced, or made for another batch."""


class OtherInputsError(StateFileError):
    """The state file was made for another input list: ``index`` (from 0) is the first input
    that differs, or None when only the number of inputs does (``stored`` kept, ``given``
    read)."""

    def __init__(
        self, message: str, *, index: int | None = None, stored: int = 0, given: int = 0
    ) -> None:
        super().__init__(message)
        self.index, self.stored, self.given = index, stored, given


@dataclass
class Row:
    """One input's record."""

    index: int
    inputs: InputSet
    key: str
    status: str
    job_id: str | None = None
    created_at: str | None = None
    suggestion: str | None = None
    error: str | None = None
    retries: int = 0
    retry_key: str | None = None
    digest: str = ""
    sent_at: float | None = None
    answered_at: float | None = None
    candidates: list[str] = field(default_factory=list)


def newer_schema(schema: str | None) -> bool:
    """Whether a state file's schema is one a newer jobwise wrote."""
    return schema is not None and schema.isdigit() and int(schema) > int(SCHEMA_VERSION)


def digest(inputs: dict[str, list[str]]) -> str:
    """A stable hash of one normalized input."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


# No index on status: every item changes status four times or more, and at 50,000 items the
# index's upkeep made a create's two writes cost 120 us instead of 30 (220 instead of 130 with
# a file). Only the start of a run asks by status (counts, lost creates): one scan each. Files
# made before drop theirs.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    idx INTEGER PRIMARY KEY,
    digest TEXT NOT NULL,
    inputs TEXT NOT NULL,
    key TEXT NOT NULL,
    status TEXT NOT NULL,
    job_id TEXT,
    created_at TEXT,
    suggestion TEXT,
    error TEXT,
    retries INTEGER NOT NULL DEFAULT 0,
    retry_key TEXT,
    sent_at REAL,
    answered_at REAL,
    candidates TEXT
);
DROP INDEX IF EXISTS items_status;
CREATE INDEX IF NOT EXISTS items_job ON items (job_id);
"""
# What a state file holds (items_status: files made before it was dropped).
_OURS = frozenset({"meta", "items", "items_job", "items_status", "sqlite_autoindex_meta_1"})
_COLUMNS = (
    "idx, inputs, key, status, job_id, created_at, suggestion, error, retries, retry_key, "
    "digest, sent_at, answered_at, candidates"
)


def _row(found: tuple[Any, ...]) -> Row:
    *head, candidates = found
    row = Row(head[0], InputSet(json.loads(head[1])), *head[2:])
    row.candidates = json.loads(candidates) if candidates else []
    return row


class BatchState:
    """The open state of one batch; one process at a time (an exclusive lock on the file
    itself, so a symlink or a hard link to a state file in use is refused too)."""

    def __init__(
        self,
        path: str | None,
        application_id: str,
        base_url: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock_fd: int | None = None
        self._broken: StateFileError | None = None
        self._clock = clock
        self._checkpointed = clock()
        self._progress: Callable[[], Mapping[str, object]] | None = None
        self._progress_due = False
        # No resume wanted: SQLite's private temporary database (an empty name), unlinked by
        # SQLite as soon as it is opened, so that even a killed process leaves no file; it is
        # still on disk, so memory stays flat.
        self.path = path if path is not None else ""
        try:
            if path is not None:
                self._lock(path)
            self.db = sqlite3.connect(self.path, isolation_level=None)
            if path is not None:
                self._refuse_foreign(path)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self.batch_id = self._check_meta(application_id, base_url)
        except sqlite3.DatabaseError as exc:
            self._release()
            raise StateFileError(
                f"state file {path} is not a jobwise batch state ({exc}); "
                "it was left untouched: pass another state file"
            ) from exc
        except StateFileError:
            self._release()
            raise
        self.counts: dict[str, int] = dict(
            self.db.execute("SELECT status, count(*) FROM items GROUP BY status")
        )
        """Items by status, kept up to date with every change (the one count of a batch)."""
        self._dirty = 0
        self.db.execute("BEGIN")

    def _refuse_foreign(self, path: str) -> None:
        """Refuse a SQLite database of other tables (a user's own): it was written into."""
        names = {name for (name,) in self.db.execute("SELECT name FROM sqlite_master")}
        if names - _OURS or (names and "items" not in names):
            raise StateFileError(
                f"state file {path} is a SQLite database of other tables "
                f"({', '.join(sorted(names - _OURS)) or 'no batch items'}), not a jobwise "
                "batch state; it was left untouched: pass another state file"
            )

    def _lock(self, path: str) -> None:
        try:
            import fcntl  # here, not at the top: jobwise imports where there is none (Windows)
        except ModuleNotFoundError:
            raise StateFileError(
                f"state file {path}: a state file needs the file locks of Linux or macOS "
                "(fcntl), which this system lacks; run there, or without a state file"
            ) from None
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StateFileError(f"state file {path} cannot be opened: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StateFileError(
                f"state file {path} is in use by another batch (in this process or another); "
                "wait for it to finish or pass another state file"
            ) from None
        self._lock_fd = fd

    def check_intact(self) -> None:
        """Raise when the file was deleted or replaced while the batch ran."""
        if self._lock_fd is None:  # the private temporary database: no file to watch
            return
        held = os.fstat(self._lock_fd)
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            now = None
        if (
            held.st_nlink == 0
            or now is None
            or (now.st_dev, now.st_ino)
            != (
                held.st_dev,
                held.st_ino,
            )
        ):
            raise StateFileError(
                f"state file {self.path} was deleted or replaced during the run; the run "
                "stopped (jobs already submitted keep running on the server)"
            )

    def _check_meta(self, application_id: str, base_url: str) -> str:
        meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        wanted = {"schema": SCHEMA_VERSION, "application_id": application_id, "base_url": base_url}
        if not meta:
            if self.db.execute("SELECT count(*) FROM items").fetchone()[0]:
                raise StateFileError(f"state file {self.path} has items but no batch record")
            batch_id = uuid.uuid4().hex
            rows = [*wanted.items(), ("batch_id", batch_id)]
            self.db.executemany("INSERT INTO meta VALUES (?, ?)", rows)
            return batch_id
        schema = meta.get("schema")
        if newer_schema(schema):
            raise StateFileError(
                f"state file {self.path} was written by a newer jobwise (schema {schema}; this "
                f"one knows up to {SCHEMA_VERSION}); it was left untouched: upgrade jobwise"
            )
        older = schema in OLDER_SCHEMAS
        for name, value in wanted.items():
            if meta.get(name) != value and not (name == "schema" and older):
                raise StateFileError(
                    f"state file {self.path} belongs to another batch: its {name} is "
                    f"{meta.get(name)!r}, this run's is {value!r}; pass another state file"
                )
        if older:  # nothing else changed: the progress record comes with the first commit
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))
        return str(meta["batch_id"])

    def report_with(self, progress: Callable[[], Mapping[str, object]]) -> None:
        """Record ``progress()`` (JSON-able) at the next commit, then at each checkpoint and at
        close, for ``jobwise status``; never per item."""
        self._progress, self._progress_due = progress, True

    def _record_progress(self, running: bool) -> None:
        if self._progress is not None:
            record = json.dumps({**self._progress(), "running": running}, default=str)
            self._run("INSERT OR REPLACE INTO meta VALUES ('progress', ?)", (record,))
        self._progress_due = False

    @property
    def keys_honoured(self) -> bool:
        """Whether this batch's server has shown that it honours Idempotency-Key."""
        found = self.db.execute("SELECT value FROM meta WHERE key = 'keys_honoured'").fetchone()
        return found is not None

    def note_keys_honoured(self) -> None:
        """Remember that the server honours Idempotency-Key: a later run re-sends its killed
        creates under their keys instead of reconciling them."""
        self._run("INSERT OR IGNORE INTO meta VALUES ('keys_honoured', '1')")
        self.commit(force=True)

    def clock_bounds(self) -> tuple[float, float, float] | None:
        """The bounds of (server clock - client clock) and the timestamp margin that the run
        which last wrote this file learned; they hold for that run's sends."""
        found = self.db.execute("SELECT value FROM meta WHERE key = 'clock_bounds'").fetchone()
        if found is None:
            return None
        low, high, margin = json.loads(found[0])
        return float(low), float(high), float(margin)

    def save_clock_bounds(self, bounds: tuple[float, float, float] | None) -> None:
        """Record this run's clock bounds (``None``: this run has learned none yet)."""
        if bounds is None:
            self._run("DELETE FROM meta WHERE key = 'clock_bounds'")
        else:
            self._run(
                "INSERT OR REPLACE INTO meta VALUES ('clock_bounds', ?)", (json.dumps(bounds),)
            )

    def commit(self, force: bool = False) -> None:
        """Make recorded changes durable (every 200 changes, or when forced); fold the WAL into
        the file every :data:`CHECKPOINT_SECONDS`."""
        if force or self._dirty >= 200:
            checkpoint = self._clock() - self._checkpointed >= CHECKPOINT_SECONDS
            if checkpoint or self._progress_due:
                self._record_progress(running=True)
            self._run("COMMIT")
            if checkpoint:
                self._checkpoint()
            self._run("BEGIN")
            self._dirty = 0

    def _checkpoint(self) -> None:
        """Fold the WAL into the file and empty it. A failure loses nothing (the WAL keeps
        every commit), so it is left for the next one."""
        self._checkpointed = self._clock()
        if self.path:  # the private temporary database has no WAL
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> None:
        """One write. The first that fails ends all writing (:meth:`_break`)."""
        if self._broken is not None:
            raise self._broken
        try:
            self.db.execute(sql, args)
        except sqlite3.Error as exc:
            raise self._break(exc) from exc

    def _break(self, exc: sqlite3.Error) -> StateFileError:
        """Roll back what the failed transaction left and refuse every later write. SQLite
        may roll a transaction back itself on a full disk; writing on then committed each
        statement alone, while the run's rows in memory still held the lost ones: a file with
        gaps, whose resume failed with ``UNIQUE constraint failed: items.idx``."""
        with contextlib.suppress(sqlite3.Error):
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
        full = getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or (
            "database or disk is full" in str(exc)
        )
        problem = "the disk is full" if full else f"cannot be written ({exc})"
        space = "free some space, then " if full else ""
        self._broken = StateFileError(
            f"state file {self.path}: {problem}; the run stopped, and all it had committed "
            f"is kept: {space}run the same batch again to resume"
        )
        return self._broken

    def _write(self, row: Row, status: str, sets: str = "", args: tuple[Any, ...] = ()) -> None:
        self._run(
            f"UPDATE items SET status=?{', ' + sets if sets else ''} WHERE idx=?",
            (status, *args, row.index),
        )
        self.counts[row.status] -= 1
        self.counts[status] = self.counts.get(status, 0) + 1
        row.status = status
        self._dirty += 1

    def get(self, index: int) -> Row | None:
        """The record of input ``index``, if any."""
        found = self.db.execute(f"SELECT {_COLUMNS} FROM items WHERE idx = ?", (index,)).fetchone()
        return None if found is None else _row(found)

    def knows(self, job_id: str) -> bool:
        """Whether any item of this batch holds ``job_id`` (or has it as a candidate)."""
        found = self.db.execute("SELECT 1 FROM items WHERE job_id = ? LIMIT 1", (job_id,))
        return found.fetchone() is not None

    def holder(self, job_id: str) -> Row | None:
        """The item that holds ``job_id``, if any."""
        found = self.db.execute(
            f"SELECT {_COLUMNS} FROM items WHERE job_id = ? LIMIT 1", (job_id,)
        ).fetchone()
        return None if found is None else _row(found)

    def add(self, index: int, inputs: InputSet, status: str, error: str | None) -> Row:
        """Record a new input (``pending``, or ``invalid``), before any send. Its key derives
        from the batch, the index and the input's digest: a changed input never reuses one."""
        hashed = digest(inputs)
        key = f"jobwise-{self.batch_id}-{index}-{hashed[:16]}"
        row = Row(index, inputs, key, status, error=error, digest=hashed)
        self._run(
            "INSERT INTO items (idx, digest, inputs, key, status, error) VALUES (?, ?, ?, ?, ?, ?)",
            (index, hashed, json.dumps(inputs), key, status, error),
        )
        self.counts[status] = self.counts.get(status, 0) + 1
        self._dirty += 1
        return row

    def sending(self, row: Row, now: float) -> None:
        """A create is about to leave: durable before it does."""
        row.sent_at, row.answered_at = now, None
        self._write(row, "sending", "sent_at=?, answered_at=NULL", (now,))
        self.commit(force=True)

    def refused(self, row: Row) -> None:
        """The create certainly was not stored (never sent, or refused): send it again later."""
        row.sent_at = None
        self._write(row, "pending", "sent_at=NULL")

    def unknown(self, row: Row, now: float, error: str) -> None:
        """The create's answer was lost: it may or may not have made a job."""
        row.answered_at, row.error = now, error
        self._write(row, "unknown", "answered_at=?, error=?", (now, error))
        self.commit(force=True)

    def submitted(self, row: Row, job_id: str, created_at: str) -> None:
        """The job id is known (answered, or adopted). Made durable with the next create's
        ``sending`` (one commit per create, not two); a kill before then leaves the item
        ``sending``, which the next run settles as any killed create (replayed by its key, or
        found in the listing), so nothing is lost or sent twice."""
        row.job_id, row.created_at, row.error, row.candidates = job_id, created_at, None, []
        self._write(
            row,
            "submitted",
            "job_id=?, created_at=?, error=NULL, candidates=NULL",
            (job_id, created_at),
        )

    def ambiguous(self, row: Row, candidates: list[str], killed: bool) -> None:
        """A lost create that could be any of ``candidates``: a person decides."""
        row.candidates = candidates
        lost = "was in flight when an earlier run stopped" if killed else "answer was lost"
        row.error = (
            f"the create {lost}, and the server shows "
            f"{len(candidates)} job(s) that could be it: {', '.join(candidates)}"
        )
        self._write(row, "ambiguous", "candidates=?, error=?", (json.dumps(candidates), row.error))
        self.commit(force=True)

    def finished(self, row: Row, status: str, suggestion: str | None, error: str | None) -> None:
        """A final state and result (or ``timed_out``, with the job id kept)."""
        row.suggestion, row.error = suggestion, error
        self._write(row, status, "suggestion=?, error=?", (suggestion, error))

    def retrying(self, row: Row) -> str:
        """Record the intent to retry a failed job (its key first); returns the key."""
        row.retries += 1
        row.retry_key = f"jobwise-{self.batch_id}-{row.index}-retry-{row.retries}"
        self._write(
            row, "retrying", "retries=?, retry_key=?, error=NULL", (row.retries, row.retry_key)
        )
        self.commit(force=True)
        return row.retry_key

    def retried(self, row: Row, job_id: str) -> None:
        """The retry was accepted (its job id, in case the server made a new job)."""
        row.job_id = job_id
        self._write(row, "submitted", "job_id=?", (job_id,))
        self.commit(force=True)

    def reopen(self, row: Row) -> None:
        """A timed-out item goes back to be waited for, reconciled or sent, as it was."""
        status = "submitted" if row.job_id else ("unknown" if row.sent_at else "pending")
        self._write(row, status, "error=NULL")

    def resend(self, row: Row) -> None:
        """An ambiguous item is sent again (the user accepts a possible duplicate)."""
        row.sent_at, row.candidates = None, []
        self._write(row, "pending", "sent_at=NULL, candidates=NULL, error=NULL")

    def unsettled(self) -> Iterator[Row]:
        """Items whose create may or may not have made a job: a killed run's sends, lost
        answers, and such items that timed out."""
        for found in self.db.execute(
            f"SELECT {_COLUMNS} FROM items WHERE status IN ('sending', 'unknown') "
            "OR (status = 'timed_out' AND job_id IS NULL AND sent_at IS NOT NULL) ORDER BY idx"
        ):
            yield _row(found)

    def count(self) -> int:
        """How many inputs an earlier run read: one past the highest index recorded (a file
        with gaps, left by an earlier version after a failed commit, resumes too)."""
        return int(self.db.execute("SELECT coalesce(max(idx) + 1, 0) FROM items").fetchone()[0])

    def rows(self) -> Iterator[Row]:
        """Every record in input order (streamed)."""
        for found in self.db.execute(f"SELECT {_COLUMNS} FROM items ORDER BY idx"):
            yield _row(found)

    def close(self) -> None:
        """Commit, fold the WAL into the file, close, and release the lock."""
        try:
            if self.db is not None and self._broken is None:
                if self.db.in_transaction:
                    self._record_progress(running=False)
                    self._run("COMMIT")
                self._checkpoint()
        finally:
            self._release()

    def _release(self) -> None:
        """Close (what is not committed is not kept) and release the lock."""
        db = getattr(self, "db", None)
        if db is not None:
            db.close()
            self.db = None  # type: ignore[assignment]
        if self._lock_fd is not None:
            import fcntl  # there is one: the lock was taken

            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None
