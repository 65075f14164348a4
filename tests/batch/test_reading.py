"""Reading the inputs: checked as read, matched against the state file's record, read in a
thread while results stream back, paused while too many jobs are in flight."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jobwise
import pytest
from jobwise import AsyncBatchRun, WriterJobs
from jobwise.batch.options import BatchOptions
from jobwise.batch.schema import StateFileError
from jobwise_emulator import run_emulator

from ..conftest import TOKEN
from ..virtual import emulated, in_virtual_time
from .support import products, requests_of, stats


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


def test_invalid_inputs_are_reported_and_never_sent(tmp_path: Path) -> None:
    inputs: list[Any] = [{"Product": "ok"}, {"Product": 5}, {}, {"Product": "fine"}]
    with run_emulator(profile="fast", latency=(0.01, 0.05)) as server:
        items = {i.index: i for i in WriterJobs(TOKEN, server.base_url).run_batch("b4", inputs)}
        created = stats(server.base_url)["jobs_created"]
    assert items[1].status == items[2].status == "invalid"
    assert "inputs[1]" in (items[1].error or "")
    assert items[0].status == items[3].status == "completed"
    assert created == 2


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
