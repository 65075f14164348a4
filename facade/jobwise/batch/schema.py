"""What a batch's state file holds: its schema and version, one input's record (:class:`Row`),
and the errors of a file that cannot be used."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from jobwise.batch.items import ItemStatus
from jobwise.errors import JobwiseError
from jobwise.validation import InputSet

SCHEMA_VERSION = "3"
"""3: the run's progress in ``meta`` (``progress``). A file of schema 2 is migrated when a run
opens it (its progress comes with that run's first commit); a newer one is refused."""

OLDER_SCHEMAS = frozenset({"2"})


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
    status: ItemStatus
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


_sorted_json = json.JSONEncoder(sort_keys=True).encode
"""``json.dumps(sort_keys=True)`` without making an encoder each call."""


def digest(inputs: dict[str, list[str]], text: str | None = None) -> str:
    """A stable hash of one normalized input: of its JSON with sorted names. ``text``:
    ``json.dumps(inputs)`` when the caller has it, which is that JSON where the names are
    already in order (an input's values are lists of strings: its names are its only keys)."""
    if text is None or list(inputs) != sorted(inputs):
        text = _sorted_json(inputs)
    return hashlib.sha256(text.encode()).hexdigest()


# No index on status: every item changes status four times or more, and at 50,000 items the
# index's upkeep made a create's two writes cost 120 us instead of 30 (220 instead of 130 with
# a file). Only the start of a run asks by status (counts, lost creates): one scan each. Files
# made before drop theirs.
SCHEMA = """
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
TABLES = frozenset({"meta", "items", "items_job", "items_status", "sqlite_autoindex_meta_1"})

COLUMNS = (
    "idx, inputs, key, status, job_id, created_at, suggestion, error, retries, retry_key, "
    "digest, sent_at, answered_at, candidates"
)


def row_of(found: tuple[Any, ...]) -> Row:
    *head, candidates = found
    row = Row(head[0], InputSet(json.loads(head[1])), head[2], ItemStatus(head[3]), *head[4:])
    row.candidates = json.loads(candidates) if candidates else []
    return row
