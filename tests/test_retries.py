"""Retries: what is retried, how long it waits, and that a POST keeps one Idempotency-Key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpcore
import httpx
import jobwise
import pytest
from jobwise import RetryPolicy, WriterJobs
from jobwise.retries import parse_retry_after

from .fakes import FakeClock, async_writer, job_body, scripted, writer

CREATED = {"id": "job-1", "status": "in_progress", "created_at": "2025-02-10T18:18:09Z"}


def test_503_then_success_is_retried_with_backoff() -> None:
    clock = FakeClock()
    recorder = scripted(
        httpx.Response(503), httpx.Response(502), httpx.Response(200, json=job_body())
    )
    job = writer(recorder, clock).retrieve("job-1")
    assert job.id == "job-1"
    assert len(recorder.requests) == 3
    assert len(clock.sleeps) == 2
    assert 0 <= clock.sleeps[0] <= 0.5 and 0 <= clock.sleeps[1] <= 1.0  # full jitter, doubling


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
    ],
)
def test_429_honours_retry_after(headers: dict[str, str], expected: float) -> None:
    clock = FakeClock()
    recorder = scripted(httpx.Response(429, headers=headers), httpx.Response(200, json=job_body()))
    writer(recorder, clock).retrieve("job-1")
    assert clock.sleeps == [expected]


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    when = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(httpx.Headers({"Retry-After": when}), now=now) == 30
    assert parse_retry_after(httpx.Headers({"Retry-After": "garbage"})) is None
    assert parse_retry_after(httpx.Headers({})) is None


def test_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    clock = FakeClock()
    recorder = scripted(httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(jobwise.RateLimitError) as caught:
        writer(recorder, clock).retrieve("job-1")
    assert caught.value.retry_after == 3600
    assert clock.sleeps == [] and len(recorder.requests) == 1


def test_retries_stop_at_the_total_deadline() -> None:
    clock = FakeClock()
    recorder = scripted(httpx.Response(503, headers={"Retry-After": "4"}))
    policy = RetryPolicy(max_retries=100, deadline=10)
    with pytest.raises(jobwise.ServerError):
        writer(recorder, clock, retry_policy=policy).retrieve("job-1")
    assert clock.sleeps == [4, 4]  # a third pause would end past the 10 s deadline


def test_create_sends_one_idempotency_key_on_every_attempt() -> None:
    clock = FakeClock()
    recorder = scripted(httpx.Response(503), httpx.Response(429), httpx.Response(202, json=CREATED))
    writer(recorder, clock).create("app", {"Product": "x"})
    keys = {request.headers["Idempotency-Key"] for request in recorder.requests}
    assert len(recorder.requests) == 3 and len(keys) == 1
    assert keys.pop().startswith("jobwise-")


@pytest.mark.parametrize(
    "outcome", [httpx.ReadError("reset"), httpx.Response(500), httpx.Response(502)]
)
def test_a_create_that_may_have_been_stored_is_never_resent_blindly(
    outcome: httpx.Response | httpx.ReadError,
) -> None:
    recorder = scripted(outcome, httpx.Response(202, json=CREATED))
    with pytest.raises((jobwise.APIConnectionError, jobwise.ServerError)):
        writer(recorder, FakeClock()).create("app", {"Product": "x"})
    assert len(recorder.requests) == 1  # the server does not echo the key: not trusted


def test_a_create_is_resent_under_its_key_where_the_server_honours_it() -> None:
    said = scripted(httpx.ReadError("reset"), httpx.Response(202, json=CREATED))
    writer(said, FakeClock(), idempotency="server").create("app", {"Product": "x"})
    assert len(said.requests) == 2
    key = "jobwise-seen"
    echoed = scripted(
        httpx.Response(202, json=CREATED, headers={"Idempotency-Key": key}),
        httpx.Response(500),
        httpx.Response(202, json=CREATED),
    )
    jobs = writer(echoed, FakeClock())
    assert not jobs.keys_trusted
    jobs.create("app", {"Product": "x"}, idempotency_key=key)
    assert jobs.keys_trusted  # the echo shows the server honours keys
    jobs.create("app", {"Product": "y"})
    assert len(echoed.requests) == 3


def test_caller_idempotency_key_is_used() -> None:
    recorder = scripted(httpx.Response(202, json=CREATED))
    writer(recorder, FakeClock()).create("app", {"P": "x"}, idempotency_key="mine-1")
    assert recorder.requests[0].headers["Idempotency-Key"] == "mine-1"


def test_each_call_gets_its_own_key() -> None:
    recorder = scripted(httpx.Response(202, json=CREATED))
    jobs = writer(recorder, FakeClock())
    jobs.create("app", {"P": "x"})
    jobs.create("app", {"P": "x"})
    assert len({r.headers["Idempotency-Key"] for r in recorder.requests}) == 2


def test_post_without_key_is_not_retried_after_a_server_error() -> None:
    from jobwise._sync.retries import RetryTransport

    clock = FakeClock()
    recorder = scripted(httpx.Response(500), httpx.Response(200))
    transport = RetryTransport(httpx.MockTransport(recorder), RetryPolicy(), clock.sleep, clock)
    with httpx.Client(transport=transport) as http:
        assert http.post("https://x.test/jobs", json={}).status_code == 500
        assert http.post("https://x.test/jobs", json={}).status_code == 200
    assert len(recorder.requests) == 2


def test_post_without_key_is_retried_when_it_never_left() -> None:
    from jobwise._sync.retries import RetryTransport

    clock = FakeClock()
    refused = httpx.ConnectError("refused")
    refused.__cause__ = httpcore.ConnectError("refused")  # as httpx's own transports raise it
    recorder = scripted(refused, httpx.Response(201))
    transport = RetryTransport(httpx.MockTransport(recorder), RetryPolicy(), clock.sleep, clock)
    with httpx.Client(transport=transport) as http:
        assert http.post("https://x.test/jobs", json={}).status_code == 201


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_another_transports_connect_error_on_a_post_may_have_arrived(
    error: type[httpx.TransportError],
) -> None:
    # Before: re-sent (issue 28), though such a transport may say ConnectTimeout after a cut.
    recorder = scripted(error("after a cut?"), httpx.Response(202, json=CREATED))
    with pytest.raises(jobwise.APIConnectionError) as caught:
        writer(recorder, FakeClock()).create("app", {"P": "x"})
    assert caught.value.may_have_arrived
    assert len(recorder.requests) == 1


def test_httpx_own_refused_connection_never_left(unused_tcp_port: int) -> None:
    with pytest.raises(jobwise.APIConnectionError) as caught:
        WriterJobs("k", f"http://127.0.0.1:{unused_tcp_port}", max_retries=0).create(
            "app", {"P": "x"}
        )
    assert not caught.value.may_have_arrived


def test_post_without_key_is_not_retried_after_a_read_error() -> None:
    from jobwise._sync.retries import RetryTransport

    clock = FakeClock()
    recorder = scripted(httpx.ReadError("reset"), httpx.Response(201))
    transport = RetryTransport(httpx.MockTransport(recorder), RetryPolicy(), clock.sleep, clock)
    with httpx.Client(transport=transport) as http, pytest.raises(httpx.ReadError):
        http.post("https://x.test/jobs", json={})


def test_4xx_is_not_retried() -> None:
    clock = FakeClock()
    recorder = scripted(httpx.Response(400, json={}))
    with pytest.raises(jobwise.BadRequestError):
        writer(recorder, clock).retrieve("job-1")
    assert len(recorder.requests) == 1


def test_max_retries_zero_sends_once() -> None:
    clock = FakeClock()
    recorder = scripted(httpx.Response(503))
    with pytest.raises(jobwise.ServerError):
        writer(recorder, clock, max_retries=0).retrieve("job-1")
    assert len(recorder.requests) == 1


async def test_async_retries_the_same_way() -> None:
    clock = FakeClock()
    recorder = scripted(httpx.Response(503), httpx.Response(202, json=CREATED))
    async with async_writer(recorder, clock) as jobs:
        created = await jobs.create("app", {"P": "x"})
        assert jobs.requests_sent == 2
    assert created.id == "job-1"
    assert len({r.headers["Idempotency-Key"] for r in recorder.requests}) == 1
    assert len(clock.sleeps) == 1
