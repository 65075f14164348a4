"""The default transports: async, httpx-aiohttp's when it is installed, httpx's own pool
otherwise; sync, httpx's own (single sync calls gain nothing from aiohttp).

httpcore's async pool checks every pooled connection before each request (``is_socket_readable``
was a quarter of a batch's profile); aiohttp's connector does not. Measured on the emulator
(3,000 jobs, issue 13): client CPU 7.0 s -> 1.7 s. writer-sdk 3.0 ships the same transport as
``DefaultAioHttpClient``. Install it with ``pip install 'jobwise[aiohttp]'`` (the ``cli`` extra
includes it).

httpx-aiohttp 0.2 maps aiohttp's errors too coarsely for retries: every
``aiohttp.ClientConnectionError`` that is not a connector error, such as
``ServerDisconnectedError`` or ``ClientConnectionResetError`` after the request went out, becomes
``httpx.ConnectTimeout``, which a retry layer rightly takes for "never sent" and would re-send a
POST that the server may have stored. :class:`AiohttpTransport` re-maps the cause precisely, the
way httpcore classifies the same failures:

=====================================================  =========================================
aiohttp                                                httpx
=====================================================  =========================================
``ConnectionTimeoutError`` (connect, or pool wait)     ``ConnectTimeout`` (never sent)
``ClientProxyConnectionError``, ``ClientHttpProxyError``  ``ProxyError``
``ClientConnectorError`` (refused, DNS, TLS)           ``ConnectError`` (never sent)
``SocketTimeoutError``, other ``ServerTimeoutError``   ``ReadTimeout``
``ServerDisconnectedError``, ``ClientResponseError``   ``RemoteProtocolError`` (may have been sent)
``ClientPayloadError``, ``ClientOSError``, others      ``ReadError`` (may have been sent)
``InvalidURL``, ``NonHttpUrlClientError``              ``UnsupportedProtocol``
``TimeoutError`` from elsewhere in aiohttp             ``ReadTimeout``
=====================================================  =========================================

The same translation applies to an httpx-aiohttp transport given as ``transport=`` and to an
httpx-aiohttp client given as ``http_client=`` (writer-sdk's ``DefaultAioHttpClient``). Which
connect errors mean "never sent" is decided by their cause (:func:`jobwise.retries.never_sent`):
httpx's own transports' and aiohttp's connector's only; any other transport's ConnectTimeout may
have followed a cut after sending, and a POST it failed is settled, never re-sent blindly.

Pool limits are the same as httpx's: ``max_connections`` becomes the connector's ``limit`` (None
means no limit, 0 in aiohttp), ``keepalive_expiry`` its ``keepalive_timeout``. aiohttp keeps
every idle connection up to ``limit``: it has no ``max_keepalive_connections``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx

from jobwise.errors import InvalidArgumentError
from jobwise.http import LIMITS

if TYPE_CHECKING:
    import aiohttp


def aiohttp_available() -> bool:
    """True when httpx-aiohttp (and so aiohttp) can be imported."""
    return importlib.util.find_spec("httpx_aiohttp") is not None


def default_async_transport(limits: httpx.Limits = LIMITS) -> httpx.AsyncBaseTransport:
    """httpx-aiohttp's transport with these pool limits when installed, else httpx's own pool."""
    if aiohttp_available():
        return AiohttpTransport(limits=limits)
    return httpx.AsyncHTTPTransport(limits=limits)


def default_sync_transport(limits: httpx.Limits = LIMITS) -> httpx.BaseTransport:
    """httpx's own pool (the sync twin of :func:`default_async_transport`)."""
    return httpx.HTTPTransport(limits=limits)


def _httpx_error(exc: BaseException) -> type[httpx.TransportError] | None:
    """The httpx class for an aiohttp failure (None: not one of aiohttp's)."""
    if "aiohttp" not in sys.modules:  # no aiohttp error exists before aiohttp is imported
        return None
    import aiohttp

    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout
    if isinstance(exc, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        return httpx.ProxyError
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError
    if isinstance(exc, aiohttp.ClientError):
        return httpx.ReadError
    if isinstance(exc, TimeoutError):
        return httpx.ReadTimeout
    return None


def translate(exc: BaseException, request: httpx.Request) -> httpx.TransportError | None:
    """The precise httpx error for an aiohttp failure, or for httpx-aiohttp's own mapping of one.

    None when ``exc`` is neither (let it through unchanged). The aiohttp error is its cause.
    """
    cause = exc.__cause__ if isinstance(exc, httpx.TransportError) else exc
    if cause is None:
        return None
    kind = _httpx_error(cause)
    if kind is None:
        return None
    text = str(cause) or type(cause).__name__
    if request.url.scheme == "http":  # aiohttp names its TLS default even for plain http
        text = text.replace(" ssl:default [", " [", 1)
    error = kind(text, request=request)
    error.__cause__ = cause
    return error


class translated:  # used as a function: ``with translated(request):``
    """Raise the precise httpx error (:func:`translate`) for an aiohttp failure inside.

    A class, not ``contextlib.contextmanager``: a generator made, entered and ended three times
    an answer (its request, its body, its close) cost more than what it guards."""

    __slots__ = ("_request",)

    def __init__(self, request: httpx.Request) -> None:
        self._request = request

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: object
    ) -> None:
        if isinstance(exc, Exception):
            error = translate(exc, self._request)
            if error is not None:
                raise error from error.__cause__


