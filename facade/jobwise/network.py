"""A faster network backend for httpx's async pool.

httpcore scans every pooled connection before each request and asks each idle one whether the
server closed it (``get_extra_info("is_readable")``). Under anyio that call rebuilds a mapping of
socket attributes each time: with 16 connections it was a quarter of a batch's client CPU. This
backend wraps the streams to keep their socket at hand. Measured (4,000-job batch, emulator on
loopback): client CPU -24 %, wall time -18 %. When httpcore's internals are not as expected the
transport is left as it is.
"""

from __future__ import annotations

import ssl
import typing

import httpcore
import httpx
from httpcore._utils import is_socket_readable


class _CachedSocketStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _CachedSocketStream(
            await self._inner.start_tls(ssl_context, server_hostname, timeout)
        )

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable" and self._socket is not None:
            return is_socket_readable(self._socket)
        if info == "socket" and self._socket is not None:
            return self._socket
        return self._inner.get_extra_info(info)


class _CachedSocketBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _CachedSocketStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(path, timeout, socket_options)
        return _CachedSocketStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def async_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's async transport, with the cached-socket backend when its pool allows."""
    transport = httpx.AsyncHTTPTransport(limits=limits)
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(pool, httpcore.AsyncConnectionPool) and isinstance(
        backend, httpcore.AsyncNetworkBackend
    ):
        pool._network_backend = _CachedSocketBackend(backend)
    return transport
