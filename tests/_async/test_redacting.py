"""The redacting transport: no credential of the request comes back in its answer."""

from __future__ import annotations

import httpx
from jobwise._async.redacting import AsyncRedactingTransport

TOKEN = "secret-token-0123456789"


async def test_the_token_echoed_in_body_and_headers_is_replaced() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, headers={"x-seen": TOKEN}, json={"error": f"bad {TOKEN}"})

    transport = AsyncRedactingTransport(httpx.MockTransport(echo))
    request = httpx.Request("GET", "https://x.test/", headers={"authorization": f"Bearer {TOKEN}"})
    response = await transport.handle_async_request(request)
    await response.aread()
    assert TOKEN not in response.text and TOKEN not in str(response.headers)
    assert response.json() == {"error": "bad [redacted]"}
