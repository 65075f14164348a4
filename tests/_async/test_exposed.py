"""The exposed transport: each attempt tells the batch's Exposure whether it may have left."""

from __future__ import annotations

import asyncio
import contextlib

import httpcore
import httpx
import pytest
from jobwise._async.exposed import AsyncExposedTransport
from jobwise.attempts import EXPOSURE, Exposure

REQUEST = httpx.Request("POST", "https://x.test/v1/applications/app/jobs")


class Failing(httpx.AsyncBaseTransport):
    def __init__(self, error: BaseException) -> None:
        self.error = error

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise self.error


def refused() -> httpx.ConnectError:
    error = httpx.ConnectError("refused")
    error.__cause__ = httpcore.ConnectError("refused")  # as httpx's own transports raise it
    return error


async def attempt(inner: httpx.AsyncBaseTransport) -> Exposure:
    exposure = Exposure()
    watching = EXPOSURE.set(exposure)
    try:  # raised or answered: what the exposure says is the point
        with contextlib.suppress(BaseException):
            await AsyncExposedTransport(inner).handle_async_request(REQUEST)
    finally:
        EXPOSURE.reset(watching)
    return exposure


async def test_a_refused_connection_never_left() -> None:
    assert (await attempt(Failing(refused()))).never_sent


@pytest.mark.parametrize(
    "inner",
    [
        httpx.MockTransport(lambda request: httpx.Response(202)),  # answered: it arrived
        Failing(httpx.ReadTimeout("no answer")),  # sent, then no answer
        Failing(asyncio.CancelledError()),  # cut at the attempt's end, or the run stopped
        Failing(RuntimeError("a transport of the caller's own failed")),
    ],
    ids=["answered", "read-timeout", "cancelled", "other-error"],
)
async def test_any_other_attempt_may_have_reached_the_server(
    inner: httpx.AsyncBaseTransport,
) -> None:
    assert not (await attempt(inner)).never_sent


async def test_an_earlier_attempt_that_may_have_left_is_not_forgotten() -> None:
    exposure = Exposure()
    EXPOSURE.set(exposure)
    with pytest.raises(httpx.ReadTimeout):
        await AsyncExposedTransport(Failing(httpx.ReadTimeout("x"))).handle_async_request(REQUEST)
    with pytest.raises(httpx.ConnectError):
        await AsyncExposedTransport(Failing(refused())).handle_async_request(REQUEST)
    assert not exposure.never_sent


async def test_unwatched_calls_pass_straight_through() -> None:
    transport = AsyncExposedTransport(httpx.MockTransport(lambda request: httpx.Response(200)))
    assert EXPOSURE.get() is None
    assert (await transport.handle_async_request(REQUEST)).status_code == 200
