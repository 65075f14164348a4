"""Batch runs against the emulator: every input once, resumable, rate-aware, state checked."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import jobwise
import pytest
from jobwise import AsyncBatchRun, AsyncWriterJobs, WriterJobs
from jobwise.batch.options import BatchOptions
from jobwise.batch.schema import StateFileError
from jobwise.batch.state import BatchState
from jobwise_emulator import run_emulator

from ..conftest import TOKEN
from ..fakes import FakeClock, job_body
from ..virtual import emulated, in_virtual_time


def stats(base_url: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{base_url}/_emulator/stats").json()
    return answer


def api_requests(base_url: str) -> int:
    return requests_of(stats(base_url))


def requests_of(seen: dict[str, Any]) -> int:
    """The API requests an emulator's stats count (not its own admin routes)."""
    by_route = seen["requests"]
    return sum(sum(codes.values()) for route, codes in by_route.items() if "_emulator" not in route)


def products(n: int, fail_every: int = 0) -> list[dict[str, str]]:
    return [
        {"Product": f"product {i}" + (" fail" if fail_every and i % fail_every == 0 else "")}
        for i in range(n)
    ]


@in_virtual_time
async def test_every_input_comes_back_once_with_its_own_result(tmp_path: Path) -> None:
    async with emulated(latency=(0.05, 0.3), seed=11) as server, server.client() as jobs:
        run = jobs.run_batch(
            "b1", iter(products(120)), concurrency=8, state=str(tmp_path / "s.sqlite")
        )
        items = [item async for item in run]
        created = (await server.stats())["jobs_created"]
    assert sorted(item.index for item in items) == list(range(120))
    for item in items:
        assert item.status == "completed"
        assert item.suggestion is not None and f"product {item.index}" in item.suggestion
        assert item.inputs == {"Product": [f"product {item.index}"]}
    assert created == 120
    summary = run.summary()
    assert summary["counts"] == {"completed": 120}
    assert summary["requests"] <= 120 * 1.5


@in_virtual_time
async def test_rerun_with_the_same_state_sends_nothing_again(tmp_path: Path) -> None:
    state = str(tmp_path / "s.sqlite")
    async with emulated(latency=(0.01, 0.05), seed=12) as server, server.client() as jobs:
        first = [item async for item in jobs.run_batch("b2", products(30), state=state)]
        before = requests_of(await server.stats())
        second = [item async for item in jobs.run_batch("b2", products(30), state=state)]
        after = requests_of(await server.stats())
    assert sorted(i.index for i in first) == sorted(i.index for i in second) == list(range(30))
    assert after == before
    assert {i.suggestion for i in first} == {i.suggestion for i in second}


@in_virtual_time
async def test_failed_jobs_are_retried_up_to_n_times(tmp_path: Path) -> None:
    async with emulated(latency=(0.01, 0.05), seed=13) as server, server.client() as jobs:
        run = jobs.run_batch("b3", products(20, fail_every=5), retry_failed=2)
        items = {item.index: item async for item in run}
        seen = await server.stats()
        retried = seen["requests"]["POST /v1/applications/jobs/{job_id}/retry"]
    failing = [i for i in items if i % 5 == 0]
    assert all(items[i].status == "failed" and items[i].retries == 2 for i in failing)
    assert all(items[i].error for i in failing)
    assert sum(retried.values()) == 2 * len(failing)
    assert run.summary()["retries"] == 2 * len(failing)


def test_invalid_inputs_are_reported_and_never_sent(tmp_path: Path) -> None:
    inputs: list[Any] = [{"Product": "ok"}, {"Product": 5}, {}, {"Product": "fine"}]
    with run_emulator(profile="fast", latency=(0.01, 0.05)) as server:
        items = {i.index: i for i in WriterJobs(TOKEN, server.base_url).run_batch("b4", inputs)}
        created = stats(server.base_url)["jobs_created"]
    assert items[1].status == items[2].status == "invalid"
    assert "inputs[1]" in (items[1].error or "")
    assert items[0].status == items[3].status == "completed"
    assert created == 2


