"""How many creates go side by side while the server's keys are not trusted."""

from __future__ import annotations

import asyncio

import pytest
from jobwise.batch.create_slots import CALM, NETWORK_FLOOR, CreateSlots


def queue(slots: CreateSlots, creates: int) -> None:
    """Creates waiting for a slot (as a queued ``async with`` leaves them)."""
    loop = asyncio.get_running_loop()
    slots._waiters.extend(loop.create_future() for _ in range(creates))


async def test_creates_start_one_at_a_time_and_stay_so_until_calm() -> None:
    slots = CreateSlots(8)
    queue(slots, 3)  # others queue for a slot
    for _ in range(CALM - 1):
        slots.answered(paced=0.0, network=0.3)
    assert slots.current == 1
    slots.answered(paced=0.0, network=0.3)
    assert slots.current == 2


async def test_at_a_known_pace_the_slots_carry_it_over_the_round_trip() -> None:
    # Little's law and one more: widened per answer and narrowed per pause of the budget, the
    # slots swung between 1 and 11 at a known pace, and creates ran at 51 a second of 60.
    slots = CreateSlots(8)
    slots.calm = CALM
    slots.answered(paced=0.0, network=0.3, rate=600)  # 10 a second over 0.3 s: 3, and one
    assert slots.current == 4
    slots.answered(paced=0.5, network=0.3, rate=600)  # a pause of the budget changes nothing
    assert slots.current == 4
    slots.answered(paced=0.0, network=0.3, rate=120)  # 2 a second: 0.6 in flight
    assert slots.current == 2
    slots.answered(paced=0.0, network=0.3, rate=60_000)  # never past the ceiling
    assert slots.current == 8


async def test_without_a_rate_round_trips_add_slots_and_the_budget_takes_them_back() -> None:
    slots = CreateSlots(4)
    queue(slots, 10)
    for _ in range(CALM):  # held back by the network: one more after CALM creates
        slots.answered(paced=0.01, network=0.3)
    assert slots.current == 2
    slots.answered(paced=0.4, network=0.3)  # held back by the budget: one fewer
    assert slots.current == 1
    slots._waiters.clear()  # nobody queues: no slot added
    for _ in range(CALM):
        slots.answered(paced=0.0, network=0.3)
    assert slots.current == 1


async def test_a_close_server_keeps_one_whatever_the_budget() -> None:
    # Loopback: one at a time already makes hundreds a second; side by side, two creates lost
    # together made two items ambiguous in a 5,000-job soak.
    slots = CreateSlots(8)
    queue(slots, 3)
    for n in range(CALM + 20):  # now and then a slow answer
        slots.answered(paced=0.0, network=3.0 if n % 10 == 0 else NETWORK_FLOOR / 10)
    assert slots.current == 1


async def test_a_lost_create_puts_them_back_to_one_until_calm_again() -> None:
    slots = CreateSlots(4)
    slots.calm, slots.current = CALM, 4
    queue(slots, 1)
    slots.lost()
    assert slots.current == 1
    slots.answered(paced=0.0, network=0.3)
    assert slots.current == 1 and slots.calm == 1


async def test_holders_never_exceed_the_slots() -> None:
    slots = CreateSlots(3)
    slots.current = 2
    inside, most = 0, 0

    async def hold() -> None:
        nonlocal inside, most
        async with slots:
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(hold() for _ in range(10)))
    assert most == 2 and slots.active == 0 and slots.waiting == 0


async def test_a_waiter_cancelled_as_the_slot_frees_leaves_them_usable() -> None:
    # A release passed over the cancelled waiter before it ran: removing it again raised
    # "<Future cancelled> is not in deque" in place of the batch's own error.
    slots = CreateSlots(2)
    await slots.__aenter__()

    async def wait_for_one() -> None:
        async with slots:
            pass

    waiting = asyncio.create_task(wait_for_one())
    await asyncio.sleep(0)
    assert slots.waiting == 1
    waiting.cancel()
    await slots.__aexit__(None, None, None)
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert slots.active == 0 and slots.waiting == 0
    async with slots:
        assert slots.active == 1


async def test_with_no_rate_known_one_more_slot_per_calm_creates_and_a_429_narrows() -> None:
    # Nothing paces creates before a rate is known: widened per answer, 1 to 15 in 0.2 s, they
    # spent a sliding window in one burst that the server gave back a window later, storms.
    slots = CreateSlots(8)
    queue(slots, 10)
    for _ in range(CALM):
        slots.answered(paced=0.0, network=0.3)
    assert slots.current == 2
    for _ in range(CALM - 1):
        slots.answered(paced=0.0, network=0.3)
    assert slots.current == 2
    slots.answered(paced=0.0, network=0.3)
    assert slots.current == 3
    slots.throttled()  # a 429 before a rate is known: one at a time, the calm kept
    assert slots.current == 1 and slots.calm == 2 * CALM
    slots.answered(paced=0.0, network=0.3, rate=600)  # paced now: as the pace needs
    assert slots.current == 4
