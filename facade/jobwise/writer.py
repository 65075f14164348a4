"""Writer's async no-code agent jobs: :class:`WriterJobs` and :class:`AsyncWriterJobs`."""

from __future__ import annotations

import uuid
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from typing import Any

import httpx
from jobwise_api.api.writer import create_job, list_jobs, retrieve_job, retry_job

from jobwise.batch import AsyncBatchRun, BatchEngine, BatchRun, Progress
from jobwise.models import (
    UNSET,
    Job,
    JobCreated,
    JobCreateRequest,
    JobInput,
    JobList,
    JobStatus,
    Unset,
)
from jobwise.pagination import AsyncPager, Page, SyncPager
from jobwise.polling import PollPolicy, Waiter, alast_of, last_of, watch_async, watch_sync
from jobwise.retries import RetryPolicy
from jobwise.session import AsyncClient, AsyncSession, SyncClient, SyncSession, Timeout, parse
from jobwise.settings import DEFAULT_TIMEOUT, Settings, writer_settings
from jobwise.times import aware
from jobwise.validation import (
    check_enum,
    check_id,
    check_int,
    check_optional_key,
    check_seconds,
    normalize_inputs,
)

Inputs = Mapping[str, str | Sequence[str]] | Sequence[Mapping[str, Any] | JobInput]
"""``{"name": "value" or ["v1", "v2"]}``, or the API's ``[{"id": name, "value": [...]}]``."""

FINAL_STATUSES = frozenset({"completed", "failed"})
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
DEFAULT_WAIT_TIMEOUT = 600.0


@dataclass(frozen=True)
class _TwinOptions:
    """What a sync client needs to make the async client its batch runs use."""

    settings: Settings
    timeout: Timeout
    max_retries: int
    retry_policy: RetryPolicy | None
    allow_insecure: bool


def new_idempotency_key() -> str:
    """A fresh Idempotency-Key for one logical POST."""
    return f"jobwise-{uuid.uuid4().hex}"


def _aware(job: Job) -> Job:
    job.created_at = aware(job.created_at)
    for name in ("updated_at", "completed_at"):
        value = getattr(job, name)
        if value is not None and value is not UNSET:
            setattr(job, name, aware(value))
    return job


def _job(data: Any) -> Job:
    return _aware(Job.from_dict(data))


def _created(data: Any) -> JobCreated:
    created = JobCreated.from_dict(data)
    created.created_at = aware(created.created_at)
    return created


def _page(data: Any) -> Page[Job]:
    page = JobList.from_dict(data)
    jobs = [_aware(job) for job in page.result]
    total = page.total_count if isinstance(page.total_count, int) else None
    limit = None
    if not isinstance(page.pagination, Unset) and isinstance(page.pagination.limit, int):
        limit = page.pagination.limit
    return Page(jobs, total, limit)


def _job_id(job: Job) -> str:
    return job.id


def create_request(application_id: str, inputs: Inputs, idempotency_key: str | None) -> Any:
    """The create call's request, inputs checked; a key is made when none is given."""
    body = JobCreateRequest(inputs=normalize_inputs(inputs))
    return create_job._get_kwargs(
        check_id(application_id, "application_id"),
        body=body,
        idempotency_key=check_optional_key(idempotency_key) or new_idempotency_key(),
    )


def retry_request(job_id: str, idempotency_key: str | None) -> Any:
    """The retry call's request."""
    return retry_job._get_kwargs(
        check_id(job_id, "job_id"),
        idempotency_key=check_optional_key(idempotency_key) or new_idempotency_key(),
    )


def retrieve_request(job_id: str) -> Any:
    """The retrieve call's request."""
    return retrieve_job._get_kwargs(check_id(job_id, "job_id"))


def list_arguments(
    application_id: str, status: JobStatus | str | None, page_size: int
) -> tuple[str, JobStatus | None, int]:
    """The list call's checked arguments."""
    return (
        check_id(application_id, "application_id"),
        None if status is None else check_enum(status, JobStatus, "status"),
        check_int(page_size, "page_size", 1, MAX_PAGE_SIZE),
    )


def list_request(application_id: str, status: JobStatus | None, offset: int, limit: int) -> Any:
    """One list page's request."""
    return list_jobs._get_kwargs(
        application_id, status=status if status is not None else UNSET, offset=offset, limit=limit
    )