@in_virtual_time
async def test_the_rate_budget_rides_out_429s() -> None:
    async with emulated(latency=(0.01, 0.05), rate_limit=40, seed=14) as server:
        async with server.client() as jobs:
            run = jobs.run_batch("b5", products(150), concurrency=32)
            items = [item async for item in run]
        seen = await server.stats()
    assert len(items) == 150 and all(i.status == "completed" for i in items)
    assert seen["faults"]["rate_limited"] > 0
    assert seen["jobs_created"] == 150
    learned = run.summary()["rate_limit"]  # paced below the emulator's 40 a second
    assert learned is not None and learned <= 40 * 60


@in_virtual_time
async def test_a_given_rate_limit_meets_the_server_without_429s() -> None:
    async with emulated(latency=(0.01, 0.05), rate_limit=40, seed=16) as server:
        async with server.client() as jobs:
            run = jobs.run_batch("b5", products(100), concurrency=32, rate_limit=30 * 60)
            items = [item async for item in run]
        seen = await server.stats()
    assert len(items) == 100 and all(i.status == "completed" for i in items)
    assert seen["faults"].get("rate_limited", 0) == 0
    assert jobs.rate_limit == 30 * 60


@in_virtual_time
async def test_async_batch(tmp_path: Path) -> None:
    async with emulated(latency=(0.02, 0.1), seed=15) as server:
        async with server.client() as jobs:
            run = jobs.run_batch("b6", products(40), state=str(tmp_path / "a.sqlite"))
            indexes = sorted([item.index async for item in run])
        assert (await server.stats())["jobs_created"] == 40
    assert indexes == list(range(40))
    assert run.summary()["counts"] == {"completed": 40}


def test_breaking_out_early_stops_the_run_and_it_resumes(tmp_path: Path) -> None:
    state = str(tmp_path / "s.sqlite")
    with run_emulator(profile="fast", latency=(0.05, 0.2), seed=16) as server:
        jobs = WriterJobs(TOKEN, server.base_url)
        for n, _item in enumerate(jobs.run_batch("b7", products(60), state=state)):
            if n == 5:
                break
        rest = list(jobs.run_batch("b7", products(60), state=state))
        created = stats(server.base_url)["jobs_created"]
    assert sorted(i.index for i in rest) == list(range(60))
    assert created == 60


def test_state_file_of_another_app_or_input_list_is_refused(tmp_path: Path) -> None:
    state = str(tmp_path / "s.sqlite")
    with run_emulator(profile="fast", latency=(0.01, 0.02)) as server:
        jobs = WriterJobs(TOKEN, server.base_url)
        list(jobs.run_batch("app-one", products(5), state=state))
        with pytest.raises(StateFileError, match="application_id"):
            list(jobs.run_batch("app-two", products(5), state=state))
        with pytest.raises(StateFileError, match=r"input 3 \(numbered from 1\)") as differs:
            list(jobs.run_batch("app-one", [*products(2), {"Product": "other"}], state=state))
        with pytest.raises(StateFileError, match="holds 5 inputs") as fewer:
            list(jobs.run_batch("app-one", products(3), state=state))
    assert (differs.value.index, fewer.value.index, fewer.value.given) == (2, None, 3)  # type: ignore[attr-defined]
    assert isinstance(StateFileError("x"), jobwise.JobwiseError)


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


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"retry_failed": -1}, "retry_failed"),
        ({"state": ""}, "state"),
    ],
)
def test_bad_batch_arguments_raise_before_any_request(
    kwargs: dict[str, Any], argument: str
) -> None:
    jobs = WriterJobs(TOKEN, "http://127.0.0.1:9")
    with pytest.raises(jobwise.InvalidArgumentError) as caught:
        jobs.run_batch("app", products(1), **kwargs)
    assert caught.value.argument == argument
    with pytest.raises(jobwise.InvalidArgumentError, match="inputs"):
        jobs.run_batch("app", "not a list of inputs")


def cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobwise.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=timeout,
    )


def read_results(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_killed_batch_resumes_with_every_input_exactly_once(tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("".join(f"item number {n}\n" for n in range(300)))
    out, state = tmp_path / "out.jsonl", tmp_path / "state.sqlite"
    with run_emulator(profile="fast", latency=(0.3, 1.0), seed=17, idempotency="honour") as server:
        env = {"WRITER_API_KEY": TOKEN, "WRITER_BASE_URL": server.base_url}
        command = [
            sys.executable,
            "-m",
            "jobwise.cli",
            "batch",
            "app-k",
            str(names),
            "--input-name",
            "Name",
            "--out",
            str(out),
            "--state",
            str(state),
            "--concurrency",
            "4",
            "--quiet",
        ]
        proc = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while stats(server.base_url)["jobs_created"] < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert 0 < stats(server.base_url)["jobs_created"] < 300
        done = cli(
            "batch",
            "app-k",
            str(names),
            "--input-name",
            "Name",
            "--out",
            str(out),
            "--state",
            str(state),
            "--json",
            env=env,
        )
        settled = stats(server.base_url)["jobs_created"]
        # The emulator does not echo Idempotency-Key, so a create in flight at the kill is
        # settled from the listing: adopted, re-sent, or (several candidates) ambiguous.
        summary = json.loads(done.stdout)["summary"]
        ambiguous = summary["counts"].get("ambiguous", 0)
        assert done.returncode == (7 if ambiguous else 0), done.stderr
        assert ambiguous <= 4  # at most the creates in flight at the kill
        assert summary["counts"].get("completed", 0) + ambiguous == 300
        assert settled <= 300  # nothing sent twice
        results = read_results(out)
        assert all(r["candidates"] for r in results if r["status"] == "ambiguous")
        again = cli(
            "batch",
            "app-k",
            str(names),
            "--input-name",
            "Name",
            "--out",
            str(out),
            "--state",
            str(state),
            "--json",
            "--resend-ambiguous",
            env=env,
        )
        created = stats(server.base_url)["jobs_created"]
    assert again.returncode == 0, again.stderr
    results = read_results(out)
    assert [r["index"] for r in results] == list(range(300))
    assert all(r["status"] == "completed" for r in results)
    assert all(f"item number {r['index']}" in r["suggestion"] for r in results)
    final = json.loads(again.stdout)["summary"]
    assert final["counts"] == {"completed": 300}
    # Each re-sent item made a new job; the summary names the jobs they may duplicate (this
    # emulator replays by key, so none was made twice here).
    assert created - 300 <= len(final["possible_duplicates"]) <= ambiguous


def test_cli_batch_reads_csv_and_jsonl(tmp_path: Path) -> None:
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("sku,Product\n1,Terra shoe\n2,Flex mat\n")
    jsonl_file = tmp_path / "in.jsonl"
    jsonl_file.write_text('{"Product": ["Aqua goggles"], "Color": "blue"}\n"Orbit lamp"\n')
    with run_emulator(profile="fast", latency=(0.01, 0.05)) as server:
        env = {"WRITER_API_KEY": TOKEN, "WRITER_BASE_URL": server.base_url}
        for source, expected in (
            (csv_file, ["Terra shoe", "Flex mat"]),
            (jsonl_file, ["Aqua goggles", "Orbit lamp"]),
        ):
            out = tmp_path / f"{source.name}.out.jsonl"
            done = cli(
                "batch",
                "app-c",
                str(source),
                "--input-name",
                "Product",
                "--out",
                str(out),
                "--quiet",
                env=env,
            )
            assert done.returncode == 0, done.stderr
            suggestions = [r["suggestion"] for r in read_results(out)]
            assert all(name in text for name, text in zip(expected, suggestions, strict=True))
            assert "completed" in done.stderr


def test_cli_batch_exits_non_zero_when_items_fail(tmp_path: Path) -> None:
    names = tmp_path / "n.txt"
    names.write_text("good\nplease fail\n")
    with run_emulator(profile="fast", latency=(0.01, 0.05)) as server:
        env = {"WRITER_API_KEY": TOKEN, "WRITER_BASE_URL": server.base_url}
        done = cli(
            "batch",
            "app-f",
            str(names),
            "--input-name",
            "P",
            "--out",
            str(tmp_path / "o.jsonl"),
            "--quiet",
            env=env,
        )
    assert done.returncode == 1
    assert "1 of 2 inputs did not complete" in done.stderr
    failed = [r for r in read_results(tmp_path / "o.jsonl") if r["status"] == "failed"]
    assert len(failed) == 1 and "please fail" in failed[0]["error"]


@in_virtual_time
async def test_more_inputs_than_jobs_allowed_in_flight_do_not_deadlock() -> None:
    async with emulated(latency=(0.02, 0.1), seed=18) as server:
        async with server.client() as jobs:
            options = BatchOptions(
                "b8", products(60), concurrency=4, max_outstanding=5, sweep_interval=0.05
            )  # far fewer in flight than the inputs
            run = AsyncBatchRun(jobs, options)
            indexes = sorted([item.index async for item in run])
        created = (await server.stats())["jobs_created"]
    assert indexes == list(range(60))
    assert created == 60


def test_results_stream_while_inputs_are_still_being_read() -> None:
    resumed: list[float] = []

    def slow_inputs() -> Any:
        for n in range(12):
            if n == 6:
                time.sleep(3)  # a slow source: the first results must come back meanwhile
                resumed.append(time.monotonic())
            yield {"Product": f"p{n}"}

    with run_emulator(profile="fast", latency=(0.01, 0.05), seed=19) as server:
        items = iter(WriterJobs(TOKEN, server.base_url).run_batch("b9", slow_inputs()))
        first = next(items)
        assert not resumed, "no result came back until every input was read"
        assert first.status == "completed"
        assert len([first, *items]) == 12


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


class _RetryRefused:
    """One Writer job, seen failed, whose retry is refused with ``status``; afterwards it stays
    failed, or (``runs_again``) shows in_progress twice and then completes, as a job that was
    already running again would."""

    def __init__(self, status: int, runs_again: bool) -> None:
        self.status, self.runs_again = status, runs_again
        self.refused = False
        self.looks = 0
        self.retries = 0

    def job(self) -> dict[str, Any]:
        if not self.refused or not self.runs_again:
            return job_body(status="failed", error="the agent failed")
        self.looks += 1
        if self.looks <= 2:
            return job_body()
        return job_body(status="completed", data={"suggestion": "done"})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path.endswith("/retry"):
            self.retries += 1
            self.refused = True
            error = {"description": "refused", "key": "job", "extras": {}}
            body = {"tpe": "BadRequest", "errors": [error], "extras": {}}
            return httpx.Response(self.status, json=body)
        if request.method == "POST":
            return httpx.Response(202, json=job_body())
        if path == "/v1/applications/app/jobs":
            return httpx.Response(200, json={"result": [self.job()]})
        return httpx.Response(200, json=self.job())


@pytest.mark.parametrize("status", [400, 409, 422])
@pytest.mark.parametrize("runs_again", [True, False])
async def test_a_refused_retry_leaves_the_item_waiting(status: int, runs_again: bool) -> None:
    # No source says what Writer answers to a retry of a job that has not failed: any 4xx may
    # mean it already runs again, so the item waits for the job; a job still failed ends failed.
    server, clock = _RetryRefused(status, runs_again), FakeClock()
    transport = httpx.MockTransport(server)
    async with AsyncWriterJobs(
        TOKEN, "http://127.0.0.1:9", transport=transport, clock=clock, sleep=clock.asleep
    ) as jobs:
        run = jobs.run_batch("app", [{"Product": "x"}], retry_failed=1)
        items = [item async for item in run]
    assert [(i.status, i.suggestion) for i in items] == [
        ("completed", "done") if runs_again else ("failed", None)
    ]
    assert server.retries == 1
