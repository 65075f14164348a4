"""The retry transport: re-sends what :class:`jobwise.retries.Attempts` allows, below the
generated code, so a recorder such as vcrpy sees every attempt."""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable

import httpx

from jobwise.retries import Outcome, Retrying, RetryPolicy, final, retryable_status


class AsyncRetryTransport(Retrying, httpx.AsyncBaseTransport):
    """Wraps a transport; ``sent`` counts every attempt."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(policy, clock, rng)
        self.inner = inner
        self.sleep = sleep

    async def _send(self, request: httpx.Request) -> Outcome:
        self.sent += 1
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError as exc:
            return exc
        if not self.keys_trusted and request.method == "POST":
            self.heard(request, response)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = self.clock()
        outcome = await self._send(request)
        if isinstance(outcome, httpx.Response) and not retryable_status(outcome.status_code):
            return outcome  # the common case: no retry bookkeeping at all
        attempts = self.attempts(request, started)
        while (delay := self.delay(attempts, outcome)) is not None:
            if isinstance(outcome, httpx.Response):
                await outcome.aclose()
            await self.sleep(delay)
            outcome = await self._send(request)
        return final(outcome)

    async def aclose(self) -> None:
        await self.inner.aclose()


class AsyncViaClient(httpx.AsyncBaseTransport):
    """A transport that sends through a caller's httpx client (its proxies, TLS, hooks)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.client.send(request, stream=True)

    async def aclose(self) -> None:
        """The caller owns the client: leave it open."""
