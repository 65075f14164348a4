"""Every facade method, sync and async, against the emulator on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import jobwise
import pytest
from jobwise import AsyncOsapiJobs, AsyncWriterJobs, OsapiJobs, PollPolicy, WriterJobs
from jobwise_emulator import EmulatorServer

from ..conftest import TOKEN

FAST = PollPolicy(initial=0.05, max_interval=0.2)


@pytest.fixture
def writer(emulator: EmulatorServer) -> Iterator[WriterJobs]:
    with WriterJobs(TOKEN, emulator.base_url, poll_policy=FAST) as jobs:
        yield jobs


@pytest.fixture
async def awriter(emulator: EmulatorServer) -> AsyncIterator[AsyncWriterJobs]:
    async with AsyncWriterJobs(TOKEN, emulator.base_url, poll_policy=FAST) as jobs:
        yield jobs


@pytest.fixture
def osapi(emulator: EmulatorServer) -> Iterator[OsapiJobs]:
    with OsapiJobs(emulator.base_url, TOKEN, poll_policy=FAST) as jobs:
        yield jobs


def make_osapi_jobs(emulator: EmulatorServer, **body: object) -> list[str]:
    answer = httpx.post(f"{emulator.base_url}/_emulator/osapi/jobs", json=body)
    ids: list[str] = answer.json()["job_ids"]
    return ids


def test_writer_create_retrieve_wait_list_retry(writer: WriterJobs) -> None:
    created = writer.create("live-sync", {"Product descriptions": ["Terra running shoe"]})
    assert created.status == jobwise.JobStatus.IN_PROGRESS
    assert writer.retrieve(created.id).id == created.id
    statuses: list[str] = []
    job = writer.wait(created.id, timeout=10, on_status=lambda j: statuses.append(str(j.status)))
    assert statuses[-1] == "completed"
    assert isinstance(job.data, jobwise.JobResult)
    assert "Terra running shoe" in job.data.suggestion
    failed = writer.create_and_wait("live-sync", {"Product descriptions": "fail"}, timeout=10)
    assert failed.status == jobwise.JobStatus.FAILED and failed.error
    assert [j.id for j in writer.list("live-sync", status="failed")] == [failed.id]
    assert {j.id for j in writer.list("live-sync", page_size=1)} == {created.id, failed.id}
    again = writer.retry(failed.id)
    assert again.id == failed.id
    with pytest.raises(jobwise.ConflictError):
        writer.retry(created.id)
    with pytest.raises(jobwise.NotFoundError):
        writer.retrieve("no-such-job")


def test_writer_wrong_key_is_authentication_error(emulator: EmulatorServer) -> None:
    from jobwise_emulator import run_emulator

    with run_emulator(profile="fast", api_key="right", latency=(0, 0)) as server:
        with pytest.raises(jobwise.AuthenticationError):
            WriterJobs("wrong", server.base_url).retrieve("x")
        assert WriterJobs("right", server.base_url).list("a").pages() is not None


def test_create_retried_after_reset_makes_one_job() -> None:
    from jobwise_emulator import run_emulator

    with run_emulator(
        profile="fast", reset_rate=0.5, latency=(0, 0), seed=5, idempotency="honour"
    ) as server:
        with WriterJobs(
            TOKEN,
            server.base_url,
            idempotency="server",
            retry_policy=jobwise.RetryPolicy(
                max_retries=20, initial_backoff=0.001, max_backoff=0.01
            ),
        ) as jobs:
            for n in range(20):
                jobs.create("resets", {"P": f"item {n}"})
        stats = httpx.get(f"{server.base_url}/_emulator/stats").json()
    assert stats["faults"].get("reset_after", 0) > 0
    assert stats["jobs_created"] == 20


async def test_async_writer_every_method(awriter: AsyncWriterJobs) -> None:
    created = await awriter.create("live-async", {"Product": ["Aqua swim goggles"]})
    assert (await awriter.retrieve(created.id)).id == created.id
    job = await awriter.wait(created.id, timeout=10)
    assert job.status == jobwise.JobStatus.COMPLETED
    failed = await awriter.create_and_wait("live-async", {"Product": "fail"}, timeout=10)
    assert [j.id async for j in awriter.list("live-async", status="failed")] == [failed.id]
    assert (await awriter.retry(failed.id)).id == failed.id
    seen = [j.status async for j in awriter.watch(failed.id, timeout=10)]
    assert seen[-1] == jobwise.JobStatus.FAILED
    with pytest.raises(jobwise.NotFoundError):
        await awriter.retrieve("no-such-job")


def test_osapi_every_method(osapi: OsapiJobs, emulator: EmulatorServer) -> None:
    job_id, other = make_osapi_jobs(
        emulator, hosts=["web-01", "web-02"], failing_hosts=["web-02"], count=2
    )
    assert osapi.retrieve(job_id).id == job_id
    done = osapi.wait(job_id, timeout=10)
    assert done.status == jobwise.OsapiJobStatus.PARTIAL_FAILURE
    assert not isinstance(done.timeline, jobwise.Unset)
    stamp = jobwise.parse_time(done.timeline[0].timestamp)
    assert stamp is not None and stamp.tzinfo is not None
    listed = [j.id for j in osapi.list(page_size=1)]
    assert job_id in listed and other in listed and len(listed) == len(set(listed))
    retried = osapi.retry(job_id, target_hostname="web-01")
    assert retried != job_id
    assert osapi.wait(retried, timeout=10).status == jobwise.OsapiJobStatus.COMPLETED
    osapi.delete(job_id)
    with pytest.raises(jobwise.NotFoundError):
        osapi.retrieve(job_id)


async def test_async_osapi_every_method(emulator: EmulatorServer) -> None:
    (job_id,) = make_osapi_jobs(emulator, hosts=["db-01"])
    async with AsyncOsapiJobs(emulator.base_url, TOKEN, poll_policy=FAST) as osapi:
        assert (await osapi.retrieve(job_id)).id == job_id
        assert (await osapi.wait(job_id, timeout=10)).status == jobwise.OsapiJobStatus.COMPLETED
        assert job_id in [j.id async for j in osapi.list(status="completed")]
        retried = await osapi.retry(job_id)
        assert retried != job_id
        await osapi.wait(retried, timeout=10)
        await osapi.delete(job_id)
        with pytest.raises(jobwise.NotFoundError):
            await osapi.delete(job_id)


async def test_a_closed_client_sends_nothing(emulator: EmulatorServer) -> None:
    """A call after close() (or after the with block) made a real job: the connection sends
    below httpx's client, which would have refused."""
    before = httpx.get(f"{emulator.base_url}/_emulator/stats").json()["jobs_created"]
    jobs = WriterJobs(TOKEN, emulator.base_url)
    jobs.close()
    with pytest.raises(jobwise.ClientClosedError, match=r"client is closed.*was not sent"):
        jobs.create("closed", {"Product": "x"})
    async with AsyncWriterJobs(TOKEN, emulator.base_url) as ajobs:
        pass
    with pytest.raises(RuntimeError, match="client is closed"):
        await ajobs.create("closed", {"Product": "x"})
    with pytest.raises(jobwise.ClientClosedError):
        list(jobs.run_batch("closed", [{"Product": "x"}]))
    with OsapiJobs(emulator.base_url, TOKEN) as osapi_jobs:
        pass
    with pytest.raises(jobwise.ClientClosedError):
        list(osapi_jobs.list())
    assert httpx.get(f"{emulator.base_url}/_emulator/stats").json()["jobs_created"] == before
