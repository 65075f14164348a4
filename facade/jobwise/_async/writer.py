"""Writer's no-code agent jobs: create, retrieve, retry, list, watch, wait, batches."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, Self

import httpx

from jobwise._api import writer as api
from jobwise._api.common import DEFAULT_WAIT_TIMEOUT, key_or_new
from jobwise._async.connection import AsyncAPIClient
from jobwise._async.pagination import AsyncPager
from jobwise._async.polling import last_of
from jobwise.attempts import MAX_RESPONSE_BYTES
from jobwise.batch.items import Progress
from jobwise.batch.options import BatchOptions
from jobwise.batch.run import AsyncBatchRun
from jobwise.http import Timeout, parse
from jobwise.models import Job, JobCreated, JobStatus
from jobwise.pagination import Page
from jobwise.polling import PollPolicy
from jobwise.retries import RetryPolicy
from jobwise.settings import (
    DEFAULT_TIMEOUT,
    WriterSdkClient,
    writer_rate_limit,
    writer_settings,
    writerai_options,
)
from jobwise.validation import (
    Inputs,
    check_callback,
    check_enum,
    check_id,
    check_int,
    check_job_id,
    check_optional_key,
    check_seconds,
    normalize_inputs,
)


class AsyncWriterJobs(AsyncAPIClient):
    """Writer's jobs API for no-code agents (its "async applications").

    >>> async with AsyncWriterJobs() as jobs:  # WRITER_API_KEY, WRITER_BASE_URL
    ...     job = await jobs.create_and_wait("app-id", {"Product": "Terra running shoe"})
    ...     print(job.data.suggestion)

    ``timeout`` bounds each HTTP attempt whole (not each read), and a method's own ``timeout=``
    that call, retries included (see :mod:`jobwise.attempts`); ``max_retries`` (or
    ``retry_policy``) the retries below every call (see :mod:`jobwise.retries`); ``poll_policy``
    the pauses of ``wait``; ``max_response_bytes`` the size of an answer. The retries send
    through ``http_client`` (your httpx client: its proxies, TLS, hooks) or ``transport`` (e.g.
    ``httpx.MockTransport``), else a pooled connection. ``idempotency="auto"`` trusts an
    Idempotency-Key only once the server echoes it (Writer is not known to honour keys), so a
    create that may have been stored is never re-sent blindly; ``"server"`` says it honours
    them. ``on_response`` is called with the answer of every call (``httpx.Response``, read,
    before an error status raises): its headers and status, e.g. a request id. ``sleep`` and
    ``clock`` replace the client's sleeping and ``time.monotonic``, and ``wallclock`` its
    ``time.time`` (tests replay instantly; a simulation runs in virtual time).
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
        idempotency: str = "auto",
        rate_limit: float | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        wallclock: Callable[[], float] | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        on_response: Callable[[httpx.Response], object] | None = None,
    ) -> None:
        settings = writer_settings(api_key, base_url, allow_insecure)
        self._connect(
            settings,
            timeout,
            max_retries,
            retry_policy,
            poll_policy,
            idempotency,
            writer_rate_limit(rate_limit),
            http_client,
            transport,
            sleep,
            clock,
            max_response_bytes,
            on_response,
            wallclock,
        )

    @classmethod
    def from_writerai(cls, client: WriterSdkClient, **options: Any) -> Self:
        """A client with the API key, base URL, timeout and max_retries of a configured
        ``writerai.AsyncWriter``, sending through jobwise's connections and retries (never the
        writerai client's, whose retries re-send a create blindly); ``options`` are the
        constructor's others (``rate_limit``, ``on_response``, ...) or override those four.

        >>> jobs = AsyncWriterJobs.from_writerai(writerai.AsyncWriter(timeout=30))
        """
        return cls(**(writerai_options(client) | options))

    async def create(
        self,
        application_id: str,
        inputs: Inputs,
        *,
        idempotency_key: str | None = None,
        timeout: Timeout = None,
    ) -> JobCreated:
        """Submit one job; retried safely under one Idempotency-Key.

        >>> await jobs.create("app-id", {"Product descriptions": ["Terra running shoe"]})
        """
        request = api.create_request(
            check_id(application_id, "application_id"),
            normalize_inputs(inputs),
            key_or_new(check_optional_key(idempotency_key)),
        )
        return parse(await self._connection.send(request, timeout), api.parse_created)

    async def retrieve(self, job_id: str | uuid.UUID, *, timeout: Timeout = None) -> Job:
        """The job as it is now.

        >>> (await jobs.retrieve("job-id")).status
        """
        checked = check_job_id(job_id)
        request = api.retrieve_request(checked)
        return parse(await self._connection.send(request, timeout), api.job_parser(checked))

    async def retry(
        self,
        job_id: str | uuid.UUID,
        *,
        idempotency_key: str | None = None,
        timeout: Timeout = None,
    ) -> JobCreated:
        """Retry a failed job (409 ConflictError for any other).

        >>> await jobs.retry("failed-job-id")
        """
        request = api.retry_request(
            check_job_id(job_id), key_or_new(check_optional_key(idempotency_key))
        )
        return parse(await self._connection.send(request, timeout), api.parse_created)

    def list(
        self,
        application_id: str,
        *,
        status: JobStatus | str | None = None,
        page_size: int = api.DEFAULT_PAGE_SIZE,
    ) -> AsyncPager[Job]:
        """Every job of an application, newest first, lazily and page after page.

        Pages are read by offset: a job that leaves the ``status`` filter while you page (one
        you retry) moves the later ones a place back, and one a page goes unseen (retried
        while listed, 100 of 150 failed jobs were). Take the ids first:

        >>> failed = [job.id async for job in jobs.list("app-id", status="failed")]
        >>> for job_id in failed:
        ...     await jobs.retry(job_id)
        """
        app = check_id(application_id, "application_id")
        wanted = None if status is None else check_enum(status, JobStatus, "status")
        size = check_int(page_size, "page_size", 1, api.MAX_PAGE_SIZE)

        parser = api.page_parser(app)

        async def fetch(offset: int, limit: int) -> Page[Job]:
            request = api.list_request(app, wanted, offset, limit)
            return parse(await self._connection.send(request), parser)

        return AsyncPager(fetch, size, api.job_id)

    def watch(
        self, job_id: str | uuid.UUID, *, timeout: float = DEFAULT_WAIT_TIMEOUT
    ) -> AsyncIterator[Job]:
        """Yield the job each time its status changes, until it is final.

        >>> async for job in jobs.watch("job-id"):
        ...     print(job.status)
        """
        checked = check_job_id(job_id)
        request = api.retrieve_request(checked)
        parser = api.job_parser(checked)
        return self._watch(checked, request, api.FINAL_STATUSES, timeout, parser)

    async def wait(
        self,
        job_id: str | uuid.UUID,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_status: Callable[[Job], object] | None = None,
    ) -> Job:
        """Poll until the job is completed or failed; WaitTimeoutError after ``timeout`` s.
        A job that answers 404 is looked for again for 10 s (a job just created may not show
        yet), then NotFoundError: check an id from elsewhere with ``retrieve`` first.

        >>> (await jobs.wait("job-id", timeout=600)).status
        """
        return await last_of(self.watch(job_id, timeout=timeout), on_status)

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
        check_callback(on_status, "on_status")
        created = await self.create(application_id, inputs, idempotency_key=idempotency_key)
        return await self.wait(created.id, timeout=timeout, on_status=on_status)

    def run_batch(
        self,
        application_id: str,
        inputs: Iterable[Inputs],
        *,
        concurrency: int = BatchOptions.concurrency,
        state: str | os.PathLike[str] | None = None,
        retry_failed: int = BatchOptions.retry_failed,
        on_progress: Callable[[Progress], object] | None = None,
        deadline: float | None = None,
        resend_ambiguous: bool = BatchOptions.resend_ambiguous,
        adopt: bool = BatchOptions.adopt,
        stall_timeout: float = BatchOptions.stall_timeout,
        rate_limit: float | None = None,
    ) -> AsyncBatchRun:
        """Submit every input, wait for every job, and yield each input's outcome once.

        ``state`` is a SQLite file: run the same call again after a crash and it resumes,
        sending nothing twice (None: SQLite's private temporary database; no resume). Each
        input is copied as it is read, in a worker thread: a source bound to its thread (a
        sqlite3 cursor) must be read into a list first. Items end
        completed, failed, invalid, ambiguous (a lost create that could be one of several jobs;
        ``resend_ambiguous=True`` on a later run sends them again, which may duplicate) or
        timed_out (after ``deadline`` seconds; a later run resumes them). ``adopt=False`` never
        adopts the one job a lost create may have made (see :mod:`jobwise.batch`). A server that
        gives no usable answer for ``stall_timeout`` seconds stops the run with
        ServerUnavailableError. The batch runs on this client as it is (its http_client or
        transport, sleep and clock); ``rate_limit`` (requests per minute) sets the client's
        pace from then on, creates going before sweeps. ``on_progress`` is called at most ten
        times a second; its error stops the run once the creates in flight have answered.

        >>> run = jobs.run_batch("app-id", ({"Product": name} for name in names),
        ...                      state="run.sqlite", retry_failed=1)
        >>> async for item in run:
        ...     print(item.index, item.status, item.suggestion or item.error)
        >>> run.summary()
        """
        options = BatchOptions.checked(
            application_id,
            inputs,
            concurrency=concurrency,
            state=state,
            retry_failed=retry_failed,
            on_progress=on_progress,
            deadline=deadline,
            resend_ambiguous=resend_ambiguous,
            adopt=adopt,
            stall_timeout=stall_timeout,
            rate_limit=rate_limit,
        )
        return AsyncBatchRun(self, options)
