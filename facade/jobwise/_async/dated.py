"""The dated transport: each answer's ``Date`` header narrows the bounds of the server's
clock (:class:`jobwise.server_clock.ServerClock`), read against the client's steady wall clock
just before the request left and just after its answer came."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from jobwise.http import header_text, header_values
from jobwise.server_clock import ServerClock


class AsyncDatedTransport(httpx.AsyncBaseTransport):
    """Goes right above the network transport, below the pacing, so that the time a request
    waited for its turn is not taken for the server's."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, clock: ServerClock, wall: Callable[[], float]
    ) -> None:
        self.inner = inner
        self.clock = clock
        self.wall = wall

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = self.wall()
        response = await self.inner.handle_async_request(request)
        headers = response.headers
        date = header_text(headers, "date", header_values(headers, b"date")[b"date"])
        self.clock.observe(date, sent, self.wall())
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
