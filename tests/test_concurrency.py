"""The batch's limit on requests in flight: first come, first served; halved and grown back."""

from __future__ import annotations

import asyncio

from jobwise.concurrency import AdaptiveLimit


async def test_a_holder_that_comes_back_at_once_goes_behind_those_queued() -> None:
    # Woken all at once to race, a waiter lost to the holder that had just left and came back:
    # a, a, a, b, b, b. (In a batch, queued creates kept the retrieves of due jobs out.)
    limit = AdaptiveLimit(1)
    order: list[str] = []

    async def hold(name: str) -> None:
        for _ in range(3):
            async with limit:
                order.append(name)
                await asyncio.sleep(0)

    await asyncio.gather(hold("a"), hold("b"))
    assert order == ["a", "b", "a", "b", "a", "b"]
    assert limit.active == 0 and limit.waiting == 0


async def test_halved_by_congestion_and_grown_back_by_successes() -> None:
    now = 0.0
    limit = AdaptiveLimit(8, cooldown=1.0, clock=lambda: now)
    limit.congested()
    assert limit.current == 4
    limit.congested()  # within the cooldown: one halving per episode
    assert limit.current == 4
    now = 1.0
    limit.congested()
    assert limit.current == 2
    release = asyncio.Event()

    async def hold() -> None:
        async with limit:
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(4)]
    await asyncio.sleep(0)
    assert (limit.active, limit.waiting) == (2, 2)
    limit.succeeded()
    limit.succeeded()  # +1/2 each: a third place, and the first in line takes it at once
    await asyncio.sleep(0)
    assert (limit.current, limit.active, limit.waiting) == (3, 3, 1)
    release.set()
    await asyncio.gather(*holders)
    assert (limit.active, limit.waiting) == (0, 0)
