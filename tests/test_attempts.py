"""Each attempt reads a whole answer within its time and size, against misbehaving servers on
127.0.0.1: a body dripped a byte at a time, a connection cut mid-body, a body too big."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import jobwise
import pytest
from jobwise import AsyncWriterJobs, RetryPolicy, WriterJobs
from jobwise.attempts import EXPOSURE, Exposure
from jobwise.batch.threaded import ThreadedClient

from .fakes import Recorder, job_body
from .misbehaving import cut, drip, serving, whole

CREATED = {"id": "job-1", "status": "in_progress", "created_at": "2025-02-10T18:18:09Z"}
BYTE_EVERY = 0.2  # seconds: each read returns well within any timeout; only a whole bound ends it


def test_retrieve_timeout_bounds_the_whole_answer_not_each_read() -> None:
    with serving(drip(job_body(), BYTE_EVERY)) as server:
        started = time.monotonic()
        with pytest.raises(jobwise.APITimeoutError, match="no whole answer within 1 s"):
            WriterJobs("k", server.base_url).retrieve("job-1", timeout=1)
        assert time.monotonic() - started < 3  # sync: ends within a read of the 1 s
        assert len(server.requests) == 1  # no time was left for a retry


async def test_async_retrieve_timeout_bounds_the_whole_answer() -> None:
    with serving(drip(job_body(), BYTE_EVERY)) as server:
        started = time.monotonic()
        async with AsyncWriterJobs("k", server.base_url) as jobs:
            with pytest.raises(jobwise.APITimeoutError):
                await jobs.retrieve("job-1", timeout=1)
        assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_wait_ends_at_its_deadline_against_a_dripping_server(asynchronous: bool) -> None:
    with serving(drip(job_body(), BYTE_EVERY)) as server:
        started = time.monotonic()
        with pytest.raises(jobwise.WaitTimeoutError):
            if asynchronous:
                async with AsyncWriterJobs("k", server.base_url) as jobs:
                    await jobs.wait("job-1", timeout=1.5)
            else:
                WriterJobs("k", server.base_url).wait("job-1", timeout=1.5)
        assert time.monotonic() - started < 4


def test_the_client_timeout_bounds_each_attempt_and_the_policy_deadline_the_call() -> None:
    policy = RetryPolicy(initial_backoff=0.1, deadline=2)
    with serving(drip(job_body(), BYTE_EVERY)) as server:
        started = time.monotonic()
        jobs = WriterJobs("k", server.base_url, timeout=0.6, retry_policy=policy)
        with pytest.raises(jobwise.APITimeoutError):
            jobs.retrieve("job-1")
        assert time.monotonic() - started < 4
        assert len(server.requests) >= 2  # attempts of 0.6 s, retried until the 2 s deadline


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_get_cut_mid_body_is_retried(asynchronous: bool) -> None:
    with serving(cut(200, job_body()), whole(200, job_body())) as server:
        if asynchronous:
            async with AsyncWriterJobs("k", server.base_url) as jobs:
                job = await jobs.retrieve("job-1")
        else:
            job = WriterJobs("k", server.base_url).retrieve("job-1")
        assert job.id == "job-1"
        assert len(server.requests) == 2


def test_a_create_cut_mid_body_is_not_sent_again() -> None:
    with serving(cut(202, CREATED), whole(202, CREATED)) as server:
        with pytest.raises(jobwise.APIConnectionError) as caught:
            WriterJobs("k", server.base_url).create("app", {"Product": "x"})
        assert caught.value.may_have_arrived
        assert len(server.requests) == 1


def test_a_create_cut_mid_body_is_sent_again_under_a_trusted_key() -> None:
    with serving(cut(202, CREATED), whole(202, CREATED)) as server:
        jobs = WriterJobs("k", server.base_url, idempotency="server")
        assert jobs.create("app", {"Product": "x"}).id == "job-1"
        keys = [r.lower().split(b"idempotency-key: ")[1].split(b"\r\n")[0] for r in server.requests]
        assert len(keys) == 2 and keys[0] == keys[1]


class Endless(httpx.SyncByteStream, httpx.AsyncByteStream):
    """50 MB of body in 64 KiB chunks, counting how many were pulled."""

    CHUNK = b"x" * 65536

    def __init__(self) -> None:
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(50 * 2**20 // len(self.CHUNK)):
            self.pulled += len(self.CHUNK)
            yield self.CHUNK

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk


@pytest.mark.parametrize("declared", [False, True])
def test_an_answer_past_the_size_cap_is_refused_without_reading_it_whole(declared: bool) -> None:
    body = Endless()
    headers = {"content-length": str(50 * 2**20)} if declared else {}
    recorder = Recorder(lambda request: httpx.Response(200, headers=headers, stream=body))
    jobs = WriterJobs("k", "https://api.example.test", http_client=recorder.sync_client())
    with pytest.raises(jobwise.ResponseTooLargeError, match="more than 10,485,760 bytes"):
        jobs.retrieve("job-1")
    # Refused at the declared length, else as soon as the cap is passed.
    assert body.pulled == (0 if declared else 10 * 2**20 + len(Endless.CHUNK))
    assert len(recorder.requests) == 1  # the same answer would come again: not retried


async def test_async_size_cap_is_configurable() -> None:
    answer = httpx.Response(200, json=job_body(data={"suggestion": "s" * 2000}))
    recorder = Recorder(lambda request: answer)
    async with AsyncWriterJobs(
        "k", "https://x.test", http_client=recorder.async_client(), max_response_bytes=1000
    ) as jobs:
        with pytest.raises(jobwise.ResponseTooLargeError, match="1,000 bytes"):
            await jobs.retrieve("job-1")
    with pytest.raises(jobwise.InvalidArgumentError, match="max_response_bytes"):
        AsyncWriterJobs("k", "https://x.test", max_response_bytes=0)


def test_exposure_says_never_sent_only_when_it_certainly_was_not() -> None:
    exposure = Exposure()
    assert not exposure.never_sent  # unwatched: a client of the caller's own may have sent it
    exposure.began()
    assert not exposure.never_sent  # under way
    exposure.ended(never_sent=True)
    assert exposure.never_sent  # refused to connect
    exposure.began()
    exposure.ended(never_sent=False)
    exposure.began()
    exposure.ended(never_sent=True)
    assert not exposure.never_sent  # an earlier attempt may have reached the server


async def test_a_cancelled_threaded_call_runs_on_and_says_so() -> None:
    """A worker thread cannot be stopped: its call may send after the batch stopped waiting."""
    release = threading.Event()

    class Blocking:
        base_url = "http://127.0.0.1:1"

        def create(self, *args: object, **kwargs: object) -> None:
            release.wait(10)

    client = ThreadedClient(Blocking(), 1)  # type: ignore[arg-type]
    exposure = Exposure()
    EXPOSURE.set(exposure)
    exposure.began()
    exposure.ended(never_sent=True)
    call = asyncio.ensure_future(client.create("app", {"P": "x"}))
    await asyncio.sleep(0.05)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    release.set()
    client.close()
    assert exposure.detached and not exposure.never_sent
