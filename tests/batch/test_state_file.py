"""The state file itself: what is not one is refused and left untouched, one in use is refused,
and no file is left behind when none was asked for."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from jobwise import WriterJobs
from jobwise.batch.schema import StateFileError
from jobwise.batch.state import BatchState
from jobwise.validation import normalize_inputs
from jobwise_emulator import run_emulator

from ..conftest import TOKEN
from .support import products


def test_corrupted_state_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"
    state.write_bytes(b"this is not a database" * 100)
    before = state.read_bytes()
    with pytest.raises(StateFileError, match="not a jobwise batch state"):
        BatchState(str(state), "app", "http://127.0.0.1:1")
    assert state.read_bytes() == before
    foreign = tmp_path / "other.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE items (idx INTEGER PRIMARY KEY, x TEXT)")
        db.execute("INSERT INTO items VALUES (1, 'a')")
    with pytest.raises(StateFileError):
        BatchState(str(foreign), "app", "http://127.0.0.1:1")


def test_a_users_own_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    # It was written into: its journal set to WAL and the batch's tables added to the user's.
    mine = tmp_path / "mydb.sqlite"
    with contextlib.closing(sqlite3.connect(mine)) as db:
        db.execute("CREATE TABLE users (name TEXT)")
        db.execute("INSERT INTO users VALUES ('ada')")
        db.commit()
    before = mine.read_bytes()
    with pytest.raises(StateFileError, match=r"other tables \(users\)"):
        BatchState(str(mine), "app", "http://127.0.0.1:1")
    assert mine.read_bytes() == before
    with contextlib.closing(sqlite3.connect(mine)) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master")]
        journal = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert tables == ["users"] and journal == "delete"


def test_second_process_on_the_same_state_file_is_refused(tmp_path: Path) -> None:
    state = str(tmp_path / "s.sqlite")
    first = BatchState(state, "app", "http://127.0.0.1:1")
    try:
        with pytest.raises(StateFileError, match="in use"):
            BatchState(state, "app", "http://127.0.0.1:1")
    finally:
        first.close()
    BatchState(state, "app", "http://127.0.0.1:1").close()


def test_run_without_a_state_file_leaves_no_file_behind() -> None:
    import glob
    import tempfile

    pattern = f"{tempfile.gettempdir()}/jobwise-batch-*"
    before = set(glob.glob(pattern))
    with run_emulator(profile="fast", latency=(0.01, 0.02)) as server:
        run = WriterJobs(TOKEN, server.base_url).run_batch("b10", products(3))
        assert len(list(run)) == 3
    assert set(glob.glob(pattern)) == before
    assert run.summary()["counts"] == {"completed": 3}


def test_only_a_state_file_commits_each_send(tmp_path: Path) -> None:
    # A run without a file has nothing to make durable: its sends are committed with every 200
    # changes, not one by one (a create's statements cost 74 us of CPU with a commit each, 26
    # without). A file still commits each send before it leaves.
    def commits(path: str | None) -> int:
        state = BatchState(path, "app", "http://127.0.0.1:1")
        done: list[str] = []
        state.db.set_trace_callback(done.append)
        try:
            for index in range(10):
                row = state.add(index, normalize_inputs({"P": f"x{index}"}), "pending", None)
                state.sending(row, float(index))
        finally:
            state.close()
        return done.count("COMMIT") - 1  # close's own

    assert commits(None) == 0
    assert commits(str(tmp_path / "s.sqlite")) == 10
