"""osapi's job queue: list, retrieve, watch, wait, retry, delete."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx

from jobwise._api import osapi as api
from jobwise._api.common import DEFAULT_WAIT_TIMEOUT, key_or_new
from jobwise._async.connection import AsyncAPIClient
from jobwise._async.pagination import AsyncPager
from jobwise._async.polling import last_of
from jobwise.attempts import MAX_RESPONSE_BYTES
from jobwise.errors import InvalidArgumentError
from jobwise.http import Timeout, parse
from jobwise.models import OsapiJob, OsapiJobStatusFilter, OsapiRetryResult
from jobwise.pagination import Page
from jobwise.polling import PollPolicy
from jobwise.retries import RetryPolicy
from jobwise.settings import DEFAULT_TIMEOUT, osapi_settings
from jobwise.validation import check_enum, check_int, check_optional_key, check_uuid


def _hostname(target_hostname: object) -> str | None:
    if target_hostname is not None and (
        not isinstance(target_hostname, str) or not target_hostname.strip()
    ):
        raise InvalidArgumentError("target_hostname", "must be a non-empty string or None")
    return target_hostname


class AsyncOsapiJobs(AsyncAPIClient):
    """osapi's job API.

    >>> async with AsyncOsapiJobs("http://localhost:8080", token="...") as jobs:
    ...     async for job in jobs.list(status="failed"):  # or OSAPI_URL, OSAPI_TOKEN
    ...         await jobs.retry(job.id)

    Newer servers serve the API under ``/api``: pass ``http://HOST:8080/api``. A bearer token is
    refused over plain http to any host but loopback unless ``allow_insecure=True``. The other
    options are :class:`AsyncWriterJobs`'s.
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
        idempotency: str = "auto",
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        settings = osapi_settings(base_url, token, allow_insecure)
        self._connect(
            settings,
            timeout,
            max_retries,
            retry_policy,
            poll_policy,
            idempotency,
            http_client,
            transport,
            sleep,
            clock,
            max_response_bytes,
        )

    async def retrieve(self, job_id: str | uuid.UUID, *, timeout: Timeout = None) -> OsapiJob:
        """One job with its responses, agent states and timeline.

        >>> (await jobs.retrieve("550e8400-e29b-41d4-a716-446655440000")).status
        """
        checked = check_uuid(job_id, "job_id")
        request = api.retrieve_request(checked)
        return parse(await self._connection.send(request, timeout), api.job_parser(checked))

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
        request = api.retry_request(
            check_uuid(job_id, "job_id"),
            _hostname(target_hostname),
            key_or_new(check_optional_key(idempotency_key)),
        )
        return parse(await self._connection.send(request, timeout), api.parse_retry)

    async def delete(self, job_id: str | uuid.UUID, *, timeout: Timeout = None) -> None:
        """Delete a job.

        >>> await jobs.delete(job.id)
        """
        await self._connection.send(api.delete_request(check_uuid(job_id, "job_id")), timeout)

    def list(
        self,
        *,
        status: OsapiJobStatusFilter | str | None = None,
        page_size: int = api.MAX_PAGE_SIZE,
    ) -> AsyncPager[OsapiJob]:
        """Every job, newest first, lazily and page after page (``page_size`` 1..100).

        >>> async for job in jobs.list(status="failed"):
        ...     print(job.id)
        """
        wanted = None if status is None else check_enum(status, OsapiJobStatusFilter, "status")
        size = check_int(page_size, "page_size", 1, api.MAX_PAGE_SIZE)

        async def fetch(offset: int, limit: int) -> Page[OsapiJob]:
            request = api.list_request(wanted, offset, limit)
            return parse(await self._connection.send(request), api.parse_page)

        return AsyncPager(fetch, size, api.job_id)

    def watch(
        self, job_id: str | uuid.UUID, *, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> AsyncIterator[OsapiJob]:
        """Yield the job each time its status changes, until it is final.

        >>> async for job in jobs.watch(job_id):
        ...     print(job.status)
        """
        checked = check_uuid(job_id, "job_id")
        request = api.retrieve_request(checked)
        parser = api.job_parser(checked)
        return self._watch(str(checked), request, api.FINAL_STATUSES, timeout, parser)

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
        return await last_of(self.watch(job_id, timeout=timeout), on_status)
