"""The redacting transport: credentials a server sends back (the bearer token, an echoed
Idempotency-Key) are replaced in the answer the retries hand up, read whole, before anything
above reads it (see :mod:`jobwise.redaction`)."""

from __future__ import annotations

import httpx

from jobwise.redaction import redacted


class AsyncRedactingTransport(httpx.AsyncBaseTransport):
    """Goes above the retries, whose answers are read whole."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return redacted(await self.inner.handle_async_request(request), request)

    async def aclose(self) -> None:
        await self.inner.aclose()
