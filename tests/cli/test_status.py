"""``jobwise status STATE_FILE``: a batch seen from outside, while it runs and after it ended,
without changing its state file; the schema-2 file of the version before it, migrated."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jobwise.batch.schema import SCHEMA_VERSION, StateFileError
from jobwise.batch.state import BatchState
from jobwise.cli import status as cli_status
from jobwise.validation import InputSet
from jobwise_emulator import run_emulator

from ..cli_support import JOBWISE, TOKEN, jobwise, one_error_line

SCHEMA_2 = Path(__file__).parent.parent / "data" / "state-schema-2.sqlite"
"""Written by the jobwise before progress was recorded (schema 2): 4 inputs, the third empty,
the others completed."""

KEYS = {
    "state_file",
    "running",
    "counts",
    "total",
    "done",
    "inputs",
    "requests",
    "rate_limit",
    "elapsed",
    "started",
    "updated",
    "last_error",
    "requests_per_minute",
    "items_per_minute",
    "eta_seconds",
    "next",
}


def status_json(path: Path) -> dict[str, Any]:
    done = jobwise("status", str(path), "--json")
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def read(path: Path, sql: str) -> dict[str, Any]:
    """What ``sql`` finds in the file, read on a connection of this test's own."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(db.execute(sql))
    finally:
        db.close()


def counts_in(path: Path) -> dict[str, Any]:
    return read(path, "SELECT status, count(*) FROM items GROUP BY status")


def meta_in(path: Path) -> dict[str, Any]:
    return read(path, "SELECT key, value FROM meta")


