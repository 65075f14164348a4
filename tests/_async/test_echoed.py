"""The echo transport: keys are trusted once a POST's answer echoes its Idempotency-Key."""

from __future__ import annotations

import httpx
from jobwise._async.echoed import AsyncEchoTransport
from jobwise.signals import TransportSignals

KEY = "batch-b1-item-0-key"


def echoing(key: str) -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: httpx.Response(202, headers={"idempotency-key": key})
    )


async def send(transport: httpx.AsyncBaseTransport, method: str) -> None:
    request = httpx.Request(method, "https://x.test/jobs", headers={"idempotency-key": KEY})
    await transport.handle_async_request(request)


async def test_a_post_answered_with_its_own_key_makes_keys_trusted() -> None:
    signals = TransportSignals()
    await send(AsyncEchoTransport(echoing("another-key-entirely"), signals), "POST")
    assert not signals.keys_trusted  # an echo of another key says nothing
    await send(AsyncEchoTransport(echoing(KEY), signals), "GET")
    assert not signals.keys_trusted  # only a POST's answer counts
    await send(AsyncEchoTransport(echoing(KEY), signals), "POST")
    assert signals.keys_trusted
