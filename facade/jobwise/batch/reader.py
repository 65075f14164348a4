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

from jobwise.batch.items import BatchItem
from jobwise.batch.state import SCHEMA_VERSION, StateFileError
from jobwise.validation import InputSet

UNFINISHED_STATUSES = ("pending", "sending", "unknown", "submitted", "retrying")
"""What an item a run left unfinished can be: ``pending`` not sent; ``sending`` or ``unknown``
its create left and its fate is unsettled (a later run settles it, never sending it twice);
``submitted`` or ``retrying`` its job (or the job's retry) runs on."""

_ITEMS = (
    "SELECT idx, inputs, job_id, status, suggestion, error, retries, candidates "
    "FROM items ORDER BY idx"
)


def read_results(path: str | os.PathLike[str]) -> Generator[BatchItem, None, None]:
    """Every item the state file at ``path`` records, in input order, streamed.

    An item with an outcome has it as its status (:data:`jobwise.batch.items.OUTCOMES`); one
    left unfinished has the state it was left in (:data:`UNFINISHED_STATUSES`), with its job id
    once it has one. Raises :class:`StateFileError` here, before the first item, when ``path``
    is missing or not a jobwise batch state. The file stays open until the last item is read
    or the generator is closed (``close()``).
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
                status,
                suggestion,
                error,
                retries,
                tuple(json.loads(candidates)) if candidates else (),
            )
    except sqlite3.Error as exc:
        raise StateFileError(f"state file {name} cannot be read ({exc})") from None
    finally:
        db.close()
