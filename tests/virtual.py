"""Logic tests in virtual time: the emulator app in the test's own event loop (an ASGI
transport, no socket), a client reading that loop's clock, and waits that cost no real time.

>>> @in_virtual_time
... async def test_x() -> None:
...     async with emulated(latency=(1, 2)) as emulator, emulator.client() as jobs:
...         ...
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from email.utils import formatdate
from typing import Any

import httpx
import looptime
from jobwise import AsyncWriterJobs
from jobwise_emulator.app import create_app
from jobwise_emulator.clock import Clock
from jobwise_emulator.config import EmulatorConfig

from tests.recording import TOKEN
from tests.sim.schedule import EPOCH, inline_threads

URL = "http://127.0.0.1:9"
"""The base URL of virtual clients: never dialled, their transport is the app."""
LOOPBACK = 0.001
"""Seconds of a round trip on loopback: as there, no answer comes back in the same instant."""
HANG = 3600.0
"""Virtual seconds after which a test is taken to hang (no test here waits an hour)."""


def in_virtual_time(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test in an event loop of virtual time (looptime), worker threads inline so
    a thread's real time never lets the virtual clock run on; fixtures pass through."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        loop = looptime.new_event_loop(start=0.0, noop_cycles=1)
        try:
            with inline_threads():
                loop.run_until_complete(asyncio.wait_for(test(*args, **kwargs), HANG))
        finally:
            loop.close()

    return run


class _Dropped(Exception):
    """The app returned without an answer: it dropped the connection (a reset fault)."""


class AppTransport(httpx.AsyncBaseTransport):
    """The emulator app as uvicorn serves it: a ``Date`` header on each answer, a dropped
    connection raised as the error a socket gives, and the request's read timeout enforced."""

    def __init__(self, app: Any, wall: Callable[[], float]) -> None:
        self.app = app
        self.wall = wall

    async def _watched(self, scope: Any, receive: Any, send: Any) -> None:
        started = False

        async def watching(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, receive, watching)
        if not started:
            raise _Dropped

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        read = request.extensions.get("timeout", {}).get("read")
        inner = httpx.ASGITransport(app=self._watched)
        await asyncio.sleep(LOOPBACK / 2)
        try:
            async with asyncio.timeout(read):
                response = await inner.handle_async_request(request)
                await response.aread()
        except _Dropped:
            raise httpx.RemoteProtocolError("server disconnected", request=request) from None
        except TimeoutError:
            raise httpx.ReadTimeout("timed out", request=request) from None
        response.headers["date"] = formatdate(self.wall(), usegmt=True)
        await asyncio.sleep(LOOPBACK / 2)
        return response


class Refused(httpx.AsyncBaseTransport):
    """A server that is gone: every connection refused, as a closed port on loopback does."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(LOOPBACK)
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


class Emulated:
    """One emulator app on the running loop's clock, and clients wired to it."""

    def __init__(self, config: EmulatorConfig) -> None:
        loop = asyncio.get_running_loop()
        self.clock = loop.time
        self.app = create_app(config, Clock(loop.time, self.wall))
        self.transport = AppTransport(self.app, self.wall)

    def wall(self) -> float:
        """The wall clock the server and the clients share (virtual seconds past an epoch)."""
        return EPOCH + self.clock()

    @property
    def emulator(self) -> Any:
        """The live state (stores, stats) behind the app."""
        return self.app.state.emulator

    def client(self, **options: Any) -> AsyncWriterJobs:
        """An async Writer client on the loop's clock; ``transport`` may wrap :attr:`transport`."""
        options.setdefault("transport", self.transport)
        return AsyncWriterJobs(
            TOKEN,
            URL,
            sleep=asyncio.sleep,
            clock=self.clock,
            wallclock=self.wall,
            **options,
        )

    def http(self, **options: Any) -> httpx.AsyncClient:
        """A plain httpx client of the app (``options`` as httpx.AsyncClient takes)."""
        return httpx.AsyncClient(transport=self.transport, base_url=URL, **options)

    async def stats(self) -> dict[str, Any]:
        """What ``GET /_emulator/stats`` answers."""
        async with self.http() as http:
            answer: dict[str, Any] = (await http.get("/_emulator/stats")).json()
        return answer


@contextlib.asynccontextmanager
async def emulated(**options: Any) -> AsyncIterator[Emulated]:
    """An in-process emulator with EmulatorConfig's ``options`` (as ``run_emulator`` takes), on
    the fast profile unless they name one (the tests' jobs are short and their limits explicit)."""
    yield Emulated(EmulatorConfig(**{"profile": "fast", **options}))
