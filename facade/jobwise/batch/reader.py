"""A batch's state file, read: every item it records, in input order, without changing it.

What a run left behind, for a results file or a report: ``jobwise batch`` writes its results
file from it. The file may be read after its run ended or while one runs (SQLite's WAL shows a
reader the run's last commit, at most 200 changes or a few seconds behind); the reader takes no
lock and writes nothing.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Generator
from urllib.parse import quote

from jobwise.batch.items import BatchItem, ItemStatus
from jobwise.batch.schema import SCHEMA_VERSION, StateFileError, newer_schema
from jobwise.validation import InputSet

_ITEMS = (
    "SELECT idx, inputs, job_id, status, suggestion, error, retries, candidates "
    "FROM items ORDER BY idx"
)


def read_results(path: str | os.PathLike[str]) -> Generator[BatchItem, None, None]:
    """Every item the state file at ``path`` records, in input order, streamed.

    An item with an outcome has it as its status (:data:`jobwise.batch.items.OUTCOMES`); one
    left unfinished has the state it was left in (:data:`jobwise.batch.items.UNFINISHED`),
    with its job id once it has one. Raises :class:`StateFileError` here, before the first
    item, when ``path`` is missing or not a jobwise batch state. The file stays open until
    the last item is read or the generator is closed (``close()``).
    """
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise StateFileError(f"state file {name} does not exist (or is not a file)")
    # Opened for writing though it writes nothing (query_only): a read-only connection cannot
    # remove the -wal and -shm files it makes on a WAL database, and would leave them behind.
    db = sqlite3.connect(f"file:{quote(os.path.abspath(name))}?mode=rw", uri=True)
    try:
        db.execute("PRAGMA query_only = ON")
        found = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        cursor = db.execute(_ITEMS)
    except sqlite3.Error as exc:
        db.close()
        raise StateFileError(f"state file {name} is not a jobwise batch state ({exc})") from None
    if found is None or found[0] != SCHEMA_VERSION:
        db.close()
        raise StateFileError(
            f"state file {name} is not a jobwise batch state of schema {SCHEMA_VERSION} "
            f"(its schema: {found[0] if found else 'none'})"
        )
    return _items(name, db, cursor)


def _items(
    name: str, db: sqlite3.Connection, cursor: sqlite3.Cursor
) -> Generator[BatchItem, None, None]:
    try:
        for index, inputs, job_id, status, suggestion, error, retries, candidates in cursor:
            yield BatchItem(
                index,
                InputSet(json.loads(inputs)),
                job_id,
                ItemStatus(status),
                suggestion,
                error,
                retries,
                tuple(json.loads(candidates)) if candidates else (),
            )
    except sqlite3.Error as exc:
        raise StateFileError(f"state file {name} cannot be read ({exc})") from None
    finally:
        db.close()


def read_snapshot(path: str) -> tuple[dict[str, str], dict[str, int]]:
    """The meta records of the state file at ``path`` and its counts by status, from one
    committed snapshot, read-only and without its lock (see :mod:`jobwise.cli.status`).
    Raises :class:`StateFileError` for a file that is missing, not a state file, or of a
    newer schema."""
    if not os.path.exists(path):
        raise StateFileError(f"state file {path}: no such file")
    if os.path.isdir(path):
        raise StateFileError(f"state file {path}: is a directory, not a state file")
    if not os.access(path, os.R_OK):
        raise StateFileError(f"state file {path}: cannot read it (permission denied)")
    try:
        meta, counts = _snapshot(path)
    except sqlite3.DatabaseError as exc:
        raise StateFileError(f"state file {path} is not a jobwise batch state ({exc})") from None
    schema = meta.get("schema")
    if newer_schema(schema):
        raise StateFileError(
            f"state file {path} was written by a newer jobwise (schema {schema}); "
            "upgrade jobwise to read it"
        )
    if "batch_id" not in meta:
        raise StateFileError(f"state file {path} is not a jobwise batch state (no batch record)")
    return meta, counts


def _open(path: str, immutable: bool) -> sqlite3.Connection:
    uri = f"file:{quote(os.path.abspath(path))}?mode=ro{'&immutable=1' if immutable else ''}"
    return sqlite3.connect(uri, uri=True, isolation_level=None)


def _read(path: str, immutable: bool) -> tuple[dict[str, str], dict[str, int]]:
    """The file's meta and its counts by status, from one committed snapshot."""
    db = _open(path, immutable)
    try:
        db.execute("BEGIN")
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        if not {"meta", "items"} <= tables:
            raise StateFileError(
                f"state file {path} is not a jobwise batch state (no batch tables)"
            )
        meta = dict(db.execute("SELECT key, value FROM meta"))
        counts = dict(db.execute("SELECT status, count(*) FROM items GROUP BY status"))
        db.execute("COMMIT")
    finally:
        db.close()
    return meta, counts


def _snapshot(path: str) -> tuple[dict[str, str], dict[str, int]]:
    """:func:`_read`, as immutable while no run holds the file (its ``-wal`` gone)."""
    wal = f"{path}-wal"
    if os.path.exists(wal):
        return _read(path, immutable=False)
    before = os.stat(path)
    found = _read(path, immutable=True)
    after = os.stat(path)
    if os.path.exists(wal) or (before.st_mtime_ns, before.st_size) != (
        after.st_mtime_ns,
        after.st_size,
    ):
        return _read(path, immutable=False)  # a run opened it meanwhile: read it as live
    return found