class _TranslatedStream(httpx.AsyncByteStream):
    """A response body whose read errors are translated like the request's."""

    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self._inner = inner
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with translated(self._request):
            async for chunk in self._inner:
                yield chunk

    async def aclose(self) -> None:
        with translated(self._request):
            await self._inner.aclose()


def translated_body(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    """``response`` with its async body's read errors translated (a sync body is never
    aiohttp's: left as it is)."""
    stream = response.stream
    if isinstance(stream, httpx.AsyncByteStream) and not isinstance(stream, httpx.SyncByteStream):
        response.stream = _TranslatedStream(stream, request)
    return response


class TranslatedTransport(httpx.AsyncBaseTransport):
    """An httpx-aiohttp transport with precise httpx errors, its request's and its body's."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with translated(request):
            response = await self.inner.handle_async_request(request)
        return translated_body(response, request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _httpx_aiohttp(transport: object) -> bool:
    """Whether ``transport`` is httpx-aiohttp's own (none exists before it is imported)."""
    module = sys.modules.get("httpx_aiohttp")
    return module is not None and isinstance(transport, module.AiohttpTransport)


def inner_transport(http_client: Any, transport: Any, via: Any, default: Any) -> Any:
    """What the retries wrap: a given transport (httpx-aiohttp's translated), a caller's
    client, or a pooled default."""
    if http_client is not None and transport is not None:
        raise InvalidArgumentError("transport", "give http_client or transport, not both")
    if transport is not None:
        return TranslatedTransport(transport) if _httpx_aiohttp(transport) else transport
    return via(http_client) if http_client is not None else default(limits=LIMITS)


class AiohttpTransport(TranslatedTransport):
    """httpx-aiohttp's transport with httpx's pool limits and precise httpx errors.

    ``kwargs`` go to ``httpx_aiohttp.AiohttpTransport`` (verify, cert, proxy, ...). Raises
    ImportError when httpx-aiohttp is not installed.
    """

    def __init__(self, limits: httpx.Limits = LIMITS, **kwargs: Any) -> None:
        try:
            from httpx_aiohttp import AiohttpTransport as Inner
        except ImportError as exc:
            raise ImportError(
                "AiohttpTransport needs httpx-aiohttp: pip install 'jobwise[aiohttp]'"
            ) from exc
        self.limits = limits
        if "client" not in kwargs and not kwargs.get("uds"):
            kwargs["client"] = self._session
        self.aiohttp = Inner(limits=limits, **kwargs)
        super().__init__(self.aiohttp)

    def _session(self) -> aiohttp.ClientSession:
        """The session, made on first use (inside the running event loop)."""
        import aiohttp

        connector = aiohttp.TCPConnector(
            limit=self.limits.max_connections or 0,
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.aiohttp.ssl_context,
            local_addr=(self.aiohttp.local_address, 0) if self.aiohttp.local_address else None,
        )
        return aiohttp.ClientSession(connector=connector)


class ReadResponse(httpx.Response):
    """An answer whose body is already read: what ``httpx.Response(content=...)`` makes of the
    same status, headers and body, built without reading the body again.

    ``httpx.Response(content=...)`` reads its body a second time through httpx's decoders and
    chunkers and looks its headers up to add a Content-Length: 44 of the 53 us each answer's
    copy took (a tenth of a create's CPU in jobwise's layers). Only for headers that already
    hold a Content-Length and no Content-Encoding (the body is decoded), where that copy's
    headers are the same; :func:`read_copy` makes the others as httpx does.
    """

    def __init__(
        self, response: httpx.Response, headers: httpx.Headers, body: bytes, request: httpx.Request
    ) -> None:
        super().__init__(
            response.status_code,
            headers=headers,
            stream=httpx.ByteStream(body),
            extensions=response.extensions,
            request=request,
        )
        # As httpx's own read leaves them: the body in memory, the stream consumed and closed
        # (httpx.Response reads ``.content`` from ``_content``; tests/test_transports.py
        # checks the copy against httpx's own).
        self._content = body
        self.is_stream_consumed = self.is_closed = True


def read_copy(
    response: httpx.Response, headers: httpx.Headers, body: bytes, request: httpx.Request
) -> httpx.Response:
    """``response`` with ``headers`` and its read (decoded) ``body``, as
    ``httpx.Response(content=body)`` makes it."""
    if "content-length" in headers and "content-encoding" not in headers:
        return ReadResponse(response, headers, body, request)
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=body,
        extensions=response.extensions,
        request=request,
    )
