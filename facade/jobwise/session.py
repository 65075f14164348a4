"""An authenticated httpx client with retries below it and jobwise errors above it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar

import httpx

from jobwise.errors import (
    APIConnectionError,
    APITimeoutError,
    InvalidArgumentError,
    InvalidResponseError,
    error_for,
)
from jobwise.retries import (
    AsyncRetryTransport,
    AsyncViaClient,
    RetryPolicy,
    RetryTransport,
    ViaClient,
    parse_retry_after,
)
from jobwise.settings import Settings
from jobwise.transports import default_async_transport as async_transport

T = TypeVar("T")
Timeout = float | httpx.Timeout | None
_VERSION = "0.1.0"
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=50)


def _headers(settings: Settings, http_client: httpx.Client | httpx.AsyncClient | None) -> Any:
    headers = dict(http_client.headers) if http_client is not None else {}
    headers["Authorization"] = f"Bearer {settings.token}"
    headers.setdefault("User-Agent", f"jobwise/{_VERSION}")
    return headers


def _policy(max_retries: int, retry_policy: RetryPolicy | None) -> RetryPolicy:
    if retry_policy is not None:
        return retry_policy
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise InvalidArgumentError("max_retries", f"must be an integer >= 0; got {max_retries!r}")
    return RetryPolicy(max_retries=max_retries)


def _timeout(timeout: Timeout) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None or isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise InvalidArgumentError("timeout", f"must be a number of seconds; got {timeout!r}")
    if not timeout > 0:
        raise InvalidArgumentError("timeout", f"must be > 0; got {timeout}")
    return httpx.Timeout(float(timeout))


def _call_timeout(timeout: Timeout) -> Any:
    return httpx.USE_CLIENT_DEFAULT if timeout is None else _timeout(timeout)


def check(response: httpx.Response) -> httpx.Response:
    """The response if it is a 2xx; else the matching APIError (any code, any body)."""
    if 200 <= response.status_code < 300:
        return response
    response.read()
    raise error_for(response, parse_retry_after(response.headers))


def parse(response: httpx.Response, parser: Callable[[Any], T]) -> T:
    """Parse a success body with a generated model; a mismatch is an InvalidResponseError."""
    try:
        return parser(response.json())
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        path = response.request.url.path
        raise InvalidResponseError(
            f"{response.request.method} {path} answered {response.status_code} with a body "
            f"that does not match openapi.yaml ({type(exc).__name__}: {exc})"
        ) from exc


def _connection_error(exc: httpx.TransportError, request: httpx.Request | None) -> Exception:
    where = f"{request.method} {request.url.copy_with(query=None)}" if request else "request"
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{where} timed out ({type(exc).__name__})")
    return APIConnectionError(f"{where} failed: {type(exc).__name__}: {exc}")


def _request_of(exc: httpx.TransportError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:
        return None


def _inner(http_client: Any, transport: Any, via: Any, default: Any) -> Any:
    """What the retries wrap: a given transport, a caller's client, or a pooled default."""
    if http_client is not None and transport is not None:
        raise InvalidArgumentError("transport", "give http_client or transport, not both")
    if transport is not None:
        return transport
    return via(http_client) if http_client is not None else default(limits=_LIMITS)


class SyncSession:
    """Sends the generated client's requests; raises jobwise errors."""

    def __init__(
        self,
        settings: Settings,
        *,
        timeout: Timeout,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        http_client: httpx.Client | None,
        transport: httpx.BaseTransport | None,
        sleep: Callable[[float], None] | None,
        clock: Callable[[], float] | None,
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise InvalidArgumentError("http_client", "must be an httpx.Client")
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        inner = _inner(http_client, transport, ViaClient, httpx.HTTPTransport)
        self.transport = RetryTransport(
            inner, _policy(max_retries, retry_policy), self.sleep, self.clock
        )
        self.http = httpx.Client(
            base_url=settings.base_url,
            headers=_headers(settings, http_client),
            timeout=_timeout(timeout),
            transport=self.transport,
        )

    def send(self, kwargs: dict[str, Any], timeout: Timeout = None) -> httpx.Response:
        """Send one request (with retries); a non-2xx answer raises."""
        try:
            response = self.http.request(**kwargs, timeout=_call_timeout(timeout))
        except httpx.TransportError as exc:
            raise _connection_error(exc, _request_of(exc)) from exc
        return check(response)

    def close(self) -> None:
        """Close connections (never a caller's own httpx client)."""
        self.http.close()


class AsyncSession:
    """The async twin of :class:`SyncSession`."""

    def __init__(
        self,
        settings: Settings,
        *,
        timeout: Timeout,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        http_client: httpx.AsyncClient | None,
        transport: httpx.AsyncBaseTransport | None,
        sleep: Callable[[float], Awaitable[None]] | None,
        clock: Callable[[], float] | None,
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise InvalidArgumentError("http_client", "must be an httpx.AsyncClient")
        self.sleep = sleep or asyncio.sleep
        self.clock = clock or time.monotonic
        inner = _inner(http_client, transport, AsyncViaClient, async_transport)
        self.transport = AsyncRetryTransport(
            inner, _policy(max_retries, retry_policy), self.sleep, self.clock
        )
        self.http = httpx.AsyncClient(
            base_url=settings.base_url,
            headers=_headers(settings, http_client),
            timeout=_timeout(timeout),
            transport=self.transport,
        )

    async def send(self, kwargs: dict[str, Any], timeout: Timeout = None) -> httpx.Response:
        """Send one request (with retries); a non-2xx answer raises."""
        try:
            response = await self.http.request(**kwargs, timeout=_call_timeout(timeout))
        except httpx.TransportError as exc:
            raise _connection_error(exc, _request_of(exc)) from exc
        return check(response)

    async def aclose(self) -> None:
        """Close connections (never a caller's own httpx client)."""
        await self.http.aclose()


class SyncClient:
    """What every synchronous client shares: its repr, request count and closing."""

    base_url: str
    _session: SyncSession

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @property
    def requests_sent(self) -> int:
        """HTTP attempts sent so far, retries included."""
        return self._session.transport.sent

    def close(self) -> None:
        """Close the connections."""
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClient:
    """What every async client shares: its repr, request count and closing."""

    base_url: str
    _session: AsyncSession

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @property
    def requests_sent(self) -> int:
        """HTTP attempts sent so far, retries included."""
        return self._session.transport.sent

    async def aclose(self) -> None:
        """Close the connections."""
        await self._session.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
