"""A batch's results file: JSON lines or CSV, in input order, written whole and atomically.

The results are the batch's state file's, read through :func:`jobwise.read_results` once the
run ends: stored once. What the state file does not hold, each input's line, cells and input
as the file held it, goes to an :class:`InputSpool` while the batch runs, a private temporary
SQLite database (deleted by SQLite itself even after a crash), so memory stays flat and stdin
needs no second pass. The file is then written to a hidden temporary named after it
(``.NAME.writing``, in the same folder, so a kill leaves at most that one file, which the next
run replaces) and renamed into place. Results are created like the state file: mode 0666 less
the umask (0644 usually); a results file that already exists keeps its mode.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sqlite3
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from jobwise.batch.items import OUTCOMES, BatchItem, ItemStatus
from jobwise.batch.reader import read_results
from jobwise.cli.errors import LocalFileError, os_error_text
from jobwise.cli.inputs import Input

RESULT_COLUMNS = ("line", "status", "job_id", "suggestion", "error")
UNFINISHED = "not finished: run the same command again to resume"
INTERRUPTED = "interrupted before it finished: run the same command again to resume"
# What the results file says of an item the state file left unfinished.
UNFINISHED_BY_STATE = {
    ItemStatus.SUBMITTED: (
        ItemStatus.SUBMITTED,
        "its job runs on: run the same command again to wait for it",
    ),
    ItemStatus.RETRYING: (
        ItemStatus.SUBMITTED,
        "its job's retry runs on: run the same command again to wait for it",
    ),
    ItemStatus.SENDING: (
        ItemStatus.PENDING,
        "its create was in flight: run the same command again, which settles it without "
        "sending it twice",
    ),
}
UNFINISHED_BY_STATE[ItemStatus.UNKNOWN] = UNFINISHED_BY_STATE[ItemStatus.SENDING]


@dataclass(frozen=True)
class Result:
    """One line of the results file."""

    index: int
    line: int
    cells: list[str]
    status: str
    job_id: str | None
    suggestion: str | None
    error: str | None
    inputs: Any
    candidates: list[str]


class InputSpool:
    """Each input as it is read, to join by index with the state file's items at the end."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.executescript(
            """
            PRAGMA journal_mode=OFF;
            PRAGMA synchronous=OFF;
            CREATE TABLE inputs (idx INTEGER PRIMARY KEY, line INTEGER, cells TEXT, raw TEXT);
            """
        )
        self.read = 0
        self.finished = 0
        """Items with an outcome: counted as the run yields them, then as :meth:`results`
        finds them in the state file."""
        self.running = 0
        """Unfinished items whose job the state file knows (counted by :meth:`results`)."""

    def numbered(self, inputs: Iterable[Input]) -> Iterator[Any]:
        """What ``run_batch`` is given: each input, recorded under the index the batch gives it
        (its position), with its line number."""
        for index, found in enumerate(inputs):
            with self._lock:
                self._db.execute(
                    "INSERT INTO inputs VALUES (?, ?, ?, ?)",
                    (index, found.line, json.dumps(found.cells), _dumps(found.inputs)),
                )
                self.read = index + 1
            yield found.inputs

    def line_of(self, index: int) -> int | None:
        """The line of FILE input ``index`` (zero-based) was read from; None if not read."""
        with self._lock:
            found = self._db.execute("SELECT line FROM inputs WHERE idx = ?", (index,)).fetchone()
        return None if found is None else int(found[0])

    def results(self, interrupted: bool, state: str) -> Iterator[Result]:
        """Every input read, in order, with what the batch's ``state`` file records of it (or
        why it has no result: a job it knows is kept). Raises
        :class:`jobwise.StateFileError` when ``state`` cannot be read."""
        items = read_results(state)
        self.finished = self.running = 0
        try:
            item: BatchItem | None = next(items, None)
            cursor = self._db.execute("SELECT idx, line, cells, raw FROM inputs ORDER BY idx")
            for index, line, cells, raw in cursor:
                while item is not None and item.index < index:  # both in input order
                    item = next(items, None)
                kept = item if item is not None and item.index == index else None
                yield self._result(index, line, json.loads(cells), raw, kept, interrupted)
        finally:
            items.close()  # the state file's items past the inputs read are not needed

    def _result(
        self,
        index: int,
        line: int,
        cells: list[str],
        raw: str,
        item: BatchItem | None,
        interrupted: bool,
    ) -> Result:
        if item is not None and item.status in OUTCOMES:
            self.finished += 1
            # An invalid input as the file held it, not the batch's stand-in for it.
            inputs = json.loads(raw) if item.status == ItemStatus.INVALID else item.inputs
            return Result(
                index,
                line,
                cells,
                item.status,
                item.job_id,
                item.suggestion,
                item.error,
                inputs,
                list(item.candidates),
            )
        unfinished = (ItemStatus.PENDING, None)
        status, why = UNFINISHED_BY_STATE.get(item.status, unfinished) if item else unfinished
        job_id = item.job_id if item is not None and status == ItemStatus.SUBMITTED else None
        self.running += status == ItemStatus.SUBMITTED
        if why is None:
            error = INTERRUPTED if interrupted else UNFINISHED
        else:
            error = f"{'interrupted' if interrupted else 'not finished'}; {why}"
        return Result(index, line, cells, status, job_id, None, error, json.loads(raw), [])

    def close(self) -> None:
        """Drop the spool."""
        self._db.close()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def is_csv(path: str) -> bool:
    """Whether results go out as CSV (by the file's extension)."""
    return path.lower().endswith(".csv")


def temporary_path(path: str) -> str:
    """The hidden file a results file is written to before it is renamed into place."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.writing")


def _json_line(result: Result) -> str:
    line: dict[str, Any] = {
        "index": result.index,
        "line": result.line,
        "status": result.status,
        "job_id": result.job_id,
    }
    if result.status == ItemStatus.COMPLETED:
        line["suggestion"] = result.suggestion
    else:
        line["error"] = result.error
    if result.candidates:  # an ambiguous item: the jobs its lost create may have made
        line["candidates"] = result.candidates
    line["inputs"] = result.inputs
    return json.dumps(line, ensure_ascii=False) + "\n"


def _write(handle: IO[str], path: str, columns: list[str], results: Iterable[Result]) -> int:
    count = 0
    if not is_csv(path):
        for result in results:
            handle.write(_json_line(result))
            count += 1
        return count
    writer = csv.writer(handle)
    writer.writerow([*columns, *RESULT_COLUMNS])
    width = len(columns)
    for result in results:
        cells = (result.cells + [""] * width)[:width]
        writer.writerow(
            [
                *cells,
                result.line,
                result.status,
                result.job_id or "",
                result.suggestion or "",
                _csv_error(result),
            ]
        )
        count += 1
    return count


def _csv_error(result: Result) -> str:
    if not result.candidates:
        return result.error or ""
    return f"{result.error or ItemStatus.AMBIGUOUS} (candidates: {' '.join(result.candidates)})"


def write_results(path: str, columns: list[str], results: Iterable[Result]) -> int:
    """Write every result, atomically; errors name ``path``, never the temporary file."""
    temporary = temporary_path(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = None
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            count = _write(handle, path, columns, results)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        exc.filename = path
        raise LocalFileError(f"cannot write results: {os_error_text(exc)}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return count
