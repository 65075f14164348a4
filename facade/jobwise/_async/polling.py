"""Waiting for one job: poll, yield each status change, sleep as the :class:`Waiter` says."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import httpx

from jobwise.errors import JobwiseError
from jobwise.polling import Waiter
from jobwise.retries import parse_retry_after
from jobwise.validation import check_callback

T = TypeVar("T")


async def watch(
    waiter: Waiter,
    fetch: Callable[[], Awaitable[httpx.Response]],
    parse: Callable[[httpx.Response], T],
    sleep: Callable[[float], Awaitable[None]],
) -> AsyncIterator[T]:
    """Poll with ``fetch`` until final; yield each status change."""
    while True:
        try:
            response = await fetch()
        except JobwiseError as exc:
            await sleep(waiter.failed(exc))
            continue
        job = parse(response)
        if waiter.seen(job):
            yield job
        if waiter.is_final():
            return
        await sleep(waiter.pause(parse_retry_after(response.headers)))


async def last_of(watching: AsyncIterator[T], on_status: Callable[[T], object] | None) -> T:
    """The final job of a watch, telling ``on_status`` of each change on the way."""
    check_callback(on_status, "on_status")  # before the watch sends anything
    last: T | None = None
    async for last in watching:
        if on_status is not None:
            on_status(last)
    if last is None:  # a watch yields at least once before it ends
        raise RuntimeError("the watch ended without a job")
    return last
