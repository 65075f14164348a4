"""The state file on a disk that fills up, and its WAL folded in while a run goes on."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import jobwise
import pytest
from jobwise import WriterJobs
from jobwise.batch.items import ItemStatus
from jobwise.batch.state import BatchState
from jobwise.batch.state_file import CHECKPOINT_SECONDS
from jobwise.validation import normalize_inputs
from jobwise_emulator import run_emulator

from ..conftest import TOKEN
from ..virtual import emulated, in_virtual_time
from .support import products

WRITES = ("INSERT", "UPDATE", "DELETE", "COMMIT")


class _FillsUp:
    """A connection whose ``fail_at``-th write fails as on a full disk: SQLite rolls the
    transaction back and raises SQLITE_FULL. Later writes succeed (space was freed)."""

    def __init__(self, db: sqlite3.Connection, fail_at: int) -> None:
        self.db = db
        self.fail_at = fail_at
        self.writes = 0

    def execute(self, sql: str, args: Any = ()) -> sqlite3.Cursor:
        if sql.split()[0].upper() in WRITES:
            self.writes += 1
            if self.writes == self.fail_at:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise sqlite3.OperationalError("database or disk is full")
        return self.db.execute(sql, args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


@pytest.mark.parametrize("fail_at", [40, 157, 301])
@in_virtual_time
async def test_a_full_disk_is_named_and_the_first_resume_finishes_every_input_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    # Before (issue 28): the run ended with "cannot commit - no transaction is active", never
    # naming the disk; writes after SQLite's own rollback were committed one by one, and the
    # first resume failed with "UNIQUE constraint failed: items.idx".
    state = str(tmp_path / "s.sqlite")
    connect = sqlite3.connect

    def filling(path: str, *args: Any, **kwargs: Any) -> Any:
        db = connect(path, *args, **kwargs)
        return _FillsUp(db, fail_at) if path == state else db

    inputs = products(120)
    async with emulated(latency=(0.01, 0.02), seed=8) as server, server.client() as jobs:
        monkeypatch.setattr(sqlite3, "connect", filling)
        with pytest.raises(jobwise.StateFileError, match="the disk is full") as caught:
            [item async for item in jobs.run_batch("g28", inputs, concurrency=8, state=state)]
        monkeypatch.setattr(sqlite3, "connect", connect)
        assert "run the same batch again to resume" in str(caught.value)
        items = [item async for item in jobs.run_batch("g28", inputs, concurrency=8, state=state)]
        created = (await server.stats())["jobs_created"]
    assert sorted(item.index for item in items) == list(range(120))
    assert all(f"product {item.index}" in (item.suggestion or "") for item in items)
    assert {item.status for item in items} == {"completed"}
    assert created == 120  # each lost create was found in the listing, none sent twice
    with contextlib.closing(connect(state)) as db:
        rows = db.execute("SELECT idx, status FROM items ORDER BY idx").fetchall()
    assert rows == [(n, "completed") for n in range(120)]


def test_a_state_file_with_gaps_resumes(tmp_path: Path) -> None:
    # A file an earlier version left after a failed commit: rows 0-4 and 8-9, not 5-7.
    state = str(tmp_path / "s.sqlite")
    inputs = products(10)
    with run_emulator(profile="fast", latency=(0.01, 0.02)) as server:
        saved = BatchState(state, "g29", server.base_url)
        for index in [*range(5), 8, 9]:
            saved.add(index, normalize_inputs(inputs[index]), "pending", None)
        saved.close()
        items = list(WriterJobs(TOKEN, server.base_url).run_batch("g29", inputs, state=state))
    assert sorted(item.index for item in items) == list(range(10))
    assert {item.status for item in items} == {"completed"}


def test_the_wal_is_folded_in_at_intervals_and_at_the_end(tmp_path: Path) -> None:
    # A state file copied without its -wal forgot every send since SQLite's last checkpoint
    # (207 silent duplicates for 400 inputs, issue 28): now at most CHECKPOINT_SECONDS' worth.
    now = [0.0]
    path = tmp_path / "s.sqlite"
    state = BatchState(str(path), "app", "http://127.0.0.1:1", clock=lambda: now[0])
    inputs = normalize_inputs({"P": "x"})

    def copied_rows() -> int:
        copy = tmp_path / "copy.sqlite"
        shutil.copyfile(path, copy)  # the file alone, as a careless backup takes it
        with contextlib.closing(sqlite3.connect(copy)) as db:
            tables = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'items'")
            found = (
                db.execute("SELECT count(*) FROM items").fetchone()[0]
                if tables.fetchone()[0]
                else 0
            )
        copy.unlink()
        return int(found)

    state.add(0, inputs, "pending", None)
    state.commit(force=True)
    assert copied_rows() == 0  # committed, but only in the -wal
    now[0] += CHECKPOINT_SECONDS
    state.add(1, inputs, "pending", None)
    state.commit(force=True)
    assert copied_rows() == 2
    assert Path(f"{path}-wal").stat().st_size == 0
    state.add(2, inputs, "pending", None)
    state.close()
    assert copied_rows() == 3


def test_an_ambiguous_items_candidates_are_known_until_it_is_sent_again(tmp_path: Path) -> None:
    """A lost create's listing excludes every job the state file knows: an ambiguous item's
    candidates too (one of them may be its own job). knows() read only held job ids, so a later
    lost create could take an ambiguous item's job for its own (seed 42 of the simulator saw
    the sweeps take it for another client's job)."""
    path = str(tmp_path / "s.sqlite")
    state = BatchState(path, "app", "http://127.0.0.1:1")
    first = state.add(0, normalize_inputs({"P": "a"}), ItemStatus.PENDING, None)
    second = state.add(1, normalize_inputs({"P": "b"}), ItemStatus.PENDING, None)
    state.sending(first, 1.0)
    state.sending(second, 2.0)
    state.ambiguous(first, ["job-a", "job-b"], killed=False)
    state.ambiguous(second, ["job-b"], killed=False)
    assert state.knows("job-a") and state.knows("job-b") and not state.knows("job-c")
    state.close()
    again = BatchState(path, "app", "http://127.0.0.1:1")  # read back from the file
    try:
        assert again.knows("job-a") and again.knows("job-b")
        resent = again.get(0)
        assert resent is not None
        again.resend(resent)  # its candidates are no longer claimed, but for the other item's
        assert not again.knows("job-a") and again.knows("job-b")
        other = again.get(1)
        assert other is not None
        again.submitted(other, "job-b", "2026-01-01T00:00:00+00:00")
        assert again.knows("job-b")  # now held
    finally:
        again.close()


