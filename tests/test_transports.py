"""The default async transport: httpx-aiohttp's when installed, with precise httpx errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from jobwise import transports
from jobwise._async.retries import AsyncRetryTransport, AsyncViaClient
from jobwise._sync.retries import ViaClient
from jobwise.retries import RetryPolicy, never_sent
from jobwise.transports import AiohttpTransport, default_async_transport

aiohttp = pytest.importorskip("aiohttp")
pytest.importorskip("httpx_aiohttp")

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"ok": true}'


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            await reader.readexactly(int(line.split(b":")[1]))
    return head


async def answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while not reader.at_eof():
        try:
            await _read_request(reader)
        except asyncio.IncompleteReadError:
            break
        writer.write(OK)
        await writer.drain()
    writer.close()


async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.close()


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    await asyncio.sleep(5)
    writer.close()


async def short_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial')
    await writer.drain()
    writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> str:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def test_default_is_aiohttp_when_installed() -> None:
    assert isinstance(default_async_transport(), AiohttpTransport)


def test_default_falls_back_to_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transports, "aiohttp_available", lambda: False)
    assert isinstance(default_async_transport(), httpx.AsyncHTTPTransport)


async def test_pool_limits_match_httpx(serve: Callable[[Handler], Awaitable[str]]) -> None:
    url = await serve(answer_ok)
    limits = httpx.Limits(max_connections=7, keepalive_expiry=3.0)
    transport = AiohttpTransport(limits=limits)
    async with httpx.AsyncClient(transport=transport) as client:
        assert (await client.get(url)).json() == {"ok": True}
        connector = transport.aiohttp.client.connector
        assert connector.limit == 7
        assert connector._keepalive_timeout == 3.0
    unlimited = AiohttpTransport(limits=httpx.Limits(max_connections=None))
    async with httpx.AsyncClient(transport=unlimited) as client:
        await client.get(url)
        assert unlimited.aiohttp.client.connector.limit == 0


async def test_refused_connection_is_connect_error() -> None:
    server = await asyncio.start_server(answer_ok, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.get(f"http://127.0.0.1:{port}/")
    assert caught.value.request.url.port == port
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorError)


async def test_hang_up_is_not_taken_for_never_sent(
    serve: Callable[[Handler], Awaitable[str]],
) -> None:
    """httpx-aiohttp alone says ConnectTimeout here; a POST the server may have stored."""
    url = await serve(hang_up)
    async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(url, json={"a": 1})


async def test_a_post_after_a_hang_up_is_not_retried(
    serve: Callable[[Handler], Awaitable[str]],
) -> None:
    url = await serve(hang_up)

    async def no_sleep(seconds: float) -> None:
        return None

    retry = AsyncRetryTransport(AiohttpTransport(), RetryPolicy(max_retries=3), no_sleep)
    async with httpx.AsyncClient(transport=retry) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(url, json={"a": 1})
    assert retry.signals.sent == 1


async def test_a_writer_sdk_aiohttp_client_after_a_hang_up_is_not_taken_for_never_sent(
    serve: Callable[[Handler], Awaitable[str]],
) -> None:
    """Alone, DefaultAioHttpClient says ConnectTimeout here (issue 28)."""
    url = await serve(hang_up)
    caller = _writer_sdk_client()
    async with httpx.AsyncClient(transport=AsyncViaClient(caller)) as client:
        with pytest.raises(httpx.RemoteProtocolError) as caught:
            await client.post(url, json={"a": 1})
    await caller.aclose()
    assert not never_sent(caught.value)


async def test_an_httpx_aiohttp_transport_given_is_translated(
    serve: Callable[[Handler], Awaitable[str]], unused_tcp_port: int
) -> None:
    """Alone, httpx-aiohttp's transport says ConnectTimeout after a hang-up (issue 28)."""
    import httpx_aiohttp

    url = await serve(hang_up)
    given = transports.inner_transport(None, httpx_aiohttp.AiohttpTransport(), None, None)
    async with httpx.AsyncClient(transport=given) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(url, json={"a": 1})
        with pytest.raises(httpx.ConnectError) as caught:
            await client.post(f"http://127.0.0.1:{unused_tcp_port}/", json={})
    assert never_sent(caught.value)


async def test_read_timeout(serve: Callable[[Handler], Awaitable[str]]) -> None:
    url = await serve(never_answer)
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(url)


async def test_short_body_is_a_read_error(serve: Callable[[Handler], Awaitable[str]]) -> None:
    url = await serve(short_body)
    async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
        with pytest.raises(httpx.TransportError) as caught:
            await client.get(url)
    assert not isinstance(caught.value, httpx.ConnectError | httpx.ConnectTimeout)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (lambda: aiohttp.ConnectionTimeoutError("pool"), httpx.ConnectTimeout),
        (lambda: aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout),
        (lambda: aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (lambda: aiohttp.ClientConnectionResetError("reset"), httpx.ReadError),
        (lambda: aiohttp.ClientPayloadError("short"), httpx.ReadError),
        (lambda: aiohttp.ClientOSError(104, "reset"), httpx.ReadError),
        (lambda: aiohttp.InvalidURL("x"), httpx.UnsupportedProtocol),
        (lambda: TimeoutError(), httpx.ReadTimeout),
    ],
)
def test_translation(error: Callable[[], BaseException], expected: type[Exception]) -> None:
    request = httpx.Request("POST", "http://127.0.0.1/")
    cause = error()
    coarse = httpx.ConnectTimeout("as httpx-aiohttp maps it")
    coarse.__cause__ = cause
    for given in (cause, coarse):
        translated = transports.translate(given, request)
        assert type(translated) is expected
        assert translated.__cause__ is cause
        assert translated.request is request


