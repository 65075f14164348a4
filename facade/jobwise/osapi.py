"""osapi's job queue: :class:`OsapiJobs` and :class:`AsyncOsapiJobs`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
from jobwise_api.api.osapi import delete_osapi_job, get_osapi_job, list_osapi_jobs, retry_osapi_job

from jobwise.errors import InvalidArgumentError
from jobwise.models import (
    UNSET,
    OsapiJob,
    OsapiJobList,
    OsapiJobStatusFilter,
    OsapiRetryRequest,
    OsapiRetryResult,
    Unset,
)
from jobwise.pagination import AsyncPager, Page, SyncPager
from jobwise.polling import PollPolicy, Waiter, alast_of, last_of, watch_async, watch_sync
from jobwise.retries import RetryPolicy
from jobwise.session import AsyncClient, AsyncSession, SyncClient, SyncSession, Timeout, parse
from jobwise.settings import DEFAULT_TIMEOUT, osapi_settings
from jobwise.validation import check_enum, check_int, check_optional_key, check_seconds, check_uuid
from jobwise.writer import DEFAULT_WAIT_TIMEOUT, new_idempotency_key

FINAL_STATUSES = frozenset({"completed", "failed", "partial_failure", "skipped"})
MAX_PAGE_SIZE = 100


def _page(data: Any) -> Page[OsapiJob]:
    page = OsapiJobList.from_dict(data)
    items = [] if isinstance(page.items, Unset) else list(page.items)
    total = page.total_items if isinstance(page.total_items, int) else None
    return Page(items, total, None)


def _job_id(job: OsapiJob) -> str:
    return job.id


def retry_request(
    job_id: str | uuid.UUID, target_hostname: str | None, idempotency_key: str | None
) -> Any:
    """The retry call's request."""
    if target_hostname is not None and (
        not isinstance(target_hostname, str) or not target_hostname.strip()
    ):
        raise InvalidArgumentError("target_hostname", "must be a non-empty string or None")
    body = OsapiRetryRequest(target_hostname=target_hostname if target_hostname else UNSET)
    return retry_osapi_job._get_kwargs(
        check_uuid(job_id, "job_id"),
        body=body,
        idempotency_key=check_optional_key(idempotency_key) or new_idempotency_key(),
    )


def list_arguments(
    status: OsapiJobStatusFilter | str | None, page_size: int
) -> tuple[OsapiJobStatusFilter | None, int]:
    """The list call's checked arguments."""
    return (
        None if status is None else check_enum(status, OsapiJobStatusFilter, "status"),
        check_int(page_size, "page_size", 1, MAX_PAGE_SIZE),
    )


def list_request(status: OsapiJobStatusFilter | None, offset: int, limit: int) -> Any:
    """One list page's request."""
    return list_osapi_jobs._get_kwargs(
        status=status if status is not None else UNSET, limit=limit, offset=offset
    )


