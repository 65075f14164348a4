"""How the batch engine (asyncio) drives a synchronous client: in worker threads."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from collections.abc import AsyncIterator, Callable, Iterable

from jobwise.attempts import EXPOSURE
from jobwise.batch.protocol import AsyncPages
from jobwise.batch.sync_protocol import BatchClient
from jobwise.models import Job, JobCreated, JobStatus
from jobwise.validation import Inputs

_DONE = object()


class _ThreadedPages:
    def __init__(self, client: ThreadedClient, pages: Iterable[list[Job]]) -> None:
        self._client = client
        self._pages = pages

    async def pages(self) -> AsyncIterator[list[Job]]:
        iterator = iter(self._pages)
        while (page := await self._client.call(next, iterator, _DONE)) is not _DONE:
            yield page  # type: ignore[misc]


class ThreadedClient:
    """An :class:`AsyncBatchClient` over a synchronous client: each call runs in a worker thread
    (one per request in flight), so the engine honours the client as it is: its http_client
    or transport, retries, sleep and clock."""

    def __init__(self, client: BatchClient, workers: int) -> None:
        self._client = client
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, "jobwise-batch-io")
        self.base_url = client.base_url

    async def call(self, function: Callable[..., object], *args: object) -> object:
        """``function(*args)`` in a worker thread, in the caller's context (a batch's deadline)."""
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, context.run, function, *args)
        except asyncio.CancelledError:
            exposure = EXPOSURE.get()
            if exposure is not None:  # the thread cannot be stopped: its call runs on
                exposure.detached = True
            raise

    @property
    def requests_sent(self) -> int:
        """The client's HTTP attempts so far."""
        return self._client.requests_sent

    @property
    def keys_trusted(self) -> bool:
        """Whether the client's server honours Idempotency-Key."""
        return self._client.keys_trusted

    def trust_keys(self) -> None:
        """Trust the client's server to honour Idempotency-Key."""
        self._client.trust_keys()

    @property
    def server_clock_offset(self) -> tuple[float, float] | None:
        """What the client's answers taught of the server's clock."""
        return self._client.server_clock_offset

    @property
    def rate_limit(self) -> float | None:
        """The client's pace, requests per minute."""
        return self._client.rate_limit

    @rate_limit.setter
    def rate_limit(self, per_minute: float | None) -> None:
        self._client.rate_limit = per_minute

    async def create(
        self, application_id: str, inputs: Inputs, *, idempotency_key: str | None = None
    ) -> JobCreated:
        """``create`` in a worker thread."""

        def create() -> JobCreated:
            return self._client.create(application_id, inputs, idempotency_key=idempotency_key)

        return await self.call(create)  # type: ignore[return-value]

    async def retrieve(self, job_id: str) -> Job:
        """``retrieve`` in a worker thread."""
        return await self.call(self._client.retrieve, job_id)  # type: ignore[return-value]

    async def retry(self, job_id: str, *, idempotency_key: str | None = None) -> JobCreated:
        """``retry`` in a worker thread."""

        def retry() -> JobCreated:
            return self._client.retry(job_id, idempotency_key=idempotency_key)

        return await self.call(retry)  # type: ignore[return-value]

    def list(
        self, application_id: str, *, status: JobStatus | str | None = None, page_size: int = 100
    ) -> AsyncPages:
        """The client's listing, each page fetched in a worker thread."""
        pager = self._client.list(application_id, status=status, page_size=page_size)
        return _ThreadedPages(self, pager.pages())

    async def sleep(self, seconds: float) -> None:
        """The client's ``sleep``, in a worker thread."""
        await self.call(self._client.sleep, seconds)

    def clock(self) -> float:
        """The client's clock."""
        return self._client.clock()

    def wall(self) -> float:
        """The client's steady wall clock."""
        return self._client.wall()

    def wall_step(self) -> float:
        """How far the machine's wall clock has moved from the client's steady one."""
        return self._client.wall_step()

    def on_congestion(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Hear the client's 429/503 answers (called from worker threads: the engine's
        limit is only ever read by the event loop, and a float store is atomic)."""
        return self._client.on_congestion(callback)

    def close(self) -> None:
        """Stop the worker threads (the client stays open: it is the caller's)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
