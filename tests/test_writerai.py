"""Coming from writer-sdk: a configured writerai client's settings, and every answer's headers."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import jobwise
import pytest
import writerai
from jobwise import AsyncWriterJobs, OsapiJobs, WriterJobs
from jobwise_emulator import run_emulator

from .cli_support import TOKEN
from .fakes import FakeClock, job_body, scripted


def _unused(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"sent through writerai's own client: {request.url}")


def test_from_writerai_keeps_key_and_base_url_and_sends_through_jobwise_retries() -> None:
    writer = writerai.Writer(
        api_key="key-from-writerai",
        base_url="https://writer.example.test/",
        timeout=7,
        max_retries=2,
        http_client=httpx.Client(transport=httpx.MockTransport(_unused)),
    )
    recorder = scripted(httpx.Response(500, json={}), httpx.Response(200, json=job_body()))
    clock = FakeClock()
    with WriterJobs.from_writerai(
        writer, transport=httpx.MockTransport(recorder), sleep=clock.sleep, clock=clock
    ) as jobs:
        assert jobs.retrieve("job-1").id == "job-1"
        assert jobs.base_url == "https://writer.example.test"
        assert jobs._connection.http.timeout == httpx.Timeout(7)
    first, retried = recorder.requests  # the 500 was retried by jobwise, once
    for request in (first, retried):
        assert request.url == "https://writer.example.test/v1/applications/jobs/job-1"
        assert request.headers["authorization"] == "Bearer key-from-writerai"
    assert len(clock.sleeps) == 1


def test_from_writerai_takes_max_retries_and_options_override() -> None:
    writer = writerai.Writer(api_key="k", base_url="https://w.example.test", max_retries=1)
    recorder = scripted(httpx.Response(503, json={}))
    clock = FakeClock()
    transport = httpx.MockTransport(recorder)
    with (
        pytest.raises(jobwise.InternalServerError),
        WriterJobs.from_writerai(writer, transport=transport, sleep=clock.sleep) as jobs,
    ):
        jobs.retrieve("job-1")
    assert len(recorder.requests) == 2  # writerai's max_retries=1
    with WriterJobs.from_writerai(writer, transport=transport, timeout=3) as jobs:
        assert jobs._connection.http.timeout == httpx.Timeout(3)


async def test_async_from_writerai_keeps_key_and_base_url() -> None:
    writer = writerai.AsyncWriter(api_key="async-key", base_url="https://a.example.test")
    recorder = scripted(httpx.Response(200, json=job_body()))
    async with AsyncWriterJobs.from_writerai(
        writer, transport=httpx.MockTransport(recorder)
    ) as jobs:
        await jobs.retrieve("job-1")
        assert jobs._connection.http.timeout == writer.timeout
    (request,) = recorder.requests
    assert request.url.host == "a.example.test"
    assert request.headers["authorization"] == "Bearer async-key"


def test_from_writerai_refuses_another_object() -> None:
    with pytest.raises(jobwise.InvalidArgumentError, match=r"writerai\.Writer"):
        WriterJobs.from_writerai(object())  # type: ignore[arg-type]


def test_on_response_sees_every_answer_with_its_headers() -> None:
    seen: list[tuple[int, str]] = []
    recorder = scripted(
        httpx.Response(200, json=job_body(), headers={"X-Request-Id": "req-1"}),
        httpx.Response(404, json={"message": "no"}, headers={"X-Request-Id": "req-2"}),
    )
    with WriterJobs(
        "k",
        "https://api.example.test",
        transport=httpx.MockTransport(recorder),
        on_response=lambda response: seen.append(
            (response.status_code, response.headers["x-request-id"])
        ),
    ) as jobs:
        jobs.retrieve("job-1")
        with pytest.raises(jobwise.NotFoundError):
            jobs.retrieve("job-1")
    assert seen == [(200, "req-1"), (404, "req-2")]


def test_on_response_must_be_a_plain_callable() -> None:
    async def hook(response: httpx.Response) -> None: ...

    with pytest.raises(jobwise.InvalidArgumentError, match="on_response"):
        OsapiJobs("http://localhost:1", "t", on_response=hook)  # type: ignore[arg-type]


def test_the_readme_example_prints_each_answers_status(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("\n## Coming from writer-sdk\n") :]
    (code,) = re.findall(r"```python\n(.*?)```", section[: section.index("\n## ", 5)], re.S)
    with run_emulator(profile="fast", latency=(0.0, 0.01), seed=3) as server:
        monkeypatch.setenv("WRITER_API_KEY", TOKEN)
        monkeypatch.setenv("WRITER_BASE_URL", server.base_url)
        exec(compile(code, "README.md", "exec"), {})
    statuses = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert statuses[0] == "202" and len(statuses) >= 2  # the create, then each poll
    assert set(statuses[1:]) == {"200"}