async def test_a_refused_plain_http_connection_names_no_tls(unused_tcp_port: int) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}/"
    async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.get(url)
    assert str(caught.value).startswith(f"Cannot connect to host 127.0.0.1:{unused_tcp_port} [")
    assert "ssl" not in str(caught.value)


def test_other_errors_are_left_alone() -> None:
    request = httpx.Request("GET", "http://127.0.0.1/")
    assert transports.translate(ValueError("no"), request) is None
    assert transports.translate(httpx.ReadError("plain"), request) is None


def test_via_client_uses_the_callers_mounts_and_hooks() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"via": "mount"})

    caller = httpx.Client(
        mounts={"https://api.example": httpx.MockTransport(handler)},
        event_hooks={
            "request": [lambda r: seen.append(f"request {r.method}")],
            "response": [lambda r: seen.append(f"response {r.status_code}")],
        },
    )
    with httpx.Client(transport=ViaClient(caller)) as client:
        assert client.get("https://api.example/x").json() == {"via": "mount"}
    assert seen == ["request GET", "response 200"]
    assert not caller.is_closed


async def test_async_via_client_uses_the_callers_mounts_and_hooks() -> None:
    seen: list[str] = []

    async def on_request(request: httpx.Request) -> None:
        seen.append("request")

    async def on_response(response: httpx.Response) -> None:
        seen.append(f"response {response.request.url.path}")

    caller = httpx.AsyncClient(
        mounts={"https://api.example": httpx.MockTransport(lambda r: httpx.Response(204))},
        event_hooks={"request": [on_request], "response": [on_response]},
    )
    async with httpx.AsyncClient(transport=AsyncViaClient(caller)) as client:
        assert (await client.get("https://api.example/y")).status_code == 204
    assert seen == ["request", "response /y"]


class _CutsAsConnectTimeout(httpx.AsyncBaseTransport):
    """A caller's transport that reports a connection cut after sending as ConnectTimeout."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
        except httpx.TransportError as exc:
            raise httpx.ConnectTimeout(str(exc), request=request) from None
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _writer_sdk_client() -> httpx.AsyncClient:
    writerai = pytest.importorskip("writerai")
    client: httpx.AsyncClient = writerai.DefaultAioHttpClient()
    return client


@pytest.mark.parametrize(
    "how",
    ["DefaultAioHttpClient", "httpx_aiohttp.AiohttpTransport", "cuts as ConnectTimeout"],
)
async def test_a_batch_over_a_callers_transport_makes_no_silent_duplicate(how: str) -> None:
    # Before: 268, 268 and 266 jobs for 240 inputs, none reported ambiguous (issue 28): each
    # reset after the job was stored came back as a ConnectTimeout, taken for "never sent".
    import httpx_aiohttp
    from jobwise import AsyncWriterJobs
    from jobwise_emulator import arun_emulator

    from .batch.support import products, stats
    from .conftest import TOKEN

    given: dict[str, Any] = {
        "DefaultAioHttpClient": lambda: {"http_client": _writer_sdk_client()},
        "httpx_aiohttp.AiohttpTransport": lambda: {"transport": httpx_aiohttp.AiohttpTransport()},
        "cuts as ConnectTimeout": lambda: {"transport": _CutsAsConnectTimeout()},
    }[how]()
    async with arun_emulator(
        profile="fast", latency=(0.005, 0.01), reset_rate=0.12, seed=3
    ) as server:
        async with AsyncWriterJobs(TOKEN, server.base_url, max_retries=2, **given) as jobs:
            items = [item async for item in jobs.run_batch("g28", products(240), concurrency=8)]
        created = (await asyncio.to_thread(stats, server.base_url))["jobs_created"]
        if "http_client" in given:
            await given["http_client"].aclose()
    assert sorted(item.index for item in items) == list(range(240))
    ambiguous = [item for item in items if item.status == "ambiguous"]
    assert created - 240 <= len(ambiguous), (created, len(ambiguous))
    done = [item for item in items if item.status == "completed"]
    assert all(f"product {item.index}" in (item.suggestion or "") for item in done)  # never wrong
    assert len(done) + len(ambiguous) == 240


@pytest.mark.parametrize(
    "raw",
    [
        [(b"Content-Type", b"application/json"), (b"Content-Length", b"12")],
        [(b"content-type", b"application/json")],  # no length: httpx adds one
        [(b"Content-Length", b"12"), (b"Content-Encoding", b"identity")],
    ],
)
def test_an_answer_read_whole_is_what_httpx_makes_of_its_body(raw: list[Any]) -> None:
    request = httpx.Request("GET", "http://127.0.0.1/x")
    answer = httpx.Response(201, headers=raw, extensions={"http_version": b"HTTP/1.1"})
    body = b'{"ok": true}'
    copy = transports.read_copy(answer, answer.headers, body, request)
    expected = httpx.Response(
        201, headers=answer.headers, content=body, extensions=answer.extensions, request=request
    )
    assert copy.headers.raw == expected.headers.raw
    assert (copy.status_code, copy.content, copy.json()) == (201, body, {"ok": True})
    assert copy.extensions == expected.extensions and copy.request is request
    assert copy.num_bytes_downloaded == expected.num_bytes_downloaded
    assert (copy.is_stream_consumed, copy.is_closed) == (True, True)
    assert copy.read() == asyncio.run(copy.aread()) == body