def test_an_inputs_digest_is_of_its_json_with_sorted_names_whatever_their_order(
    tmp_path: Path,
) -> None:
    # The record's JSON is encoded once and hashed as it is where the names are in order;
    # the digest must stay the one earlier runs recorded (a resume compares them).
    import hashlib
    import json

    state = BatchState(str(tmp_path / "s.sqlite"), "app", "http://127.0.0.1:1")
    try:
        for index, raw in enumerate(({"A": "x", "B": ["y", "z"]}, {"B": "y", "A": ["é", "x"]})):
            inputs = normalize_inputs(raw)
            row = state.add(index, inputs, "pending", None)
            canonical = json.dumps(inputs, sort_keys=True).encode()
            assert row.digest == hashlib.sha256(canonical).hexdigest()
            stored = state.get(index)
            assert stored is not None and stored.inputs == inputs
            assert list(stored.inputs) == list(inputs)  # sent in the order given
    finally:
        state.close()


def test_a_creates_job_held_by_another_item_is_not_recorded_and_that_item_is_named(
    tmp_path: Path,
) -> None:
    # The look for another holder is part of the write (one statement, not a look and a
    # write): a server that hands out an id again is still caught, and the item keeps waiting
    # as it was; its own id again (a create replayed by its key) is recorded.
    state = BatchState(str(tmp_path / "s.sqlite"), "app", "http://127.0.0.1:1")
    try:
        first, second = (
            state.add(index, normalize_inputs({"P": f"x{index}"}), "pending", None)
            for index in range(2)
        )
        for row in (first, second):
            state.sending(row, 1.0)
        assert state.created(first, "job-a", "2026-01-01T00:00:00+00:00") is None
        holder = state.created(second, "job-a", "2026-01-01T00:00:01+00:00")
        assert holder is not None and holder.index == 0 and holder.job_id == "job-a"
        again = state.get(1)
        assert again is not None and again.status == second.status == ItemStatus.SENDING
        assert second.job_id is None and state.counts["submitted"] == state.counts["sending"] == 1
        assert state.created(first, "job-a", "2026-01-01T00:00:00+00:00") is None
        assert state.created(second, "job-b", "2026-01-01T00:00:01+00:00") is None
        assert state.counts["submitted"] == 2 and state.counts["sending"] == 0
    finally:
        state.close()


def test_without_a_file_only_the_job_ids_are_written_and_they_are_still_checked() -> None:
    # The private database is read back for job ids alone: a create's sending, its outcome
    # and the clock bounds write nothing more there, and a job id another item holds is
    # still caught. The bounds saved are the ones read back.
    state = BatchState(None, "app", "http://127.0.0.1:1")
    written: list[str] = []
    try:
        state.db.set_trace_callback(written.append)
        first, second = (
            state.add(index, normalize_inputs({"P": f"x{index}"}), ItemStatus.PENDING, None)
            for index in range(2)
        )
        assert not written  # an input's row is made with its first job id
        for row in (first, second):
            state.sending(row, 1.0)
        state.save_clock_bounds((-0.5, 0.5, 0.001))
        assert state.clock_bounds() == (-0.5, 0.5, 0.001)
        assert state.created(first, "job-a", "2026-01-01T00:00:00+00:00") is None
        state.finished(first, ItemStatus.COMPLETED, "done", None)
        holder = state.created(second, "job-a", "2026-01-01T00:00:01+00:00")
        assert holder is not None and holder.index == 0 and holder.job_id == "job-a"
        assert state.knows("job-a") and not state.knows("job-b")
        state.retried(second, "job-b")
        assert state.knows("job-b") and state.held_created("job-b") is None
        state.retried(first, "job-c")  # the row made by its create, its job id replaced
        assert state.knows("job-c") and not state.knows("job-a")
        assert state.held_created("job-c") == "2026-01-01T00:00:00+00:00"
        # Two creates (one refused for its job id) and two retries: four writes, each of an id.
        writes = [sql for sql in written if not sql.startswith("SELECT")]
        assert len(writes) == 4 and all("job_id" in sql for sql in writes)
        assert first.status == ItemStatus.SUBMITTED and first.suggestion == "done"
        assert state.counts == {"completed": 0, "submitted": 2, "pending": 0, "sending": 0}
    finally:
        state.close()
