"""The network between the engine and the emulator app: an ASGI transport with seeded faults,
a round trip, and the ``Date`` header a real server (uvicorn) would add."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from email.utils import formatdate

import httpx
from starlette.applications import Starlette

from tests.sim.world import World

WRITER_ERROR = {"tpe": "InternalError", "errors": [{"description": "simulated", "key": "x"}]}


class Server:
    """The emulator app of the moment (a restart replaces it) and the server's clock."""

    def __init__(self, app: Starlette, wall: Callable[[], float]) -> None:
        self.app = app
        self.wall = wall


class FaultyNetwork(httpx.AsyncBaseTransport):
    """Each request meets at most one fault of the world's, drawn from ``rng``."""

    def __init__(self, world: World, server: Server, rng: random.Random, tally: Counter[str]):
        self.world = world
        self.server = server
        self.rng = rng
        self.tally = tally

    def _fault(self) -> str | None:
        if self.world.fault_rate and self.rng.random() < self.world.fault_rate:
            return self.rng.choice(self.world.faults)
        return None

    async def _through(self, request: httpx.Request) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.server.app)
        response = await transport.handle_async_request(request)
        await response.aread()
        response.headers["date"] = formatdate(self.server.wall(), usegmt=True)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        if self.world.rtt:
            await asyncio.sleep(self.rng.uniform(0.25, 0.75) * self.world.rtt)
        fault = self._fault()
        if fault is not None:
            self.tally[fault] += 1
        timeout = self.world.timeout * 3
        match fault:
            case "connect_refused":
                raise httpx.ConnectError("sim: connection refused", request=request)
            case "reset_before":
                raise httpx.RemoteProtocolError(
                    "sim: reset before the server read it", request=request
                )
            case "error_before":
                status = self.rng.choice((500, 502, 503, 504))
                return httpx.Response(status, json=WRITER_ERROR, request=request)
            case "throttle" | "throttle_bare":
                headers = {"Retry-After": "1"} if fault == "throttle" else {}
                return httpx.Response(429, json=WRITER_ERROR, headers=headers, request=request)
            case "slow_before":
                await asyncio.sleep(timeout)
            case "held":
                await asyncio.sleep(self.rng.uniform(0, self.world.timeout * 0.8))
        response = await self._through(request)
        if self.world.rtt:
            await asyncio.sleep(self.rng.uniform(0.25, 0.75) * self.world.rtt)
        match fault:
            case "reset_after":
                raise httpx.ReadError("sim: reset after the server answered", request=request)
            case "error_after":
                return httpx.Response(500, json=WRITER_ERROR, request=request)
            case "html_after":
                html = "<html><body>502 Bad Gateway</body></html>"
                return httpx.Response(
                    200, text=html, headers={"content-type": "text/html"}, request=request
                )
            case "slow_after":
                await asyncio.sleep(timeout)
        return response
