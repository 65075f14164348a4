"""A batch run as users hold it: iterate it (sync or async), then read its summary."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Iterator

from jobwise.batch.engine import BatchEngine
from jobwise.batch.items import BatchItem, BatchSummary
from jobwise.batch.options import BatchOptions
from jobwise.batch.protocol import AsyncBatchClient
from jobwise.batch.sync_protocol import BatchClient
from jobwise.batch.threaded import ThreadedClient


class AsyncBatchRun:
    """A batch for asyncio: ``async for item in run``, then ``run.summary()``."""

    def __init__(self, client: AsyncBatchClient, options: BatchOptions) -> None:
        self._engine = BatchEngine(client, options)
        self._summary: BatchSummary | None = None
        self._started = False

    async def __aiter__(self) -> AsyncIterator[BatchItem]:
        if self._started:
            raise RuntimeError("a batch run iterates once; call run_batch again to resume it")
        self._started = True
        items: asyncio.Queue[BatchItem | None] = asyncio.Queue(maxsize=1000)
        task = asyncio.create_task(self._run(items))
        try:
            while (item := await items.get()) is not None:
                yield item
            await task
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def _run(self, items: asyncio.Queue[BatchItem | None]) -> None:
        try:
            await self._engine.run(items.put)
        finally:
            self._summary = self._engine.summary()
            self._engine.close()
            await items.put(None)

    async def wait(self) -> BatchSummary:
        """Run to the end without looking at items; returns the summary."""
        async for _ in self:
            pass
        return self.summary()

    def summary(self) -> BatchSummary:
        """Counts by status, retries, requests, elapsed (after the run)."""
        return self._summary if self._summary is not None else self._engine.summary()


class BatchRun:
    """A batch for synchronous code: ``for item in run``, then ``run.summary()``.

    The engine runs in a background thread with its own event loop; it calls the client in
    worker threads, one per request in flight.
    """

    def __init__(self, client: BatchClient, options: BatchOptions) -> None:
        self._threaded = ThreadedClient(client, workers=options.concurrency + 4)
        self._engine = BatchEngine(self._threaded, options)
        self._summary: BatchSummary | None = None
        self._started = False

    def __iter__(self) -> Iterator[BatchItem]:
        if self._started:
            raise RuntimeError("a batch run iterates once; call run_batch again to resume it")
        self._started = True
        items: queue.Queue[BatchItem | BaseException | None] = queue.Queue(maxsize=1000)
        stop = threading.Event()
        thread = threading.Thread(
            target=self._thread, args=(items, stop), name="jobwise-batch", daemon=True
        )
        thread.start()
        try:
            while (item := items.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while thread.is_alive():
                with contextlib.suppress(queue.Empty):
                    items.get(timeout=0.05)
            thread.join()

    def _thread(
        self, items: queue.Queue[BatchItem | BaseException | None], stop: threading.Event
    ) -> None:
        async def emit(item: BatchItem) -> None:
            while not stop.is_set():
                try:
                    items.put_nowait(item)
                    return
                except queue.Full:
                    await asyncio.sleep(0.01)

        async def main() -> None:
            engine = self._engine
            task = asyncio.create_task(engine.run(emit))
            try:
                while not task.done():
                    await asyncio.wait({task}, timeout=0.05)
                    if stop.is_set():
                        task.cancel()
                if not task.cancelled():
                    task.result()
            finally:
                self._summary = engine.summary()
                engine.close()
                self._threaded.close()

        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # handed to the consuming thread, raised there
            items.put(exc)
        items.put(None)

    def wait(self) -> BatchSummary:
        """Run to the end without looking at items; returns the summary."""
        for _ in self:
            pass
        return self.summary()

    def summary(self) -> BatchSummary:
        """Counts by status, retries, requests, elapsed (so far, while it runs), as
        :meth:`AsyncBatchRun.summary` (before a run it raised RuntimeError)."""
        return self._summary if self._summary is not None else self._engine.summary()
