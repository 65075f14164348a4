"""The state file itself: opened, locked, checked, committed and checkpointed, its run's
records (progress, keys, clock bounds); the items it holds are :mod:`jobwise.batch.state`'s."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from jobwise.batch.schema import (
    OLDER_SCHEMAS,
    SCHEMA,
    SCHEMA_VERSION,
    TABLES,
    StateFileError,
    newer_schema,
)

CHECKPOINT_SECONDS = 30.0
"""How often the WAL is folded into the file while a run goes on. SQLite's own checkpoints
come every 1,000 pages (4 MB, some 10,000 changes here); a copy made without the ``-wal``
in between lacks what was written since the last one. One costs an fsync or two."""


class StateFile:
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
        self._bounds: tuple[float, float, float] | None = None
        self._bounds_due = False
        """Clock bounds saved since the last commit, written with it (see
        :meth:`save_clock_bounds`)."""
        # No resume wanted: SQLite's private temporary database (an empty name), unlinked by
        # SQLite as soon as it is opened, so that even a killed process leaves no file; it is
        # still on disk, so memory stays flat. Nothing in it outlives the process, so nothing
        # is made durable early (:meth:`commit`) and its rollback journal, at most 200
        # changes' pages, stays in memory: a create's statements and commit cost 74 us of CPU
        # with both, 26 us without (10,000 jobs on loopback).
        self.path = path if path is not None else ""
        try:
            if path is not None:
                self._lock(path)
            self.db = sqlite3.connect(self.path, isolation_level=None)
            if path is not None:
                self._refuse_foreign(path)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
            else:
                self.db.execute("PRAGMA journal_mode=MEMORY")
            self.db.executescript(SCHEMA)
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
        if names - TABLES or (names and "items" not in names):
            raise StateFileError(
                f"state file {path} is a SQLite database of other tables "
                f"({', '.join(sorted(names - TABLES)) or 'no batch items'}), not a jobwise "
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
        if self._bounds_due:
            return self._bounds
        found = self.db.execute("SELECT value FROM meta WHERE key = 'clock_bounds'").fetchone()
        if found is None:
            return None
        low, high, margin = json.loads(found[0])
        return float(low), float(high), float(margin)

    def save_clock_bounds(self, bounds: tuple[float, float, float] | None) -> None:
        """Record this run's clock bounds (``None``: this run has learned none yet), written
        with the next commit, which makes them durable as it would have made them written now.
        Bounds that widen with the drift since they were learned change with nearly every
        answered create: written each time, they cost 10 us of a create's CPU without a file
        (34 of 1,297 samples of scripts/profile_batch.py, 10,000 jobs), where a commit comes
        every 200 changes."""
        self._bounds, self._bounds_due = bounds, True

    def _write_bounds(self) -> None:
        """Write the clock bounds saved since the last commit (part of the commit)."""
        if not self._bounds_due:
            return
        if self._bounds is None:
            self._run("DELETE FROM meta WHERE key = 'clock_bounds'")
        else:
            record = json.dumps(self._bounds)
            self._run("INSERT OR REPLACE INTO meta VALUES ('clock_bounds', ?)", (record,))
        self._bounds_due = False

    def steady_anchor(self) -> float | None:
        """The steady wall clock minus the monotonic one of the run which last wrote this file
        (see :meth:`save_steady_anchor`); None when no run recorded it."""
        found = self.db.execute("SELECT value FROM meta WHERE key = 'steady_anchor'").fetchone()
        return None if found is None else float(json.loads(found[0]))

    def save_steady_anchor(self, anchor: float) -> None:
        """Record this run's steady wall clock minus its monotonic one: on the same boot, a
        later run moves this run's times onto its own steady wall by the anchors' difference,
        whatever steps the machine's wall clock took between the two."""
        self._run("INSERT OR REPLACE INTO meta VALUES ('steady_anchor', ?)", (json.dumps(anchor),))

    def commit(self, force: bool = False) -> None:
        """Make recorded changes durable (every 200 changes, or when forced and there is a file
        to keep them); fold the WAL into the file every :data:`CHECKPOINT_SECONDS`."""
        if (force and self.path) or self._dirty >= 200:
            checkpoint = self._clock() - self._checkpointed >= CHECKPOINT_SECONDS
            if checkpoint or self._progress_due:
                self._record_progress(running=True)
            self._write_bounds()
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

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        """One write (its cursor tells the rows it changed). The first that fails ends all
        writing (:meth:`_break`)."""
        if self._broken is not None:
            raise self._broken
        try:
            return self.db.execute(sql, args)
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

    def close(self) -> None:
        """Commit, fold the WAL into the file, close, and release the lock."""
        try:
            if self.db is not None and self._broken is None:
                if self.db.in_transaction:
                    self._record_progress(running=False)
                    self._write_bounds()
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