def test_a_running_batch_shows_the_counts_the_file_holds_and_its_record(tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("".join(f"item {n}\n" for n in range(20)))
    out = tmp_path / "r.jsonl"
    state = tmp_path / "r.jsonl.state.sqlite"
    # Jobs of 60 s: every create answered, then the batch waits, its state unchanging.
    with run_emulator(profile="fast", latency=(60, 60), seed=4) as slow:
        env = {**os.environ, "WRITER_API_KEY": TOKEN, "WRITER_BASE_URL": slow.base_url}
        args = ["batch", "app", str(names), "--input-name", "P", "--out", str(out), "--quiet"]
        proc = subprocess.Popen(
            [JOBWISE, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            seen: dict[str, Any] = {"counts": {"pending": 20}}
            deadline = time.monotonic() + 60
            # Every create sent (the last one's answer is committed with the next change).
            while "pending" in seen["counts"] and time.monotonic() < deadline:
                time.sleep(0.1)
                if state.exists():
                    seen = status_json(state)
            assert seen["total"] == 20 and set(seen["counts"]) <= {"sending", "submitted"}
            assert counts_in(state) == seen["counts"]  # a moment later, the file says the same
            assert seen["running"] is True and seen["inputs"] == 20 and seen["done"] == 0
            assert seen["eta_seconds"] is None  # nothing finished yet: no pace to tell it by
            assert seen["started"] <= seen["updated"] and seen["requests"] is not None
            assert "--watch" in seen["next"]
            text = jobwise("status", str(state))
            assert text.returncode == 0, text.stderr
            assert all(f"{name} {n}" in text.stdout for name, n in seen["counts"].items())
            assert "running" in text.stdout and "0 done of 20 inputs" in text.stdout
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    ended = status_json(state)
    assert ended["running"] is False and ended["counts"] == {"submitted": 20}
    assert ended["requests"] >= 20 and ended["next"] == "run the same command to resume"
    assert Counter(json.loads(line)["status"] for line in out.read_text().splitlines()) == {
        "submitted": 20
    }


def test_a_finished_batch_matches_its_results_and_its_file_is_left_as_it_was(
    tmp_path: Path,
) -> None:
    names = tmp_path / "names.txt"
    names.write_text("".join(f"item {n}\n" for n in range(30)))
    out = tmp_path / "r.jsonl"
    state = tmp_path / "r.jsonl.state.sqlite"
    with run_emulator(profile="fast", latency=(0.01, 0.03), fail_rate=0.3, seed=5) as server:
        batch = jobwise(
            "batch", "app", str(names), "--input-name", "P", "--out", str(out), "--quiet",
            "--json", base_url=server.base_url,
        )  # fmt: skip
    assert batch.returncode == 1, batch.stderr  # some jobs failed
    summary = json.loads(batch.stdout)["summary"]
    before = (state.read_bytes(), state.stat().st_mtime_ns)
    found = status_json(state)
    text = jobwise("status", str(state))
    assert (state.read_bytes(), state.stat().st_mtime_ns) == before
    assert sorted(os.listdir(tmp_path)) == ["names.txt", "r.jsonl", "r.jsonl.state.sqlite"]
    results = Counter(json.loads(line)["status"] for line in out.read_text().splitlines())
    assert found["counts"] == dict(results) and found["total"] == found["done"] == 30
    assert results["failed"] and results["completed"]
    assert found["requests"] == summary["requests"] and found["running"] is False
    assert found["eta_seconds"] is None and found["items_per_minute"] > 0
    assert f"--retry-failed N to retry the {results['failed']} failed" in found["next"]
    assert f"failed {results['failed']}" in text.stdout and "ended" in text.stdout


def test_the_json_has_the_documented_keys(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    state = BatchState(str(path), "app", "http://127.0.0.1:9")
    state.report_with(lambda: {"requests": 7, "rate_limit": 400.0, "elapsed": 30.0,
                               "updated": 1_000.0, "last_error": "HTTP 503", "inputs": 4,
                               "from_earlier_runs": 0})  # fmt: skip
    for index in range(4):
        row = state.add(index, InputSet({"P": [str(index)]}), "pending", None)
    state.finished(row, "completed", "ok", None)
    state.commit(force=True)
    try:
        found = cli_status.read_status(str(path), now=1_030.0)  # read while it is held open
    finally:
        state.close()
    assert set(found) == KEYS
    assert all(key in (cli_status.__doc__ or "") for key in KEYS)
    assert found["counts"] == {"completed": 1, "pending": 3} and found["running"] is True
    assert found["elapsed"] == 60.0 and found["started"] == 970.0  # ran on 30 s since its record
    assert found["requests_per_minute"] == 14.0 and found["items_per_minute"] == 1.0
    assert found["eta_seconds"] == 180  # 3 left at 1 a minute
    assert found["rate_limit"] == 400.0 and found["last_error"] == "HTTP 503"
    after = cli_status.read_status(str(path), now=2_000.0)
    assert after["running"] is False and after["eta_seconds"] is None  # recorded at close


@pytest.fixture
def schema_2(tmp_path: Path) -> Path:
    copy = tmp_path / "old.sqlite"
    shutil.copy(SCHEMA_2, copy)
    return copy


def test_a_schema_2_file_is_shown_then_migrated_by_the_next_run(schema_2: Path) -> None:
    found = status_json(schema_2)
    assert found["counts"] == {"completed": 3, "invalid": 1} and found["running"] is None
    assert found["requests"] is None and "invalid" in found["next"]
    meta = meta_in(schema_2)
    assert meta["schema"] == "2"
    state = BatchState(str(schema_2), meta["application_id"], meta["base_url"])
    state.report_with(lambda: {"requests": 0, "elapsed": 0.0, "updated": 5.0})
    assert state.count() == 4 and state.batch_id == meta["batch_id"]
    assert [row.status for row in state.rows()] == [
        "completed",
        "completed",
        "invalid",
        "completed",
    ]
    state.close()
    migrated = meta_in(schema_2)
    assert migrated["schema"] == SCHEMA_VERSION == "3"
    assert json.loads(migrated["progress"])["running"] is False
    assert status_json(schema_2)["running"] is False


def test_a_newer_schema_is_refused_by_a_run_and_by_status(schema_2: Path) -> None:
    db = sqlite3.connect(schema_2)
    db.execute("UPDATE meta SET value = '9' WHERE key = 'schema'")
    db.commit()
    db.close()
    meta = meta_in(schema_2)
    with pytest.raises(StateFileError, match="newer jobwise"):
        BatchState(str(schema_2), meta["application_id"], meta["base_url"])
    done = jobwise("status", str(schema_2))
    assert done.returncode == 2
    one_error_line(done, str(schema_2), "newer jobwise", "schema 9", "upgrade")


def test_what_is_not_a_state_file_is_one_line(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all\n" * 100)
    other = tmp_path / "mine.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE people (name TEXT)")
    db.commit()
    db.close()
    for path, words in (
        (tmp_path / "missing.sqlite", ("no such file",)),
        (tmp_path, ("is a directory",)),
        (text, ("not a jobwise batch state",)),
        (other, ("not a jobwise batch state",)),
    ):
        done = jobwise("status", str(path))
        assert done.returncode == 2 and not done.stdout
        one_error_line(done, str(path), *words)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Path, BatchState]]:
    path = tmp_path / "s.sqlite"
    state = BatchState(str(path), "app", "http://127.0.0.1:9")
    state.report_with(lambda: {"requests": 1, "elapsed": 1.0, "updated": 10.0, "inputs": 2})
    state.add(0, InputSet({"P": ["a"]}), "pending", None)
    state.commit(force=True)
    try:
        yield path, state
    finally:
        state.close()


def watch(path: Path, sleep: Any, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    args = argparse.Namespace(state_file=str(path), watch=5.0, json=True)
    code = cli_status.run_status_command(args, wall=lambda: 10.0, sleep=sleep)
    return code, capsys.readouterr().out.splitlines()


def test_watch_ends_with_the_batch(
    running: tuple[Path, BatchState], capsys: pytest.CaptureFixture[str]
) -> None:
    path, state = running
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            state.close()  # the batch ends between two refreshes

    code, lines = watch(path, sleep, capsys)
    assert code == 0 and naps == [5.0, 5.0]
    assert [json.loads(line)["running"] for line in lines] == [True, True, False]


def test_ctrl_c_ends_a_watch_with_exit_0(
    running: tuple[Path, BatchState], capsys: pytest.CaptureFixture[str]
) -> None:
    def sleep(seconds: float) -> None:
        raise KeyboardInterrupt

    code, lines = watch(running[0], sleep, capsys)
    assert code == 0 and len(lines) == 1 and json.loads(lines[0])["running"] is True


def test_the_run_records_its_progress_at_checkpoints_never_per_item(tmp_path: Path) -> None:
    now = [0.0]
    state = BatchState(str(tmp_path / "s.sqlite"), "app", "http://127.0.0.1:9", lambda: now[0])
    records: list[float] = []
    state.report_with(lambda: records.append(now[0]) or {"requests": len(records)})
    for index in range(1_000):  # five commits of 200 changes, within one checkpoint interval
        state.add(index, InputSet({"P": [str(index)]}), "pending", None)
        state.commit()
    assert records == [0.0]  # the first commit only
    now[0] = 31.0  # past CHECKPOINT_SECONDS
    state.commit(force=True)
    state.commit(force=True)
    state.close()
    assert records == [0.0, 31.0, 31.0]  # that checkpoint's commit, then close
    progress = json.loads(meta_in(tmp_path / "s.sqlite")["progress"])
    assert progress == {"requests": 3, "running": False}
