"""An authenticated httpx client with retries below it and jobwise errors above it, and the
base every client class builds on."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Any, Self, TypeVar

import httpx

from jobwise._async.dated import AsyncDatedTransport
from jobwise._async.echoed import AsyncEchoTransport
from jobwise._async.exposed import AsyncExposedTransport
from jobwise._async.pacing import AsyncPacedTransport
from jobwise._async.polling import watch
from jobwise._async.redacting import AsyncRedactingTransport
from jobwise._async.retries import AsyncRetryTransport, AsyncViaClient
from jobwise.attempts import MAX_RESPONSE_BYTES
from jobwise.errors import ClientClosedError, InvalidArgumentError
from jobwise.http import (
    Request,
    RequestBuilder,
    Timeout,
    auth_headers,
    call_options,
    check,
    check_timeout,
    connection_error,
    idempotency_mode,
    parse,
    retry_policy_of,
)
from jobwise.pacing import RateBudget
from jobwise.polling import PollPolicy, Waiter
from jobwise.retries import RetryPolicy
from jobwise.settings import Settings, check_rate_limit
from jobwise.signals import TransportSignals
from jobwise.times import SteadyWall
from jobwise.transports import default_async_transport, inner_transport
from jobwise.validation import check_callback, check_int, check_seconds

T = TypeVar("T")
log = logging.getLogger("jobwise")


class AsyncConnection:
    """Sends the generated code's requests through the retries and the rate budget below them
    (every attempt paced); shows each call's answer to ``on_response``; raises jobwise errors."""

    def __init__(
        self,
        settings: Settings,
        *,
        timeout: Timeout,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        rate_limit: float | None,
        http_client: httpx.AsyncClient | None,
        transport: httpx.AsyncBaseTransport | None,
        sleep: Callable[[float], Awaitable[None]] | None,
        clock: Callable[[], float] | None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        on_response: Callable[[httpx.Response], object] | None = None,
        wallclock: Callable[[], float] | None = None,
    ) -> None:
        check_callback(on_response, "on_response")
        self.on_response = on_response
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise InvalidArgumentError("http_client", "must be an httpx.AsyncClient")
        self.sleep = sleep or asyncio.sleep
        self.clock = clock or time.monotonic
        self.wall = SteadyWall(self.clock, wallclock or time.time)
        inner = inner_transport(http_client, transport, AsyncViaClient, default_async_transport)
        self.budget = RateBudget(rate_limit, clock=self.clock)
        self.signals = TransportSignals()
        # Each transport one job, from the top: credentials out of the answer; the attempts;
        # whether each may have reached the server; key echoes; the rate budget; the Date.
        self.network = inner
        """The transport that reaches the server, below all of jobwise's."""
        dated = AsyncDatedTransport(inner, self.signals.server_clock, self.wall)
        paced = AsyncPacedTransport(dated, self.budget, self.sleep)
        self.retries = AsyncRetryTransport(
            AsyncExposedTransport(AsyncEchoTransport(paced, self.signals)),
            retry_policy_of(max_retries, retry_policy),
            self.sleep,
            self.clock,
            max_response_bytes=check_int(max_response_bytes, "max_response_bytes", 1, 2**62),
            signals=self.signals,
        )
        self.transport = AsyncRedactingTransport(self.retries)
        self.http = httpx.AsyncClient(
            base_url=settings.base_url,
            headers=auth_headers(settings, http_client),
            timeout=check_timeout(timeout),
            transport=self.transport,
        )
        self.builder = RequestBuilder(self.http)

    async def send(
        self, request: Request, timeout: Timeout = None, within: float | None = None
    ) -> httpx.Response:
        """Send one request (with retries); a non-2xx answer raises. ``timeout`` bounds each
        attempt and the call; ``within`` the call (see :func:`jobwise.http.call_options`).

        The request goes straight to the transports: httpx's client only holds what builds it
        (base URL, headers, timeout). Its send loop (auth flows, redirects, cookies) serves
        nothing here and cost a tenth of a batch's CPU; its request line is logged here
        instead."""
        if self.http.is_closed:  # the transports are closed below it, or the caller's
            raise ClientClosedError(
                f"the client is closed: {request['method'].upper()} {request['url']} was not "
                "sent; make a new client (a closed one sends nothing)"
            )
        built = self.builder.build(**request, **call_options(timeout, within))
        try:
            response = await self.transport.handle_async_request(built)
            response.request = built
            await response.aread()
        except httpx.TransportError as exc:
            exc.request = built
            raise connection_error(exc) from exc
        if log.isEnabledFor(logging.DEBUG):  # its arguments are properties worth not reading
            log.debug(
                'HTTP Request: %s %s "%s %d %s"',
                built.method,
                built.url,
                response.http_version,
                response.status_code,
                response.reason_phrase,
            )
        if self.on_response is not None:
            self.on_response(response)
        return check(response)

    async def aclose(self) -> None:
        """Close connections (never a caller's own httpx client)."""
        await self.http.aclose()


