"""ASGI middleware: route labels and stats, then the seeded faults of the options."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.routing import Route

from jobwise_emulator.connections import drop
from jobwise_emulator.errors import OSAPI, WRITER, api_error
from jobwise_emulator.ratelimit import SlidingWindow, TokenBucket
from jobwise_emulator.state import EmulatorState

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class FaultMiddleware:
    """Labels each request by route, counts its answer, and injects the configured faults."""

    def __init__(self, app: ASGIApp, state: EmulatorState, routes: list[Route]):
        self.app = app
        self.config = config = state.config
        self.stats = state.stats
        self.routes = routes
        self.script = state.script
        self.osapi_job = f"{config.osapi_prefix}/job"
        self.echo_keys = state.idempotency.honour
        rng = random.Random(f"faults-{config.seed}")
        names = ("error", "reset", "slow", "throttle")
        self.rngs = {name: random.Random(rng.random()) for name in names}
        self.bucket = (
            TokenBucket(config.per_second(config.rate_limit), state.clock.now)
            if config.rate_limit
            else None
        )
        self.window = (
            SlidingWindow(int(config.writer_rpm), config.seconds(60.0), state.clock.now)
            if config.writer_rpm
            else None
        )

    def _api_of(self, path: str) -> str | None:
        if path.startswith("/v1/"):
            return WRITER
        if path == self.osapi_job or path.startswith(self.osapi_job + "/"):
            return OSAPI
        return None

    def _label(self, method: str, path: str) -> str:
        for route in self.routes:
            if route.path_regex.match(path) and (route.methods is None or method in route.methods):
                return f"{method} {route.path}"
        return f"{method} (unrouted)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        label = self._label(scope["method"], scope["path"])
        key = _header(scope, b"idempotency-key") if self.echo_keys else None
        api = self._api_of(scope["path"])
        # A network's round trip, half each way: the API's answers only (not the admin routes).
        one_way = self.config.rtt / 2 if api is not None else 0.0

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.stats.count(label, message["status"])
                if key is not None:  # honour mode echoes the key on every answer, as Stripe
                    message["headers"] = [*message.get("headers", []), (b"idempotency-key", key)]
                if one_way:
                    await asyncio.sleep(one_way)
            await send(message)

        if api is None:
            await self.app(scope, receive, counting_send)
            return
        if one_way:
            await asyncio.sleep(one_way)
        fault = await self._fault(api, scope)
        if fault is not None:
            await fault(scope, receive, counting_send)
            return
        if self.config.reset_rate and self.rngs["reset"].random() < self.config.reset_rate:
            await self._reset(scope, receive, label)
            return
        await self.app(scope, receive, counting_send)

    async def _fault(self, api: str, scope: Scope) -> ASGIApp | None:
        config = self.config
        if self.script:
            status, headers = self.script.pop(0)
            self.stats.faults["scripted"] += 1
            response = api_error(api, status, f"Scripted answer {status}", "fail.scripted")
            response.headers.update(headers)
            return response
        if api == OSAPI:  # osapi has no rate limit and never answers 429
            return await self._server_fault(api)
        wait = self.bucket.take() if self.bucket is not None else 0.0
        if not wait and self.window is not None:
            token = (_header(scope, b"authorization") or b"").decode("latin-1")
            wait = self.window.take(token)
        if wait:
            self.stats.faults["rate_limited"] += 1
            return self._throttled(api, "Rate limit exceeded", wait)
        if config.throttle_rate and self.rngs["throttle"].random() < config.throttle_rate:
            self.stats.faults["throttled"] += 1
            return self._throttled(api, "Too many requests", 0.2)
        return await self._server_fault(api)

    def _throttled(self, api: str, message: str, wait: float) -> ASGIApp:
        """A 429, saying when to come back (``wait`` seconds) only with ``retry_after``: no
        Writer page documents Retry-After."""
        response = api_error(api, 429, message, "fail.rate_limit")
        if self.config.retry_after:
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            response.headers["retry-after-ms"] = str(max(1, math.ceil(wait * 1000)))
        return response

    async def _server_fault(self, api: str) -> ASGIApp | None:
        config = self.config
        if config.error_rate and self.rngs["error"].random() < config.error_rate:
            self.stats.faults["server_error"] += 1
            status = self.rngs["error"].choice((500, 503))
            response = api_error(api, status, "Simulated server error", "fail.internal")
            if status == 503:
                response.headers["Retry-After"] = "1"
                response.headers["retry-after-ms"] = "50"
            return response
        if config.slow_rate and self.rngs["slow"].random() < config.slow_rate:
            self.stats.faults["slow"] += 1
            await asyncio.sleep(config.seconds(config.slow_seconds))
        return None

    async def _reset(self, scope: Scope, receive: Receive, label: str) -> None:
        """Drop the connection: half the time before the handler runs, half after."""
        after = self.rngs["reset"].random() < 0.5
        self.stats.faults["reset_after" if after else "reset_before"] += 1
        if after:

            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
        self.stats.count(label, 0)
        drop(dict(scope))


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return None
