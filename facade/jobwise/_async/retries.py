"""The retry transport: re-sends what :class:`jobwise.retries.Attempts` allows, below the
generated code, so a recorder such as vcrpy sees every attempt. Each attempt reads its whole
answer within the bounds of :mod:`jobwise.attempts`, so a body cut short is retried like any
failed attempt (when the request is safe to send again). The transports below it see each
attempt: whether it may have reached the server (exposed.py), whether the server echoes keys
(echoed.py), the rate budget (pacing.py), the server's clock (dated.py)."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx

from jobwise.attempts import MAX_RESPONSE_BYTES, AsyncTimeLimit, Attempt, CallLimits
from jobwise.errors import InvalidResponseError
from jobwise.http import header_text, header_values
from jobwise.retries import Outcome, Retrying, RetryPolicy, final, retryable_status
from jobwise.signals import TransportSignals
from jobwise.transports import ReadResponse, read_copy, translated, translated_body


def _chunks(response: httpx.Response, encoded: bool) -> AsyncIterator[bytes]:
    """The body's chunks as they come: straight from its stream when nothing decodes them (no
    Content-Encoding), else through httpx's decoders. httpx's own iteration wraps each chunk
    in three generators and four context managers, whatever the encoding: 5.0 of the 37 s a
    create spent in jobwise's layers (micro: 20,000 creates over a fake network)."""
    stream = response.stream
    if isinstance(stream, httpx.AsyncByteStream) and not response.is_closed and not encoded:
        return stream.__aiter__()
    return response.aiter_bytes()


async def read_whole(response: httpx.Response, attempt: Attempt) -> httpx.Response:
    """The answer with its body read (decoded) within the attempt's time and size."""
    if response.is_stream_consumed:  # already in memory: a mock's or a recorder's answer
        attempt.check(len(response.content))
        return response
    chunks: list[bytes] = []
    size = 0
    headers = response.headers
    found = header_values(headers, b"content-length", b"content-encoding")
    lengths, encoded = found[b"content-length"], bool(found[b"content-encoding"])
    try:
        declared = header_text(headers, "content-length", lengths) or ""
        attempt.check(int(declared) if declared.isdigit() else 0)
        attempt.cut_reads()  # the body's reads wait no longer than the time left
        async for chunk in _chunks(response, encoded):
            size += len(chunk)
            attempt.check(size)
            chunks.append(chunk)
    except httpx.DecodingError as exc:
        raise InvalidResponseError(
            f"{attempt.request.method} {attempt.request.url.path} "
            f"answered a body that cannot be decoded: {exc}"
        ) from exc
    finally:
        await response.aclose()
    body = b"".join(chunks)
    if lengths and not encoded:  # read_copy's own case for it, told by the pass above
        return ReadResponse(response, headers, body, attempt.request)
    if encoded:  # the body is decoded now: say so
        headers = headers.copy()
        del headers["content-encoding"]
        headers.pop("content-length", None)
    return read_copy(response, headers, body, attempt.request)


class AsyncRetryTransport(Retrying, httpx.AsyncBaseTransport):
    """Wraps a transport; ``signals.sent`` counts every attempt."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        signals: TransportSignals | None = None,
    ) -> None:
        super().__init__(policy, clock, rng, signals)
        self.inner = inner
        self.sleep = sleep
        self.max_response_bytes = max_response_bytes

    async def _send(self, request: httpx.Request, limits: CallLimits) -> Outcome:
        self.signals.sent += 1
        attempt = limits.attempt()
        try:
            async with AsyncTimeLimit(attempt):
                response = await self.inner.handle_async_request(request)
                return await read_whole(response, attempt)
        except httpx.TransportError as exc:
            return exc

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = self.clock()
        limits = CallLimits(
            request, started, self.policy.deadline, self.max_response_bytes, self.clock
        )
        outcome = await self._send(request, limits)
        if isinstance(outcome, httpx.Response) and not retryable_status(outcome.status_code):
            return outcome  # the common case: no retry bookkeeping at all
        attempts = self.attempts(request, limits.ends)
        while (delay := self.delay(attempts, outcome)) is not None:
            await self.sleep(delay)
            outcome = await self._send(request, limits)
        return final(outcome)

    async def aclose(self) -> None:
        await self.inner.aclose()


class AsyncViaClient(httpx.AsyncBaseTransport):
    """A transport that sends through a caller's httpx client (its proxies, TLS, hooks), the
    errors of an httpx-aiohttp client (writer-sdk's ``DefaultAioHttpClient``) made precise."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with translated(request):
            response = await self.client.send(request, stream=True)
        return translated_body(response, request)

    async def aclose(self) -> None:
        """The caller owns the client: leave it open."""