class OsapiJobs(SyncClient):
    """osapi's job API, synchronously.

    >>> jobs = OsapiJobs("http://localhost:8080", token="...")  # or OSAPI_URL, OSAPI_TOKEN
    >>> for job in jobs.list(status="failed"):
    ...     jobs.retry(job.id)

    Newer servers serve the API under ``/api``: pass ``http://HOST:8080/api``. A bearer token is
    refused over plain http to any host but loopback unless ``allow_insecure=True``.
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
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
        settings = osapi_settings(base_url, token, allow_insecure)
        self.base_url = settings.base_url
        self.poll_policy = poll_policy or PollPolicy()
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

    def retrieve(self, job_id: str | uuid.UUID, *, timeout: Timeout = None) -> OsapiJob:
        """One job with its responses, agent states and timeline.

        >>> jobs.retrieve("550e8400-e29b-41d4-a716-446655440000").status
        """
        request = get_osapi_job._get_kwargs(check_uuid(job_id, "job_id"))
        return parse(self._session.send(request, timeout), OsapiJob.from_dict)

    def retry(
        self,
        job_id: str | uuid.UUID,
        target_hostname: str | None = None,
        *,
        idempotency_key: str | None = None,
        timeout: Timeout = None,
    ) -> OsapiRetryResult:
        """Queue a finished job again, optionally on one host (answers status "unprocessed").

        >>> jobs.retry(job.id, target_hostname="web-01")
        """
        request = retry_request(job_id, target_hostname, idempotency_key)
        return parse(self._session.send(request, timeout), OsapiRetryResult.from_dict)

    def delete(self, job_id: str | uuid.UUID, *, timeout: Timeout = None) -> None:
        """Delete a job.

        >>> jobs.delete(job.id)
        """
        self._session.send(delete_osapi_job._get_kwargs(check_uuid(job_id, "job_id")), timeout)

    def list(
        self, *, status: OsapiJobStatusFilter | str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> SyncPager[OsapiJob]:
        """Every job, newest first, lazily and page after page (``page_size`` 1..100).

        >>> [job.id for job in jobs.list(status="failed")]
        """
        status_filter, size = list_arguments(status, page_size)

        def fetch(offset: int, limit: int) -> Page[OsapiJob]:
            return parse(self._session.send(list_request(status_filter, offset, limit)), _page)

        return SyncPager(fetch, size, _job_id)

    def watch(
        self, job_id: str | uuid.UUID, *, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> Iterator[OsapiJob]:
        """Yield the job each time its status changes, until it is final.

        >>> for job in jobs.watch(job_id):  # async: async for job in jobs.watch(job_id)
        ...     print(job.status)
        """
        checked = check_uuid(job_id, "job_id")
        request = get_osapi_job._get_kwargs(checked)
        waiter = Waiter(
            str(checked),
            check_seconds(timeout, "timeout"),
            FINAL_STATUSES,
            self.poll_policy,
            self._session.clock,
        )
        yield from watch_sync(
            waiter,
            lambda: self._session.send(request),
            lambda response: parse(response, OsapiJob.from_dict),
            self._session.sleep,
        )

    def wait(
        self,
        job_id: str | uuid.UUID,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_status: Callable[[OsapiJob], object] | None = None,
    ) -> OsapiJob:
        """Poll until completed, failed, partial_failure or skipped.

        >>> jobs.wait(job.id, timeout=60).status
        """
        return last_of(self.watch(job_id, timeout=timeout), on_status)


class AsyncOsapiJobs(AsyncClient):
    """osapi's job API for asyncio: the same names as :class:`OsapiJobs`, awaited.

    >>> async with AsyncOsapiJobs("http://localhost:8080", token="...") as jobs:
    ...     async for job in jobs.list(status="failed"):
    ...         await jobs.retry(job.id)
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
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
        settings = osapi_settings(base_url, token, allow_insecure)
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

    async def retrieve(self, job_id: str | uuid.UUID, *, timeout: Timeout = None) -> OsapiJob:
        """One job with its responses, agent states and timeline.

        >>> (await jobs.retrieve("550e8400-e29b-41d4-a716-446655440000")).status
        """
        request = get_osapi_job._get_kwargs(check_uuid(job_id, "job_id"))
        return parse(await self._session.send(request, timeout), OsapiJob.from_dict)

    async def retry(
        self,
        job_id: str | uuid.UUID,
        target_hostname: str | None = None,
        *,
        idempotency_key: str | None = None,
        timeout: Timeout = None,
    ) -> OsapiRetryResult:
        """Queue a finished job again, optionally on one host.

        >>> await jobs.retry(job.id, target_hostname="web-01")
        """
        request = retry_request(job_id, target_hostname, idempotency_key)
        return parse(await self._session.send(request, timeout), OsapiRetryResult.from_dict)

    async def delete(self, job_id: str | uuid.UUID, *, timeout: Timeout = None) -> None:
        """Delete a job.

        >>> await jobs.delete(job.id)
        """
        request = delete_osapi_job._get_kwargs(check_uuid(job_id, "job_id"))
        await self._session.send(request, timeout)

    def list(
        self, *, status: OsapiJobStatusFilter | str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncPager[OsapiJob]:
        """Every job, newest first, lazily and page after page (``page_size`` 1..100).

        >>> async for job in jobs.list(status="failed"):
        ...     print(job.id)
        """
        status_filter, size = list_arguments(status, page_size)

        async def fetch(offset: int, limit: int) -> Page[OsapiJob]:
            return parse(
                await self._session.send(list_request(status_filter, offset, limit)), _page
            )

        return AsyncPager(fetch, size, _job_id)

    async def watch(
        self, job_id: str | uuid.UUID, *, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> AsyncIterator[OsapiJob]:
        """Yield the job each time its status changes, until it is final.

        >>> for job in jobs.watch(job_id):  # async: async for job in jobs.watch(job_id)
        ...     print(job.status)
        """
        checked = check_uuid(job_id, "job_id")
        request = get_osapi_job._get_kwargs(checked)
        waiter = Waiter(
            str(checked),
            check_seconds(timeout, "timeout"),
            FINAL_STATUSES,
            self.poll_policy,
            self._session.clock,
        )
        async for job in watch_async(
            waiter,
            lambda: self._session.send(request),
            lambda response: parse(response, OsapiJob.from_dict),
            self._session.sleep,
        ):
            yield job

    async def wait(
        self,
        job_id: str | uuid.UUID,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_status: Callable[[OsapiJob], object] | None = None,
    ) -> OsapiJob:
        """Poll until completed, failed, partial_failure or skipped.

        >>> (await jobs.wait(job.id, timeout=60)).status
        """
        return await alast_of(self.watch(job_id, timeout=timeout), on_status)
