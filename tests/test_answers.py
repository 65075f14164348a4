"""What a server answers is checked: a job is the one asked for; job ids may be UUIDs."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from jobwise import AsyncOsapiJobs, AsyncWriterJobs, InvalidResponseError, OsapiJobs, WriterJobs

from .fakes import FakeClock, Recorder, job_body

ASKED = uuid.UUID("550e8400-e29b-41d4-a716-446655440000")
OTHER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def osapi_job(job_id: str, status: str = "completed") -> dict[str, Any]:
    return {"id": job_id, "status": status, "created": "2025-02-10T18:18:09Z"}


def answering(body: dict[str, Any]) -> Recorder:
    return Recorder(lambda request: httpx.Response(200, json=body))


def writer(recorder: Recorder) -> WriterJobs:
    client = recorder.sync_client()
    return WriterJobs("k", "https://api.example.test", http_client=client, sleep=FakeClock().sleep)


def osapi(recorder: Recorder) -> OsapiJobs:
    return OsapiJobs("https://osapi.example.test", "t", http_client=recorder.sync_client())


def test_retrieve_refuses_another_job_naming_both_ids() -> None:
    with pytest.raises(InvalidResponseError, match=r"asked for job 'job-1'.*job 'job-2'"):
        writer(answering(job_body("job-2"))).retrieve("job-1")


def test_wait_refuses_another_job() -> None:
    with pytest.raises(InvalidResponseError, match="job 'job-2'"):
        writer(answering(job_body("job-2", status="completed"))).wait("job-1")


def test_osapi_retrieve_refuses_another_job_but_not_its_own_in_upper_case() -> None:
    with pytest.raises(InvalidResponseError, match=rf"asked for job '{ASKED}'.*'{OTHER}'"):
        osapi(answering(osapi_job(OTHER))).retrieve(ASKED)
    job = osapi(answering(osapi_job(str(ASKED).upper()))).wait(ASKED)
    assert job.id == str(ASKED).upper()


async def test_async_clients_refuse_another_job() -> None:
    recorder = answering(job_body("job-2"))
    async with AsyncWriterJobs(
        "k", "https://api.example.test", http_client=recorder.async_client()
    ) as jobs:
        with pytest.raises(InvalidResponseError, match="job 'job-2'"):
            await jobs.retrieve("job-1")
    recorder = answering(osapi_job(OTHER))
    async with AsyncOsapiJobs(
        "https://osapi.example.test", "t", http_client=recorder.async_client()
    ) as osapi_jobs:
        with pytest.raises(InvalidResponseError, match=OTHER):
            await osapi_jobs.retrieve(ASKED)


def test_writer_accepts_uuid_job_ids() -> None:
    job_id = str(ASKED)
    recorder = Recorder(
        lambda request: httpx.Response(
            202 if request.method == "POST" else 200,
            json=job_body(job_id, status="completed"),
        )
    )
    jobs = writer(recorder)
    assert jobs.retrieve(ASKED).id == job_id
    assert jobs.wait(ASKED).id == job_id
    jobs.retry(ASKED)
    assert [r.url.path for r in recorder.requests] == [
        f"/v1/applications/jobs/{job_id}",
        f"/v1/applications/jobs/{job_id}",
        f"/v1/applications/jobs/{job_id}/retry",
    ]


async def test_async_writer_accepts_uuid_job_ids() -> None:
    recorder = answering(job_body(str(ASKED), status="completed"))
    async with AsyncWriterJobs(
        "k", "https://api.example.test", http_client=recorder.async_client()
    ) as jobs:
        assert (await jobs.retrieve(ASKED)).id == str(ASKED)
        assert [job.id async for job in jobs.watch(ASKED)] == [str(ASKED)]


@pytest.mark.parametrize("name", ["id", "job_id"])
def test_a_create_answer_names_its_id_id_or_job_id(name: str) -> None:
    # Seed 002's table and example say job_id; seed 003 and both SDKs say id.
    body = {name: "job-7", "status": "in_progress", "created_at": "2025-02-10T18:18:09Z"}
    recorder = Recorder(lambda request: httpx.Response(202, json=body))
    created = writer(recorder).create("app", {"Product": "x"})
    assert created.id == "job-7"
    assert recorder.requests[0].method == "POST"
