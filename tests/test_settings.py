"""Configuration from arguments and environment; secrets never shown; plain http refused."""

from __future__ import annotations

import logging

import httpx
import jobwise
import pytest
from jobwise import AsyncWriterJobs, OsapiJobs, WriterJobs

from .fakes import FakeClock, job_body, scripted

SECRET = "sk-very-secret-value"


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WRITER_API_KEY", raising=False)
    with pytest.raises(jobwise.InvalidArgumentError, match="WRITER_API_KEY"):
        WriterJobs()


def test_environment_supplies_key_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WRITER_API_KEY", SECRET)
    monkeypatch.setenv("WRITER_BASE_URL", "https://writer.example.test/")
    assert WriterJobs().base_url == "https://writer.example.test"


def test_default_base_url_is_writers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WRITER_BASE_URL", raising=False)
    assert WriterJobs(SECRET).base_url == "https://api.writer.com"


def test_osapi_needs_url_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OSAPI_URL", raising=False)
    monkeypatch.delenv("OSAPI_TOKEN", raising=False)
    with pytest.raises(jobwise.InvalidArgumentError, match="OSAPI_URL"):
        OsapiJobs(token="t")
    with pytest.raises(jobwise.InvalidArgumentError, match="OSAPI_TOKEN"):
        OsapiJobs("http://127.0.0.1:8080")
    monkeypatch.setenv("OSAPI_URL", "http://localhost:8080/api")
    monkeypatch.setenv("OSAPI_TOKEN", SECRET)
    assert OsapiJobs().base_url == "http://localhost:8080/api"


@pytest.mark.parametrize("url", ["ftp://x", "not a url", "", "https://", "https://u:p@host"])
def test_bad_base_url_is_refused(url: str) -> None:
    with pytest.raises(jobwise.InvalidArgumentError, match="base_url"):
        WriterJobs(SECRET, url)


@pytest.mark.parametrize("url", ["https://api.writer.com/v1", "https://gw.example.test/w/V1/"])
def test_a_writer_base_url_ending_in_v1_is_refused_with_the_fix(url: str) -> None:
    """Every route carries /v1: such a base asked for /v1/v1/... and a 404 said "no such
    application"."""
    with pytest.raises(jobwise.InvalidArgumentError, match=r"must not end in /v1.*pass 'https"):
        WriterJobs(SECRET, url)
    assert WriterJobs(SECRET, "https://gw.example.test/v1x").base_url.endswith("/v1x")


def test_plain_http_to_a_remote_host_needs_opt_in() -> None:
    with pytest.raises(jobwise.InvalidArgumentError, match="allow_insecure"):
        WriterJobs(SECRET, "http://api.example.test")
    assert WriterJobs(SECRET, "http://api.example.test", allow_insecure=True)
    assert WriterJobs(SECRET, "http://127.0.0.1:9")
    assert WriterJobs(SECRET, "http://[::1]:9")
    assert OsapiJobs("http://localhost:8080", SECRET)


@pytest.mark.parametrize("key", ["", "   ", "two words", "line\nbreak"])
def test_malformed_key_is_refused(key: str) -> None:
    with pytest.raises(jobwise.InvalidArgumentError, match="api_key"):
        WriterJobs(key, "https://x.test")


def test_key_never_in_repr_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    recorder = scripted(httpx.Response(503), httpx.Response(401, json={"message": "bad key"}))
    jobs = WriterJobs(
        SECRET, "https://x.test", http_client=recorder.sync_client(), sleep=clock.sleep, clock=clock
    )
    with pytest.raises(jobwise.AuthenticationError) as caught:
        jobs.retrieve("job-1")
    assert recorder.requests[0].headers["Authorization"] == f"Bearer {SECRET}"
    texts = [
        repr(jobs),
        str(jobs),
        str(caught.value),
        repr(caught.value),
        caplog.text,
        repr(vars(caught.value)),
    ]
    assert "retry 1 of 4" in caplog.text
    for text in texts:
        assert SECRET not in text


