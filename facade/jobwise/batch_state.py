"""A batch's state in SQLite (WAL): what was sent under which key, which job, what came back.

Every input is recorded with its Idempotency-Key before it is sent, so a crash at any instant
leaves each item in one of these states, and a re-run knows what to do with it:

* ``pending``   recorded, maybe sent, no job id known: send again under the same key
* ``submitted`` job id known: wait for it
* ``completed`` / ``failed`` final, result kept: never sent again
* ``invalid``   refused before sending (bad input): never sent
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jobwise.errors import JobwiseError

SCHEMA_VERSION = "1"


class StateFileError(JobwiseError):
    """The state file cannot be used: corrupted, locked, or made for another batch."""


@dataclass
class Row:
    """One input's record."""

    index: int
    inputs: dict[str, list[str]]
    key: str
    status: str
    job_id: str | None = None
    created_at: str | None = None
    suggestion: str | None = None
    error: str | None = None
    retries: int = 0
    retry_key: str | None = None
    digest: str = ""


def digest(inputs: dict[str, list[str]]) -> str:
    """A stable hash of one normalized input."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


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
    retry_key TEXT
);
CREATE INDEX IF NOT EXISTS items_status ON items (status);
"""


class BatchState:
    """The open state of one batch; one process at a time (a lock file beside it)."""

    def __init__(self, path: str | None, application_id: str, base_url: str) -> None:
        self._lock_fd: int | None = None
        self._temporary = path is None
        if path is None:  # no resume wanted: a private file still keeps memory flat
            fd, path = tempfile.mkstemp(prefix="jobwise-batch-", suffix=".sqlite")
            os.close(fd)
        else:
            self._lock(path)
        self.path = path
        try:
            self.db = sqlite3.connect(path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self.batch_id = self._check_meta(application_id, base_url)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StateFileError(
                f"state file {path} is not a jobwise batch state ({exc}); "
                "it was left untouched: pass another --state path"
            ) from exc
        except StateFileError:
            self.close()
            raise
        self.counts: dict[str, int] = dict(
            self.db.execute("SELECT status, count(*) FROM items GROUP BY status")
        )
        """Items by status, kept up to date with every change (the one count of a batch)."""
        self._dirty = 0
        self.db.execute("BEGIN")

    def _lock(self, path: str) -> None:
        fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StateFileError(
                f"state file {path} is in use by another jobwise process; "
                "wait for it to finish or pass another state file"
            ) from None
        self._lock_fd = fd

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
        for name, value in wanted.items():
            if meta.get(name) != value:
                raise StateFileError(
                    f"state file {self.path} belongs to another batch: its {name} is "
                    f"{meta.get(name)!r}, this run's is {value!r}; pass another state file"
                )
        return str(meta["batch_id"])

    def commit(self, force: bool = False) -> None:
        """Make recorded changes durable (every 200 changes, or when forced)."""
        if force or self._dirty >= 200:
            self.db.execute("COMMIT")
            self.db.execute("BEGIN")
            self._dirty = 0

    def _write(self, sql: str, args: tuple[Any, ...]) -> None:
        self.db.execute(sql, args)
        self._dirty += 1

    def _move(self, row: Row, status: str) -> None:
        self.counts[row.status] -= 1
        self.counts[status] = self.counts.get(status, 0) + 1
        row.status = status

    def get(self, index: int) -> Row | None:
        """The record of input ``index``, if any."""
        found = self.db.execute(
            "SELECT idx, inputs, key, status, job_id, created_at, suggestion, error, retries, "
            "retry_key, digest FROM items WHERE idx = ?",
            (index,),
        ).fetchone()
        if found is None:
            return None
        return Row(found[0], json.loads(found[1]), *found[2:])

    def add(self, index: int, inputs: dict[str, list[str]], status: str, error: str | None) -> Row:
        """Record a new input (``pending`` with its key, or ``invalid``), before any send."""
        key = f"jobwise-{self.batch_id}-{index}"
        row = Row(index, inputs, key, status, error=error, digest=digest(inputs))
        self.counts[status] = self.counts.get(status, 0) + 1
        self._write(
            "INSERT INTO items (idx, digest, inputs, key, status, error) VALUES (?, ?, ?, ?, ?, ?)",
            (index, row.digest, json.dumps(inputs), key, status, error),
        )
        return row

    def submitted(self, row: Row, job_id: str, created_at: str) -> None:
        """The job id is known."""
        self._move(row, "submitted")
        row.job_id, row.created_at = job_id, created_at
        self._write(
            "UPDATE items SET status='submitted', job_id=?, created_at=? WHERE idx=?",
            (job_id, created_at, row.index),
        )

    def finished(self, row: Row, status: str, suggestion: str | None, error: str | None) -> None:
        """The final state and result."""
        self._move(row, status)
        row.suggestion, row.error = suggestion, error
        self._write(
            "UPDATE items SET status=?, suggestion=?, error=? WHERE idx=?",
            (status, suggestion, error, row.index),
        )

    def retrying(self, row: Row) -> str:
        """Record a retry (its key first); returns the key to send it under."""
        row.retries += 1
        row.retry_key = f"jobwise-{self.batch_id}-{row.index}-retry-{row.retries}"
        self._move(row, "submitted")
        self._write(
            "UPDATE items SET status='submitted', retries=?, retry_key=?, error=NULL WHERE idx=?",
            (row.retries, row.retry_key, row.index),
        )
        self.commit(force=True)
        return row.retry_key

    def count(self) -> int:
        """How many inputs are recorded."""
        return int(self.db.execute("SELECT count(*) FROM items").fetchone()[0])

    def rows(self) -> Iterator[Row]:
        """Every record in input order (streamed)."""
        cursor = self.db.execute(
            "SELECT idx, inputs, key, status, job_id, created_at, suggestion, error, retries, "
            "retry_key, digest FROM items ORDER BY idx"
        )
        for found in cursor:
            yield Row(found[0], json.loads(found[1]), *found[2:])

    def close(self) -> None:
        """Commit, close, and release the lock."""
        db = getattr(self, "db", None)
        if db is not None:
            if db.in_transaction:
                db.execute("COMMIT")
            db.close()
            self.db = None  # type: ignore[assignment]
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None
        if self._temporary:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path + suffix)
            self._temporary = False