class AsyncAPIClient:
    """What every client shares: its connection, repr, request count, clock and closing."""

    base_url: str
    poll_policy: PollPolicy
    _connection: AsyncConnection

    def _connect(
        self,
        settings: Settings,
        timeout: Timeout,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        poll_policy: PollPolicy | None,
        idempotency: str,
        rate_limit: float | None,
        http_client: httpx.AsyncClient | None,
        transport: httpx.AsyncBaseTransport | None,
        sleep: Callable[[float], Awaitable[None]] | None,
        clock: Callable[[], float] | None,
        max_response_bytes: int,
        on_response: Callable[[httpx.Response], object] | None,
        wallclock: Callable[[], float] | None = None,
    ) -> None:
        self.base_url = settings.base_url
        self.poll_policy = poll_policy or PollPolicy()
        self._connection = AsyncConnection(
            settings,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            rate_limit=rate_limit,
            http_client=http_client,
            transport=transport,
            sleep=sleep,
            clock=clock,
            max_response_bytes=max_response_bytes,
            on_response=on_response,
            wallclock=wallclock,
        )
        self._connection.signals.keys_trusted = idempotency_mode(idempotency) == "server"

    async def _send(
        self, request: Request, timeout: Timeout = None, within: float | None = None
    ) -> httpx.Response:
        """Send one of the API's requests (a client may place it under a base path)."""
        return await self._connection.send(request, timeout, within)

    def _watch(
        self,
        job_id: str,
        request: Request,
        final: Collection[str],
        timeout: float,
        parser: Callable[[Any], T],
    ) -> AsyncIterator[T]:
        """Poll ``request`` until the job's status is in ``final``, yielding each change."""
        waiter = Waiter(
            job_id, check_seconds(timeout, "timeout"), final, self.poll_policy, self.clock
        )
        return watch(
            waiter,
            lambda: self._send(request, within=waiter.left()),
            lambda response: parse(response, parser),
            self._connection.sleep,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @property
    def requests_sent(self) -> int:
        """HTTP attempts sent so far, retries included."""
        return self._connection.signals.sent

    @property
    def keys_trusted(self) -> bool:
        """Whether POSTs may be re-sent under their Idempotency-Key (the server honours it)."""
        return self._connection.signals.keys_trusted

    def trust_keys(self) -> None:
        """Re-send POSTs under their Idempotency-Key from now on: the server is known to honour
        it (an earlier batch run against this URL saw it echoed)."""
        self._connection.signals.keys_trusted = True

    @property
    def server_clock_offset(self) -> tuple[float, float] | None:
        """Bounds (lowest, highest) of the server's clock minus :meth:`wall`, in seconds, from
        the Date headers of its answers so far; None before any."""
        return self._connection.signals.server_clock.bounds

    @property
    def rate_limit(self) -> float | None:
        """Requests per minute the client paces itself to: the given ``rate_limit``, or what
        the server's headers and 429s taught (None: not paced)."""
        return self._connection.budget.rate

    @rate_limit.setter
    def rate_limit(self, per_minute: float | None) -> None:
        self._connection.budget.limit(check_rate_limit(per_minute))

    async def sleep(self, seconds: float) -> None:
        """Pause with the client's ``sleep`` (injected in tests)."""
        await self._connection.sleep(seconds)

    def clock(self) -> float:
        """Seconds from the client's ``clock`` (monotonic)."""
        return self._connection.clock()

    def wall(self) -> float:
        """Unix seconds on a wall clock that never steps (see :class:`jobwise.times.SteadyWall`):
        what the server's clock offset and a lost POST's window are reckoned on."""
        return self._connection.wall()

    def wall_step(self) -> float:
        """Seconds the machine's wall clock (``wallclock``) has moved from :meth:`wall`."""
        return self._connection.wall.step()

    def on_congestion(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call ``callback(status)`` on every 429 or 503 answer; returns what removes it."""
        return self._connection.signals.on_congestion(callback)

    async def aclose(self) -> None:
        """Close the connections."""
        await self._connection.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
