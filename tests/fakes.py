"""Test doubles: a fake clock whose sleep advances it, a scripted HTTP server, and Writer clients
of the two."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from jobwise import AsyncWriterJobs, WriterJobs

Handler = Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """``clock()`` reads the time; ``sleep(s)`` advances it and records the pause."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


class Recorder:
    """Wraps a handler; keeps every request it saw."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def sync_client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def async_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


def job_body(job_id: str = "job-1", status: str = "in_progress", **extra: Any) -> dict[str, Any]:
    body = {
        "id": job_id,
        "status": status,
        "application_id": "app",
        "created_at": "2025-02-10T18:18:09Z",
    }
    body.update(extra)
    return body


def scripted(*responses: httpx.Response | Exception) -> Recorder:
    """Answers in order; the last answer repeats."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return Recorder(handler)


API = "https://api.example.test"


def writer(recorder: Recorder, clock: FakeClock, **options: Any) -> WriterJobs:
    """A Writer client whose requests ``recorder`` answers, sleeping on ``clock``."""
    client = recorder.sync_client()
    return WriterJobs("k", API, http_client=client, sleep=clock.sleep, clock=clock, **options)


def async_writer(recorder: Recorder, clock: FakeClock, **options: Any) -> AsyncWriterJobs:
    """The async :func:`writer`."""
    client = recorder.async_client()
    return AsyncWriterJobs("k", API, http_client=client, sleep=clock.asleep, clock=clock, **options)
