"""Waiting: deadlines kept exactly with a fake clock, status changes seen, hints honoured."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import jobwise
import pytest
from jobwise import PollPolicy

from .fakes import FakeClock, Recorder, async_writer, job_body, scripted, writer


def ok(status: str, **extra: Any) -> httpx.Response:
    return httpx.Response(200, json=job_body(status=status, **extra))


def test_wait_returns_the_final_job_and_reports_each_change() -> None:
    clock = FakeClock()
    recorder = scripted(
        ok("in_progress"),
        ok("in_progress"),
        ok("queued"),
        ok("completed", data={"suggestion": "s"}),
    )
    seen: list[str] = []
    job = writer(recorder, clock).wait("job-1", on_status=lambda j: seen.append(str(j.status)))
    assert job.status == jobwise.JobStatus.COMPLETED
    assert seen == ["JobStatus.IN_PROGRESS", "queued", "JobStatus.COMPLETED"] or seen == [
        "in_progress",
        "queued",
        "completed",
    ]
    assert len(recorder.requests) == 4


def test_unknown_status_is_not_final() -> None:
    clock = FakeClock()
    recorder = scripted(ok("queued"), ok("failed", error="boom"))
    job = writer(recorder, clock).wait("job-1")
    assert job.status == jobwise.JobStatus.FAILED and job.error == "boom"


def test_wait_honours_the_deadline_exactly() -> None:
    clock = FakeClock()
    start = clock.now
    recorder = scripted(ok("in_progress"))
    with pytest.raises(jobwise.WaitTimeoutError) as caught:
        writer(recorder, clock).wait("job-1", timeout=30)
    assert clock.now - start == pytest.approx(30)
    assert sum(clock.sleeps) == pytest.approx(30)
    assert caught.value.timeout == 30


def test_poll_intervals_grow_with_jitter_up_to_the_cap() -> None:
    clock = FakeClock()
    recorder = scripted(ok("in_progress"))
    policy = PollPolicy(initial=0.5, factor=1.5, max_interval=10)
    with pytest.raises(jobwise.WaitTimeoutError):
        writer(recorder, clock, poll_policy=policy).wait("job-1", timeout=200)
    for n, pause in enumerate(clock.sleeps[:-1]):
        base = min(10, 0.5 * 1.5**n)
        assert base / 2 <= pause <= base
    assert max(clock.sleeps) <= 10


def test_server_retry_after_on_a_poll_is_honoured() -> None:
    clock = FakeClock()
    recorder = scripted(
        httpx.Response(200, headers={"Retry-After": "5"}, json=job_body()), ok("completed")
    )
    writer(recorder, clock).wait("job-1")
    assert clock.sleeps == [5]


def test_404_just_after_create_is_tolerated_and_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A mistyped id waited out the grace (10 s) without a word.
    clock = FakeClock()
    recorder = scripted(httpx.Response(404, json={}), httpx.Response(404, json={}), ok("completed"))
    with caplog.at_level(logging.INFO, logger="jobwise"):
        assert writer(recorder, clock).wait("job-1").status == jobwise.JobStatus.COMPLETED
    said = [r.getMessage() for r in caplog.records if "not found" in r.getMessage()]
    assert said == [
        "job job-1 not found; a job just created may not show yet: looking again for up to 10 s"
    ]


def test_404_that_lasts_past_the_grace_raises() -> None:
    clock = FakeClock()
    recorder = scripted(httpx.Response(404, json={}))
    policy = PollPolicy(not_found_grace=3)
    with pytest.raises(jobwise.NotFoundError):
        writer(recorder, clock, poll_policy=policy).wait("job-1", timeout=60)
    assert clock.now - 1000 < 60


def test_a_job_never_found_before_the_deadline_is_not_found_not_late() -> None:
    # A timeout under the grace said "did not finish within 5 s" of a job that never existed.
    clock = FakeClock()
    recorder = scripted(httpx.Response(404, json={}))
    with pytest.raises(jobwise.NotFoundError):
        writer(recorder, clock).wait("job-1", timeout=5)
    assert clock.now - 1000 <= 5 + 1


def test_a_burst_of_server_errors_does_not_end_the_wait() -> None:
    clock = FakeClock()
    recorder = scripted(httpx.Response(503), ok("completed"))
    assert writer(recorder, clock, max_retries=0).wait("job-1").status == "completed"


def test_watch_streams_each_status_once() -> None:
    clock = FakeClock()
    recorder = scripted(ok("in_progress"), ok("in_progress"), ok("completed"))
    statuses = [job.status for job in writer(recorder, clock).watch("job-1")]
    assert statuses == [jobwise.JobStatus.IN_PROGRESS, jobwise.JobStatus.COMPLETED]


def test_create_and_wait() -> None:
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(
                202,
                json={"id": "job-1", "status": "in_progress", "created_at": "2025-01-01T00:00:00Z"},
            )
        return ok("completed", data={"suggestion": "done"})

    job = writer(Recorder(handler), clock).create_and_wait("app", {"P": "x"})
    assert job.data is not None and not isinstance(job.data, jobwise.Unset)
    assert job.data.suggestion == "done"


async def test_async_wait_honours_the_deadline_exactly() -> None:
    clock = FakeClock()
    recorder = scripted(ok("in_progress"))
    async with async_writer(recorder, clock) as jobs:
        with pytest.raises(jobwise.WaitTimeoutError):
            await jobs.wait("job-1", timeout=12.5)
    assert sum(clock.sleeps) == pytest.approx(12.5)


async def test_async_watch_and_wait() -> None:
    clock = FakeClock()
    recorder = scripted(ok("in_progress"), ok("completed"))
    async with async_writer(recorder, clock) as jobs:
        seen = [job.status async for job in jobs.watch("job-1")]
    assert seen == [jobwise.JobStatus.IN_PROGRESS, jobwise.JobStatus.COMPLETED]
