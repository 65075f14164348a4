"""What the engine's parts share: the rows handed from the reader to the submitters."""

from __future__ import annotations

import asyncio

from jobwise.batch.core import Sends
from jobwise.batch.items import ItemStatus
from jobwise.batch.schema import Row
from jobwise.validation import InputSet


def _row(index: int) -> Row:
    return Row(index, InputSet({"P": [str(index)]}), f"key-{index}", ItemStatus.PENDING)


def test_a_full_queue_takes_more_rows_once_half_of_it_is_taken() -> None:
    # Woken after each row taken, the reader read, recorded and handed over one input per
    # create: two task switches a create. Now once per half a queue, in order, none lost.
    async def main() -> tuple[list[int], list[int | None]]:
        sends = Sends(8)
        put: list[int] = []

        async def reader() -> None:
            for index in range(20):
                await sends.put(_row(index))
                put.append(index)
            await sends.put(None)

        task = asyncio.create_task(reader())
        await asyncio.sleep(0)
        assert put == list(range(8))  # full: the reader waits
        taken: list[int | None] = []
        for _ in range(3):
            row = await sends.get()
            taken.append(row.index if row else None)
            await asyncio.sleep(0)
        assert len(put) == 8  # three of eight taken: not yet
        row = await sends.get()
        taken.append(row.index if row else None)
        await asyncio.sleep(0)
        assert len(put) == 12  # half taken: four more at once
        while (row := await sends.get()) is not None:
            taken.append(row.index)
        await task
        return put, taken

    put, taken = asyncio.run(main())
    assert put == list(range(20)) and taken == list(range(20))
