"""The batch engine's promise against servers that behave as real ones may: keys ignored,
answers lost or garbled, jobs stuck, servers gone, state files tampered with."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import jobwise
import pytest
from jobwise import AsyncWriterJobs, WriterJobs
from jobwise_emulator import run_emulator

from .conftest import TOKEN
from .test_batch import cli, products, read_results, stats


def test_lost_creates_are_settled_from_the_listing_never_resent_blindly(tmp_path: Path) -> None:
    # Keys ignored (the default), a quarter of the answers dropped, half of those after the
    # job is stored: one create at a time, so each lost create's window holds one job at most.
    with run_emulator(latency=(0.02, 0.05), reset_rate=0.25, seed=5) as server:
        jobs = WriterJobs(TOKEN, server.base_url, max_retries=2)
        run = jobs.run_batch("g1", products(40), concurrency=1, state=str(tmp_path / "s"))
        items = list(run)
        created = stats(server.base_url)["jobs_created"]
    assert sorted(item.index for item in items) == list(range(40))
    done = [item for item in items if item.status == "completed"]
    unsettled = [item for item in items if item.status == "ambiguous"]
    assert len(done) + len(unsettled) == 40 and len(done) >= 30
    assert all(f"product {item.index}" in (item.suggestion or "") for item in done)  # never wrong
    assert all(item.candidates for item in unsettled)
    assert created <= 40  # adopted, or re-sent only where the server showed no job


def test_a_kill_while_a_stored_create_is_held_resumes_without_a_duplicate(tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("".join(f"held {n}\n" for n in range(3)))
    out, state = tmp_path / "out.jsonl", tmp_path / "state.sqlite"
    with run_emulator(latency=(0.01, 0.02), hold_create=2.0) as server:
        env = {"WRITER_API_KEY": TOKEN, "WRITER_BASE_URL": server.base_url}
        args = ["batch", "app-h", str(names), "--input-name", "Name", "--out", str(out)]
        args += ["--state", str(state), "--concurrency", "1", "--quiet"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "jobwise.cli", *args],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while stats(server.base_url)["jobs_created"] < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)  # the job is stored; its answer is being held
        proc.wait(timeout=10)
        done = cli(*args, "--json", env=env)
        created = stats(server.base_url)["jobs_created"]
    assert done.returncode == 0, done.stderr
    assert [r["status"] for r in read_results(out)] == ["completed"] * 3
    assert created == 3


def test_retry_failed_at_concurrency_one_finishes(tmp_path: Path) -> None:
    with run_emulator(latency=(0.01, 0.03), seed=2) as server:
        jobs = WriterJobs(TOKEN, server.base_url)
        run = jobs.run_batch("g2", products(6, fail_every=3), concurrency=1, retry_failed=1)
        items = sorted(run, key=lambda item: item.index)
    assert [i.status for i in items] == ["failed", "completed", "completed"] * 2
    assert all(i.retries == 1 for i in items if i.status == "failed")


async def test_a_stuck_job_ends_timed_out_and_the_others_come_back(tmp_path: Path) -> None:
    inputs = [{"Product": "stuck one"}, {"Product": "fine"}, {"Product": "also fine"}]
    with run_emulator(latency=(0.01, 0.03)) as server:
        async with AsyncWriterJobs(TOKEN, server.base_url) as jobs:
            run = jobs.run_batch("g3", inputs, state=str(tmp_path / "s"), deadline=3)
            items = {item.index: item async for item in run}
    assert items[0].status == "timed_out" and items[0].job_id
    assert items[1].status == items[2].status == "completed"
    assert run.summary()["needs_decision"] == 1


def test_a_garbled_job_answer_fails_that_item_only() -> None:
    inputs = [{"Product": "garbage in"}, {"Product": "fine"}]
    with run_emulator(latency=(0.01, 0.03)) as server:
        items = {i.index: i for i in WriterJobs(TOKEN, server.base_url).run_batch("g4", inputs)}
    assert items[1].status == "completed"
    assert items[0].status in ("completed", "failed")
    if items[0].status == "failed":
        assert "could not be read" in (items[0].error or "")


def test_an_unreachable_server_stops_the_run_with_one_line(tmp_path: Path) -> None:
    with run_emulator() as server:
        gone = server.base_url
    jobs = WriterJobs(TOKEN, gone, max_retries=0)
    started = time.monotonic()
    with pytest.raises(jobwise.ServerUnavailableError, match="no usable answer"):
        list(jobs.run_batch("g5", products(3), state=str(tmp_path / "s"), stall_timeout=2))
    assert time.monotonic() - started < 30


def test_a_state_file_deleted_mid_run_stops_it(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"

    def remove_soon() -> None:
        time.sleep(0.5)
        state.unlink()

    with run_emulator(latency=(3, 4)) as server:
        run = WriterJobs(TOKEN, server.base_url).run_batch("g6", products(5), state=str(state))
        remover = threading.Thread(target=remove_soon)
        remover.start()
        with pytest.raises(jobwise.StateFileError, match="deleted or replaced"):
            list(run)
        remover.join()


def test_a_symlink_to_a_state_file_in_use_is_refused(tmp_path: Path) -> None:
    state, link = tmp_path / "s.sqlite", tmp_path / "link.sqlite"
    first = jobwise.batch_state.BatchState(str(state), "app", "http://127.0.0.1:1")
    link.symlink_to(state)
    try:
        with pytest.raises(jobwise.StateFileError, match="in use"):
            jobwise.batch_state.BatchState(str(link), "app", "http://127.0.0.1:1")
    finally:
        first.close()


def test_summary_counts_add_up(tmp_path: Path) -> None:
    with run_emulator(latency=(0.01, 0.02)) as server:
        run = WriterJobs(TOKEN, server.base_url).run_batch("g7", [*products(4), "not a mapping"])
        summary = run.wait()
    assert summary["counts"] == {"completed": 4, "invalid": 1}
    assert summary["total"] == 5 and summary["needs_decision"] == 0
