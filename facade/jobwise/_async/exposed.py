"""The exposed transport: records, for a batch that asks (:data:`jobwise.attempts.EXPOSURE`),
whether each attempt's request may have reached the server, so that a create cancelled when a
run stops that certainly never left goes back to ``pending`` instead of being settled."""

from __future__ import annotations

import httpx

from jobwise.attempts import EXPOSURE
from jobwise.retries import never_sent


class AsyncExposedTransport(httpx.AsyncBaseTransport):
    """Goes right below the retries: each attempt is one exposure."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        exposure = EXPOSURE.get()
        if exposure is None:
            return await self.inner.handle_async_request(request)
        exposure.began()
        left = True  # answered, cut at the attempt's end, or cancelled: it may have left
        try:
            return await self.inner.handle_async_request(request)
        except httpx.TransportError as exc:
            left = not never_sent(exc)
            raise
        finally:
            exposure.ended(never_sent=not left)

    async def aclose(self) -> None:
        await self.inner.aclose()
