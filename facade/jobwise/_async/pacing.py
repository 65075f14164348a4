"""The paced transport: each request waits for its turn in a :class:`jobwise.pacing.RateBudget`
before it is sent, and the budget sees each answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from jobwise.attempts import EXPOSURE
from jobwise.pacing import Priority, RateBudget, priority_of
from jobwise.retries import PAUSED_BELOW

MIN_PAUSE = 0.001


async def acquire(
    budget: RateBudget, priority: Priority, sleep: Callable[[float], Awaitable[None]]
) -> None:
    """Wait until ``budget`` grants a request of this priority."""
    ticket = budget.admit(priority)
    if ticket is None:
        return
    try:
        while (pause := budget.wait_time(ticket)) > 0:
            # At least a millisecond: a pause of a float's rounding (1e-9 s) slept and asked
            # again spun without end on a clock that moves in steps (a virtual one: the sim).
            await sleep(max(pause, MIN_PAUSE))
    finally:
        budget.leave(ticket)


class AsyncPacedTransport(httpx.AsyncBaseTransport):
    """Goes below the retries (every attempt is paced) and above the network transport."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        budget: RateBudget,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.inner = inner
        self.budget = budget
        self.sleep = sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        asked = self.budget.clock()
        await acquire(self.budget, priority_of(request), self.sleep)
        sent = self.budget.clock()
        if (exposure := EXPOSURE.get()) is not None:
            exposure.paced += sent - asked
        response = await self.inner.handle_async_request(request)
        self.budget.observe(response, sent)
        if response.status_code == 429:
            response.extensions[PAUSED_BELOW] = True
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