async def test_injected_http_client_keeps_auth_base_url_and_its_headers() -> None:
    recorder = scripted(httpx.Response(200, json=job_body()))
    user_client = httpx.AsyncClient(
        transport=httpx.MockTransport(recorder), headers={"X-Team": "blue"}
    )
    async with AsyncWriterJobs(SECRET, "https://x.test", http_client=user_client) as jobs:
        await jobs.retrieve("job-1")
    sent = recorder.requests[0]
    assert sent.headers["Authorization"] == f"Bearer {SECRET}"
    assert sent.headers["X-Team"] == "blue"
    assert str(sent.url) == "https://x.test/v1/applications/jobs/job-1"
    assert not user_client.is_closed
    await user_client.aclose()


def test_wrong_kind_of_http_client_is_refused() -> None:
    with pytest.raises(jobwise.InvalidArgumentError, match="http_client"):
        WriterJobs(SECRET, "https://x.test", http_client=httpx.AsyncClient())  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout", [0, -1, "10", True])
def test_bad_timeout_is_refused(timeout: object) -> None:
    with pytest.raises(jobwise.InvalidArgumentError, match="timeout"):
        WriterJobs(SECRET, "https://x.test", timeout=timeout)  # type: ignore[arg-type]


def test_per_call_timeout_reaches_the_request() -> None:
    recorder = scripted(httpx.Response(200, json=job_body()))
    jobs = WriterJobs(SECRET, "https://x.test", http_client=recorder.sync_client(), timeout=30)
    jobs.retrieve("job-1", timeout=2.5)
    jobs.retrieve("job-1")
    # Each phase waits at most the time left of its attempt, which has just begun.
    assert 2 < recorder.requests[0].extensions["timeout"]["read"] <= 2.5
    assert 29 < recorder.requests[1].extensions["timeout"]["read"] <= 30


def test_times_are_timezone_aware() -> None:
    recorder = scripted(httpx.Response(200, json=job_body(updated_at="2025-02-10T18:18:09")))
    job = WriterJobs(SECRET, "https://x.test", http_client=recorder.sync_client()).retrieve("job-1")
    assert job.created_at.tzinfo is not None
    assert not isinstance(job.updated_at, jobwise.Unset) and job.updated_at is not None
    assert job.updated_at.tzinfo is not None
    parsed = jobwise.parse_time("2025-06-14T10:00:00.123456789Z")
    assert parsed is not None and parsed.tzinfo is not None
    assert jobwise.parse_time("Wed, 21 Oct 2015 07:28:00 GMT") is not None


def test_osapi_under_api_prefix_keeps_the_prefix() -> None:
    recorder = scripted(httpx.Response(200, json={"total_items": 0, "items": []}))
    jobs = OsapiJobs("http://127.0.0.1:8080/api", SECRET, http_client=recorder.sync_client())
    assert list(jobs.list()) == []
    assert recorder.requests[0].url.path == "/api/job"


def test_rate_limit_from_argument_or_writer_rpm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WRITER_RPM", "200")
    assert WriterJobs(SECRET).rate_limit == 200
    assert WriterJobs(SECRET, rate_limit=50).rate_limit == 50  # the argument wins
    monkeypatch.delenv("WRITER_RPM")
    assert AsyncWriterJobs(SECRET).rate_limit is None  # learned from the server, if it tells
    assert OsapiJobs("http://127.0.0.1:8080", SECRET, rate_limit=120).rate_limit == 120


@pytest.mark.parametrize(
    ("rpm", "env", "named"),
    [
        (0, None, "rate_limit"),
        (True, None, "rate_limit"),
        (None, "fast", "WRITER_RPM"),
        (None, "-3", "WRITER_RPM"),
        (None, "inf", "WRITER_RPM"),
    ],
)
def test_bad_rate_limit_is_refused_up_front(
    monkeypatch: pytest.MonkeyPatch, rpm: object, env: str | None, named: str
) -> None:
    if env is None:
        monkeypatch.delenv("WRITER_RPM", raising=False)
    else:
        monkeypatch.setenv("WRITER_RPM", env)
    with pytest.raises(jobwise.InvalidArgumentError, match=named):
        WriterJobs(SECRET, rate_limit=rpm)  # type: ignore[arg-type]


def test_a_batch_refuses_a_bad_rate_limit_before_sending() -> None:
    with WriterJobs(SECRET, transport=httpx.MockTransport(lambda _: httpx.Response(500))) as jobs:
        with pytest.raises(jobwise.InvalidArgumentError, match="rate_limit"):
            jobs.run_batch("app", [{"a": "b"}], rate_limit=-1)
        assert jobs.requests_sent == 0