class WriterJobs(SyncClient):
    """Writer's async jobs API, synchronously.

    >>> jobs = WriterJobs()  # WRITER_API_KEY, WRITER_BASE_URL
    >>> job = jobs.create_and_wait("app-id", {"Product": ["Terra running shoe"]})
    >>> job.data.suggestion

    ``timeout`` bounds each HTTP attempt; ``max_retries`` (or ``retry_policy``) the retries below
    every call (see :mod:`jobwise.retries`); ``poll_policy`` the pauses of ``wait``. The retries
    send through ``http_client`` (your httpx client: its proxies, TLS, hooks) or ``transport``
    (e.g. ``httpx.MockTransport``), else a pooled connection. ``sleep`` and ``clock`` replace
    ``time.sleep`` and ``time.monotonic`` (tests replay instantly).
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 4,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
        poll_policy: PollPolicy | None = None,
        allow_insecure: bool = False,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        settings = writer_settings(api_key, base_url, allow_insecure)
        self.base_url = settings.base_url
        self.poll_policy = poll_policy or PollPolicy()
        self._twin = _TwinOptions(settings, timeout, max_retries, retry_policy, allow_insecure)
        self._session = SyncSession(
            settings,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            http_client=http_client,
            transport=transport,
            sleep=sleep,
            clock=clock,
        )

    def create(
        self,
        application_id: str,
        inputs: Inputs,
        *,
        idempotency_key: str | None = None,
        timeout: Timeout = None,
    ) -> JobCreated:
        """Submit one job; retried safely under one Idempotency-Key.

        >>> jobs.create("app-id", {"Product descriptions": ["Terra running shoe"]})
        """
        request = create_request(application_id, inputs, idempotency_key)
        return parse(self._session.send(request, timeout), _created)

    def retrieve(self, job_id: str, *, timeout: Timeout = None) -> Job:
        """The job as it is now.

        >>> jobs.retrieve("job-id").status
        """
        return parse(self._session.send(retrieve_request(job_id), timeout), _job)

    def retry(
        self, job_id: str, *, idempotency_key: str | None = None, timeout: Timeout = None
    ) -> JobCreated:
        """Retry a failed job (409 ConflictError for any other).

        >>> jobs.retry("failed-job-id")
        """
        return parse(self._session.send(retry_request(job_id, idempotency_key), timeout), _created)

    def list(
        self,
        application_id: str,
        *,
        status: JobStatus | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> SyncPager[Job]:
        """Every job of an application, newest first, lazily and page after page.

        >>> for job in jobs.list("app-id", status="failed"):
        ...     jobs.retry(job.id)
        """
        app, checked_status, size = list_arguments(application_id, status, page_size)

        def fetch(offset: int, limit: int) -> Page[Job]:
            request = list_request(app, checked_status, offset, limit)
            return parse(self._session.send(request), _page)

        return SyncPager(fetch, size, _job_id)

    def watch(self, job_id: str, *, timeout: float = DEFAULT_WAIT_TIMEOUT) -> Iterator[Job]:
        """Yield the job each time its status changes, until it is final.

        >>> for job in jobs.watch("job-id"):
        ...     print(job.status)
        """
        request = retrieve_request(job_id)
        waiter = Waiter(
            job_id,
            check_seconds(timeout, "timeout"),
            FINAL_STATUSES,
            self.poll_policy,
            self._session.clock,
        )
        yield from watch_sync(
            waiter,
            lambda: self._session.send(request),
            lambda response: parse(response, _job),
            self._session.sleep,
        )

    def wait(
        self,
        job_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_status: Callable[[Job], object] | None = None,
    ) -> Job:
        """Poll until the job is completed or failed; WaitTimeoutError after ``timeout`` s.

        >>> jobs.wait("job-id", timeout=600).status
        """
        return last_of(self.watch(job_id, timeout=timeout), on_status)

    def create_and_wait(
        self,
        application_id: str,
        inputs: Inputs,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        idempotency_key: str | None = None,
        on_status: Callable[[Job], object] | None = None,
    ) -> Job:
        """Submit one job and wait for its final state.

        >>> jobs.create_and_wait("app-id", {"Product": "Flex yoga mat"}).data
        """
        check_seconds(timeout, "timeout")
        created = self.create(application_id, inputs, idempotency_key=idempotency_key)
        return self.wait(created.id, timeout=timeout, on_status=on_status)

    def run_batch(
        self,
        application_id: str,
        inputs: Iterable[Inputs],
        *,
        concurrency: int = 16,
        state: str | None = None,
        retry_failed: int = 0,
        on_progress: Callable[[Progress], object] | None = None,
    ) -> BatchRun:
        """Submit every input, wait for every job, and yield each result once, as they finish.

        ``state`` is a SQLite file: run the same call again after a crash and it resumes,
        sending nothing twice (None: a temporary file, removed at the end; no resume). The batch
        runs in a thread on its own async client with this client's key, base URL, timeouts and
        policies (an injected ``http_client`` or ``transport`` is not used). See
        :mod:`jobwise.batch`.

        >>> run = jobs.run_batch("app-id", ({"Product": name} for name in names),
        ...                      state="run.sqlite", retry_failed=1)
        >>> for item in run:
        ...     print(item.index, item.status, item.suggestion or item.error)
        >>> run.summary()
        """
        twin = self._twin
        engine = BatchEngine(
            AsyncWriterJobs(
                twin.settings.token,
                twin.settings.base_url,
                timeout=twin.timeout,
                max_retries=twin.max_retries,
                retry_policy=twin.retry_policy,
                poll_policy=self.poll_policy,
                allow_insecure=twin.allow_insecure,
            ),
            application_id,
            inputs,
            concurrency=concurrency,
            state=state,
            retry_failed=retry_failed,
            on_progress=on_progress,
        )
        return BatchRun(engine)


class AsyncWriterJobs(AsyncClient):
    """Writer's async jobs API for asyncio: the same names as :class:`WriterJobs`, awaited.

    >>> async with AsyncWriterJobs() as jobs:
    ...     job = await jobs.create_and_wait("app-id", {"Product": "Aqua swim goggles"})
    ...     async for job in jobs.list("app-id"):
    ...         print(job.id)
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 4,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
        poll_policy: PollPolicy | None = None,
        allow_insecure: bool = False,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        settings = writer_settings(api_key, base_url, allow_insecure)
        self.base_url = settings.base_url
        self.poll_policy = poll_policy or PollPolicy()
        self._session = AsyncSession(
            settings,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            http_client=http_client,
            transport=transport,
            sleep=sleep,
            clock=clock,
        )

    async def create(
        self,
        application_id: str,
        inputs: Inputs,
        *,
        idempotency_key: str | None = None,
        timeout: Timeout = None,
    ) -> JobCreated:
        """Submit one job; retried safely under one Idempotency-Key.

        >>> await jobs.create("app-id", {"Product": ["Aqua swim goggles"]})
        """
        request = create_request(application_id, inputs, idempotency_key)
        return parse(await self._session.send(request, timeout), _created)

    async def retrieve(self, job_id: str, *, timeout: Timeout = None) -> Job:
        """The job as it is now.

        >>> (await jobs.retrieve("job-id")).status
        """
        return parse(await self._session.send(retrieve_request(job_id), timeout), _job)

    async def retry(
        self, job_id: str, *, idempotency_key: str | None = None, timeout: Timeout = None
    ) -> JobCreated:
        """Retry a failed job (409 ConflictError for any other).

        >>> await jobs.retry("failed-job-id")
        """
        request = retry_request(job_id, idempotency_key)
        return parse(await self._session.send(request, timeout), _created)

    def list(
        self,
        application_id: str,
        *,
        status: JobStatus | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncPager[Job]:
        """Every job of an application, newest first, lazily and page after page.

        >>> async for job in jobs.list("app-id", status="failed"):
        ...     await jobs.retry(job.id)
        """
        app, checked_status, size = list_arguments(application_id, status, page_size)

        async def fetch(offset: int, limit: int) -> Page[Job]:
            request = list_request(app, checked_status, offset, limit)
            return parse(await self._session.send(request), _page)

        return AsyncPager(fetch, size, _job_id)

    async def watch(
        self, job_id: str, *, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> AsyncIterator[Job]:
        """Yield the job each time its status changes, until it is final.

        >>> for job in jobs.watch(job_id):  # async: async for job in jobs.watch(job_id)
        ...     print(job.status)
        """
        request = retrieve_request(job_id)
        waiter = Waiter(
            job_id,
            check_seconds(timeout, "timeout"),
            FINAL_STATUSES,
            self.poll_policy,
            self._session.clock,
        )
        async for job in watch_async(
            waiter,
            lambda: self._session.send(request),
            lambda response: parse(response, _job),
            self._session.sleep,
        ):
            yield job

    async def wait(
        self,
        job_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_status: Callable[[Job], object] | None = None,
    ) -> Job:
        """Poll until the job is completed or failed; WaitTimeoutError after ``timeout`` s.

        >>> (await jobs.wait("job-id", timeout=600)).status
        """
        return await alast_of(self.watch(job_id, timeout=timeout), on_status)

    async def create_and_wait(
        self,
        application_id: str,
        inputs: Inputs,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        idempotency_key: str | None = None,
        on_status: Callable[[Job], object] | None = None,
    ) -> Job:
        """Submit one job and wait for its final state.

        >>> (await jobs.create_and_wait("app-id", {"Product": "Flex yoga mat"})).data
        """
        check_seconds(timeout, "timeout")
        created = await self.create(application_id, inputs, idempotency_key=idempotency_key)
        return await self.wait(created.id, timeout=timeout, on_status=on_status)

    def run_batch(
        self,
        application_id: str,
        inputs: Iterable[Inputs],
        *,
        concurrency: int = 16,
        state: str | None = None,
        retry_failed: int = 0,
        on_progress: Callable[[Progress], object] | None = None,
    ) -> AsyncBatchRun:
        """Submit every input, wait for every job: ``async for item in run``.

        The same as :meth:`WriterJobs.run_batch`, on this client and its event loop.
        """
        engine = BatchEngine(
            self,
            application_id,
            inputs,
            concurrency=concurrency,
            state=state,
            retry_failed=retry_failed,
            on_progress=on_progress,
        )
        return AsyncBatchRun(engine)
