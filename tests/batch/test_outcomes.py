"""An item's outcome from its job's answer: failed jobs retried while retries are left, a
refused retry waited out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from jobwise import AsyncWriterJobs

from ..conftest import TOKEN
from ..fakes import FakeClock, job_body
from ..virtual import emulated, in_virtual_time
from .support import products


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
