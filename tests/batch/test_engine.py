"""The engine as a whole against the emulator: every input once with its own result, at the
server's rate."""

from __future__ import annotations

from pathlib import Path

import httpcore
import httpx
import pytest
from jobwise import ServerUnavailableError
from jobwise.batch.health import UNREACHABLE, WATCH_TICK

from ..virtual import emulated, in_virtual_time
from .support import products


@in_virtual_time
async def test_every_input_comes_back_once_with_its_own_result(tmp_path: Path) -> None:
    async with emulated(latency=(0.05, 0.3), seed=11) as server, server.client() as jobs:
        run = jobs.run_batch(
            "b1", iter(products(120)), concurrency=8, state=str(tmp_path / "s.sqlite")
        )
        items = [item async for item in run]
        created = (await server.stats())["jobs_created"]
    assert sorted(item.index for item in items) == list(range(120))
    for item in items:
        assert item.status == "completed"
        assert item.suggestion is not None and f"product {item.index}" in item.suggestion
        assert item.inputs == {"Product": [f"product {item.index}"]}
    assert created == 120
    summary = run.summary()
    assert summary["counts"] == {"completed": 120}
    assert summary["requests"] <= 120 * 1.5


@in_virtual_time
async def test_the_rate_budget_rides_out_429s() -> None:
    async with emulated(latency=(0.01, 0.05), rate_limit=40, seed=14) as server:
        async with server.client() as jobs:
            run = jobs.run_batch("b5", products(150), concurrency=32)
            items = [item async for item in run]
        seen = await server.stats()
    assert len(items) == 150 and all(i.status == "completed" for i in items)
    assert seen["faults"]["rate_limited"] > 0
    assert seen["jobs_created"] == 150
    learned = run.summary()["rate_limit"]  # paced about the emulator's 40 a second
    # Within two probes of it: the bucket's burst of 40 hides a pace 5 or 10 % over its rate for
    # the few seconds a probe lasts here (the next 429 takes it back).
    assert learned is not None and learned <= 1.1 * 40 * 60


@in_virtual_time
async def test_a_given_rate_limit_meets_the_server_without_429s() -> None:
    async with emulated(latency=(0.01, 0.05), rate_limit=40, seed=16) as server:
        async with server.client() as jobs:
            run = jobs.run_batch("b5", products(100), concurrency=32, rate_limit=30 * 60)
            items = [item async for item in run]
        seen = await server.stats()
    assert len(items) == 100 and all(i.status == "completed" for i in items)
    assert seen["faults"].get("rate_limited", 0) == 0
    assert jobs.rate_limit == 30 * 60


def _refused(request: httpx.Request) -> httpx.ConnectError:
    """A connection refused, as httpx's own pool raises it (its cause says it never left)."""
    error = httpx.ConnectError("Cannot connect to host 127.0.0.1:1", request=request)
    error.__cause__ = httpcore.ConnectError("[Errno 111] Connection refused")
    return error


class _Refusing(httpx.AsyncBaseTransport):
    """Nothing listens: every connection is refused, as at a wrong port."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise _refused(request)


@in_virtual_time
async def test_a_server_never_reached_stops_the_batch_in_seconds_not_a_minute() -> None:
    """Every connection refused from the start: nothing was sent, so the batch stops after
    UNREACHABLE seconds, not stall_timeout's 60 (a batch against 127.0.0.1:1 waited 60 s)."""
    async with emulated() as server, server.client(transport=_Refusing()) as jobs:
        started = server.clock()
        with pytest.raises(ServerUnavailableError, match="Cannot connect") as stopped:
            async for _ in jobs.run_batch("b4", iter(products(5))):
                pass
        took = server.clock() - started
        created = (await server.stats())["jobs_created"]
    assert UNREACHABLE <= took <= UNREACHABLE + 2 * WATCH_TICK, stopped.value
    assert created == 0


@in_virtual_time
async def test_a_server_that_answered_once_keeps_the_whole_stall_timeout() -> None:
    """Refused only after a first answer (a server that went down): stall_timeout holds."""
    refusing = False

    class Failing(httpx.AsyncBaseTransport):
        def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal refusing
            if refusing:
                raise _refused(request)
            answer = await self.inner.handle_async_request(request)
            refusing = request.method == "POST"  # down after the first create's answer
            return answer

    async with (
        emulated(latency=(30.0, 30.0)) as server,
        server.client(transport=Failing(server.transport)) as jobs,
    ):
        started = server.clock()
        with pytest.raises(ServerUnavailableError):
            async for _ in jobs.run_batch("b5", iter(products(3)), stall_timeout=20):
                pass
        took = server.clock() - started
    assert took >= 20
