"""The echo transport: learns whether the server honours Idempotency-Key, from a POST's answer
that echoes the request's key back (as Stripe's does), and says so in
:class:`jobwise.signals.TransportSignals` (``keys_trusted``), which the retries read."""

from __future__ import annotations

import httpx

from jobwise.signals import TransportSignals


class AsyncEchoTransport(httpx.AsyncBaseTransport):
    """Looks at POST answers until the server is trusted, then only passes requests on."""

    def __init__(self, inner: httpx.AsyncBaseTransport, signals: TransportSignals) -> None:
        self.inner = inner
        self.signals = signals

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not self.signals.keys_trusted and request.method == "POST":
            self.signals.heard(request, response)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
