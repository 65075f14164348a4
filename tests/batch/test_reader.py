"""``jobwise.read_results``: a state file's items in input order, read without changing it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import jobwise
import pytest
from jobwise import StateFileError, WriterJobs, read_results
from jobwise.batch.state import BatchState
from jobwise.validation import InputSet
from jobwise_emulator import run_emulator

from ..conftest import TOKEN
from ..state_fixture import ITEMS, SUGGESTION, write_state


def test_items_come_in_input_order_with_their_status_job_and_candidates(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    write_state(path)
    before = path.read_bytes()
    items = list(read_results(path))
    assert [item.index for item in items] == list(range(len(ITEMS) - 1))  # the last unread
    assert [item.status for item in items] == [status for status, _ in ITEMS[:-1]]
    completed, failed, invalid, ambiguous, timed_out, submitted, retrying = items[:7]
    assert (completed.job_id, completed.suggestion, completed.error) == ("job-0", SUGGESTION, None)
    assert completed.inputs == {"P": ["alpha"]} and isinstance(completed.inputs, InputSet)
    assert (failed.job_id, failed.error) == ("job-1", "the job failed: boom")
    assert invalid.job_id is None and invalid.error == "P: 42 is not a string"
    assert ambiguous.candidates == ("job-3-a", "job-3-b") and ambiguous.job_id is None
    assert "2 job(s) that could be it" in (ambiguous.error or "")
    assert timed_out.job_id == "job-4" and submitted.job_id == "job-5"
    assert (retrying.job_id, retrying.retries) == ("job-6", 1)
    assert all(not item.job_id for item in items[7:])  # sending, unknown, pending
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sqlite"]  # no -wal, -shm left


def test_a_resumed_state_file_reads_each_input_once_with_its_last_outcome(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run.sqlite"
    with (
        run_emulator(profile="fast", latency=(0.01, 0.02), seed=5) as server,
        WriterJobs(api_key=TOKEN, base_url=server.base_url) as jobs,
    ):
        first = [{"P": "one"}, {"P": "fail two"}]
        jobs.run_batch("app-r", first, state=str(path)).wait()
        again = [*first, {"P": "three"}]
        run = jobs.run_batch("app-r", again, state=str(path), retry_failed=1)
        run.wait()
    items = list(read_results(str(path)))
    assert [(item.index, item.inputs["P"][0]) for item in items] == [
        (0, "one"),
        (1, "fail two"),
        (2, "three"),
    ]
    assert [item.status for item in items] == ["completed", "failed", "completed"]
    assert items[1].retries == 1 and all(item.job_id for item in items)


def test_it_reads_while_a_run_holds_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    write_state(path)
    held = BatchState(str(path), "app", "http://127.0.0.1:1")  # the run's lock, not the reader's
    try:
        assert len(list(read_results(path))) == len(ITEMS) - 1
    finally:
        held.close()


def test_what_is_not_a_state_file_is_refused_naming_it_before_any_item(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite"
    with pytest.raises(StateFileError, match=f"{missing} does not exist"):
        read_results(missing)
    assert not missing.exists()
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(StateFileError, match=f"{other} is not a jobwise batch state"):
        read_results(other)
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    with pytest.raises(StateFileError, match=f"{text} is not a jobwise batch state"):
        read_results(text)
    assert text.read_text() == "not a database\n"


def test_it_is_exported() -> None:
    assert "read_results" in jobwise.__all__ and jobwise.read_results is read_results
