"""What the client does on the wire, replayed from cassettes (tests/cassettes/test_cassettes/).

Recorded with ``make record`` against a fresh emulator (or the live API); replayed offline with
the network blocked and instant sleeps. One cassette per test.
"""

from __future__ import annotations

from typing import Any

import jobwise
import pytest
from jobwise import AsyncOsapiJobs, AsyncWriterJobs, OsapiJobs, PollPolicy, RetryPolicy, WriterJobs

from .recording import Target

pytestmark = pytest.mark.vcr

POLL = PollPolicy(initial=0.1, factor=1.5, max_interval=0.5)


def writer(api: Target, **options: Any) -> WriterJobs:
    return WriterJobs(
        api.token, api.base_url, poll_policy=POLL, sleep=api.sleep, clock=api.clock, **options
    )


def awriter(api: Target) -> AsyncWriterJobs:
    return AsyncWriterJobs(
        api.token, api.base_url, poll_policy=POLL, sleep=api.asleep, clock=api.clock
    )


def osapi(api: Target) -> OsapiJobs:
    return OsapiJobs(api.base_url, api.token, poll_policy=POLL, sleep=api.sleep, clock=api.clock)


def test_create(api: Target) -> None:
    created = writer(api).create(api.app_id, {"Product descriptions": ["Terra running shoe"]})
    assert created.id and created.status == jobwise.JobStatus.IN_PROGRESS


def test_retrieve(api: Target) -> None:
    jobs = writer(api)
    created = jobs.create(api.app_id, {"Product": "Aqua swim goggles"})
    job = jobs.retrieve(created.id)
    assert job.id == created.id and job.application_id == api.app_id


def test_wait_polls_until_completed(api: Target) -> None:
    jobs = writer(api)
    seen: list[str] = []
    job = jobs.create_and_wait(
        api.app_id,
        {"Product": "Flex yoga mat"},
        timeout=60,
        on_status=lambda j: seen.append(str(j.status)),
    )
    assert job.status == jobwise.JobStatus.COMPLETED
    assert seen == ["in_progress", "completed"]
    assert isinstance(job.data, jobwise.JobResult) and job.data.suggestion


def test_list_across_pages(api: Target) -> None:
    jobs = writer(api)
    app = f"{api.app_id}-list"
    for n in range(5):
        jobs.create(app, {"Product": f"item {n}"})
    pages = list(jobs.list(app, page_size=2).pages())
    assert [len(page) for page in pages] == [2, 2, 1]
    assert len({job.id for page in pages for job in page}) == 5


def test_retry_a_failed_job(api: Target) -> None:
    api.emulator_only()
    jobs = writer(api)
    failed = jobs.create_and_wait(api.app_id, {"Product": "fail on purpose"}, timeout=60)
    assert failed.status == jobwise.JobStatus.FAILED
    again = jobs.retry(failed.id)
    assert again.id == failed.id and again.status == jobwise.JobStatus.IN_PROGRESS


def test_not_found_error(api: Target) -> None:
    with pytest.raises(jobwise.NotFoundError) as caught:
        writer(api).retrieve("00000000-0000-4000-8000-000000000000")
    assert caught.value.status_code == 404


def test_conflict_error(api: Target) -> None:
    api.emulator_only()
    jobs = writer(api)
    done = jobs.create_and_wait(api.app_id, {"Product": "Orbit desk lamp"}, timeout=60)
    with pytest.raises(jobwise.ConflictError):
        jobs.retry(done.id)


def test_unprocessable_entity_error_on_a_reused_key(api: Target) -> None:
    api.emulator_only()
    jobs = writer(api)
    jobs.create(api.app_id, {"Product": "first"}, idempotency_key="cassette-key-1")
    with pytest.raises(jobwise.UnprocessableEntityError):
        jobs.create(api.app_id, {"Product": "second"}, idempotency_key="cassette-key-1")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, jobwise.BadRequestError),
        (401, jobwise.AuthenticationError),
        (403, jobwise.PermissionDeniedError),
        (429, jobwise.RateLimitError),
        (500, jobwise.InternalServerError),
        (520, jobwise.InternalServerError),
    ],
)
def test_error_classes(api: Target, status: int, error: type[jobwise.APIStatusError]) -> None:
    api.script({"status": status})
    with pytest.raises(error) as caught:
        writer(api, max_retries=0).list(api.app_id).pages().__next__()
    assert caught.value.status_code == status


def test_retried_503_then_success(api: Target) -> None:
    api.script({"status": 503}, {"status": 503})
    page = next(writer(api).list(api.app_id, page_size=1).pages(), [])
    assert isinstance(page, list)


def test_retried_429_honours_retry_after(api: Target) -> None:
    api.script({"status": 429, "headers": {"Retry-After": "1"}})
    jobs = writer(api, retry_policy=RetryPolicy(max_retries=2))
    created = jobs.create(api.app_id, {"Product": "Nimbus rain jacket"})
    assert created.id


def test_osapi_list_get_wait_retry_delete(api: Target) -> None:
    job_id, _ = api.osapi_jobs(hosts=["web-01", "web-02"], failing_hosts=["web-02"], count=2)
    jobs = osapi(api)
    assert job_id in [job.id for job in jobs.list(page_size=1)]
    assert jobs.retrieve(job_id).id == job_id
    assert jobs.wait(job_id, timeout=60).status == jobwise.OsapiJobStatus.PARTIAL_FAILURE
    new_id = jobs.retry(job_id, target_hostname="web-01")
    assert new_id != job_id and jobs.retrieve(new_id).id == new_id
    jobs.delete(job_id)
    with pytest.raises(jobwise.NotFoundError):
        jobs.retrieve(job_id)


async def test_async_create_wait_list_retry(api: Target) -> None:
    async with awriter(api) as jobs:
        app = f"{api.app_id}-async"
        done = await jobs.create_and_wait(app, {"Product": "Summit trail backpack"}, timeout=60)
        assert done.status == jobwise.JobStatus.COMPLETED
        assert [job.id async for job in jobs.list(app)] == [done.id]
        with pytest.raises(jobwise.ConflictError):
            await jobs.retry(done.id)


async def test_async_retried_503(api: Target) -> None:
    api.script({"status": 503})
    async with awriter(api) as jobs:
        created = await jobs.create(api.app_id, {"Product": "Ember camping stove"})
        assert (await jobs.retrieve(created.id)).id == created.id


async def test_async_osapi(api: Target) -> None:
    (job_id,) = api.osapi_jobs(hosts=["db-01"])
    async with AsyncOsapiJobs(
        api.base_url, api.token, poll_policy=POLL, sleep=api.asleep, clock=api.clock
    ) as jobs:
        assert (await jobs.wait(job_id, timeout=60)).status == jobwise.OsapiJobStatus.COMPLETED
        assert job_id in [job.id async for job in jobs.list(status="completed")]
        assert (await jobs.retry(job_id)) != job_id
        await jobs.delete(job_id)
