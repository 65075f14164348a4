"""osapi's job queue: list, retrieve, watch, wait, retry (a new job), delete."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx

from jobwise._api import osapi as api
from jobwise._api.common import DEFAULT_WAIT_TIMEOUT
from jobwise._async.connection import AsyncAPIClient
from jobwise._async.pagination import AsyncPager
from jobwise._async.polling import last_of
from jobwise.attempts import MAX_RESPONSE_BYTES
from jobwise.errors import (
    AmbiguousRetryError,
    APIConnectionError,
    APIStatusError,
    BasePathNotFoundError,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
)
from jobwise.http import Request, Timeout, parse
from jobwise.lost_posts import CandidateScan, Settlement, Window, may_be_stored, settle
from jobwise.lost_retries import KnownJobs, listed, operation_of
from jobwise.models import OsapiJob, OsapiJobStatusFilter
from jobwise.pagination import Page
from jobwise.polling import PollPolicy
from jobwise.retries import RetryPolicy
from jobwise.settings import DEFAULT_TIMEOUT, check_rate_limit, osapi_settings
from jobwise.validation import (
    check_callback,
    check_encodable,
    check_enum,
    check_int,
    check_seconds,
    check_uuid,
)

log = logging.getLogger("jobwise")

SETTLE_PAGES = 20
"""Pages of 100 a lost retry's settling reads at most: 2,000 jobs made while it was unanswered."""


def _hostname(target_hostname: object) -> str | None:
    if target_hostname is None:
        return None
    if not isinstance(target_hostname, str) or not target_hostname.strip():
        raise InvalidArgumentError("target_hostname", "must be a non-empty string or None")
    return check_encodable(target_hostname, "target_hostname")


class AsyncOsapiJobs(AsyncAPIClient):
    """osapi's job API.

    >>> async with AsyncOsapiJobs("http://localhost:8080", token="...") as jobs:
    ...     job = await jobs.retrieve("job-id")  # or OSAPI_URL, OSAPI_TOKEN
    ...     new = await jobs.retry_and_wait(job.id)  # a new job; the old one stays failed

    Servers since April 2026 serve the API under ``/api``, older ones at the root: a base URL
    ending in ``/api`` is used as it is; otherwise the first call finds which of ``/api/job``
    and ``/job`` the server serves. A bearer token is refused over plain http to any host but
    loopback unless ``allow_insecure=True`` (or JOBWISE_ALLOW_INSECURE=1). osapi honours no
    Idempotency-Key: a retry whose answer is lost is settled by listing, never re-sent blindly.
    The other options are :class:`AsyncWriterJobs`'s.
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
        rate_limit: float | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        wallclock: Callable[[], float] | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        on_response: Callable[[httpx.Response], object] | None = None,
    ) -> None:
        settings = osapi_settings(base_url, token, allow_insecure)
        self._connect(
            settings,
            timeout,
            max_retries,
            retry_policy,
            poll_policy,
            "auto",  # no key is ever sent: osapi has none
            check_rate_limit(rate_limit),
            http_client,
            transport,
            sleep,
            clock,
            max_response_bytes,
            on_response,
            wallclock,
        )
        self._prefix: str | None = "" if api.ends_in_prefix(self.base_url) else None
        self._known = KnownJobs()

    async def _send(
        self, request: Request, timeout: Timeout = None, within: float | None = None
    ) -> httpx.Response:
        """Send ``request`` under the server's base path (found on the first call)."""
        if self._prefix is None:
            self._prefix = await self._find_prefix()
        return await self._connection.send(api.under(self._prefix, request), timeout, within)

    async def _find_prefix(self) -> str:
        """ "/api" when the server serves its job list there, else "" (tried second)."""
        try:
            await self._probe(api.API_PREFIX)
            return api.API_PREFIX
        except NotFoundError:
            pass
        try:
            await self._probe("")
        except NotFoundError as exc:
            tried = [f"{self.base_url}{prefix}/job" for prefix in (api.API_PREFIX, "")]
            raise BasePathNotFoundError(exc, tried) from exc
        return ""

    async def _probe(self, prefix: str) -> None:
        """Raise NotFoundError unless the job list answers under ``prefix`` (osapi checks auth
        per route, so an unknown path answers 404 whatever the token)."""
        try:
            await self._connection.send(api.under(prefix, api.list_request(None, 0, 1)))
        except NotFoundError:
            raise
        except APIStatusError:
            pass  # 401, 403, 5xx: the route is there, and the call itself will report it

    async def retrieve(self, job_id: str | uuid.UUID, *, timeout: Timeout = None) -> OsapiJob:
        """One job with its responses, agent states and timeline.

        >>> (await jobs.retrieve("550e8400-e29b-41d4-a716-446655440000")).status
        """
        checked = check_uuid(job_id, "job_id")
        request = api.retrieve_request(checked)
        job = parse(await self._send(request, timeout), api.job_parser(checked))
        self._known.saw([job.id], self.clock())
        return job

    async def retry(
        self,
        job_id: str | uuid.UUID,
        target_hostname: str | None = None,
        *,
        timeout: Timeout = None,
    ) -> str:
        """Run a job's operation again, optionally on one agent; returns the NEW job's id
        (osapi makes a new job per retry and keeps the old one).

        An unanswered retry is settled by listing the jobs of its operation created meanwhile,
        but for those this client made or saw before sending it: one is the new job; none, and
        it is sent once more; several raise AmbiguousRetryError.

        >>> new_id = await jobs.retry(job.id, target_hostname="web-01")
        """
        checked = check_uuid(job_id, "job_id")
        request = api.retry_request(checked, _hostname(target_hostname))
        lost: APIConnectionError | ServerError | None = None
        self._known.claim(str(checked))
        for _ in range(2):  # the retry, and once more when the listing shows it made no job
            sent = self.clock()
            try:
                new_id = parse(await self._send(request, timeout), api.parse_new_job_id)
                self._known.claim(new_id)
                return new_id
            except (APIConnectionError, ServerError) as exc:
                if not may_be_stored(exc):
                    raise
                lost = exc
            made = await self._jobs_made_by_retry(checked, sent)
            settlement = settle(made)
            if settlement is Settlement.AMBIGUOUS:
                raise AmbiguousRetryError(str(checked), made) from lost
            if settlement is Settlement.ADOPT:
                log.info("jobwise: retry of %s got no answer; it made job %s", checked, made[0])
                self._known.claim(made[0])
                return made[0]
            log.warning("jobwise: retry of %s got no answer, made no job: sent again", checked)
        assert lost is not None
        raise lost

    async def _jobs_made_by_retry(self, job_id: uuid.UUID, sent: float) -> list[str]:
        """The ids of jobs of ``job_id``'s operation created since ``sent`` (our clock), newest
        first, read from the listing until it reaches older jobs; those this client made or saw
        before ``sent`` are left out."""
        operation = operation_of(await self.retrieve(job_id))
        if operation is None:  # osapi refuses to retry such a job: it made none
            return []
        known = self._known.before(sent)
        window = Window(0.0, 0.0)  # drawn from the first page's Date
        scan = CandidateScan(lambda: window.opens)
        for page_number in range(SETTLE_PAGES):
            request = api.list_request(None, page_number * api.MAX_PAGE_SIZE, api.MAX_PAGE_SIZE)
            response = await self._send(request)
            if not page_number:
                window = Window.back_from(
                    response.headers.get("date"), self.clock() - sent, self.wall()
                )
            page = self._seen(parse(response, api.parse_page))
            done = scan.read([listed(job, operation, known) for job in page.items])
            if done or len(page.items) < api.MAX_PAGE_SIZE:
                return scan.within(window)
        raise AmbiguousRetryError(str(job_id), scan.within(window), read_all=False)

    async def retry_and_wait(
        self,
        job_id: str | uuid.UUID,
        target_hostname: str | None = None,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_status: Callable[[OsapiJob], object] | None = None,
    ) -> OsapiJob:
        """Retry a job and wait for the NEW job to be final.

        >>> (await jobs.retry_and_wait(job.id, timeout=60)).status
        """
        check_seconds(timeout, "timeout")
        check_callback(on_status, "on_status")
        new_id = await self.retry(job_id, target_hostname)
        return await self.wait(new_id, timeout=timeout, on_status=on_status)

    async def delete(self, job_id: str | uuid.UUID, *, timeout: Timeout = None) -> None:
        """Delete a job.

        >>> await jobs.delete(job.id)
        """
        await self._send(api.delete_request(check_uuid(job_id, "job_id")), timeout)

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
            return self._seen(parse(await self._send(request), api.parse_page))

        return AsyncPager(fetch, size, api.job_id)

    def _seen(self, page: Page[OsapiJob]) -> Page[OsapiJob]:
        """``page``, its jobs noted as seen now (no retry sent later made them)."""
        self._known.saw([job.id for job in page.items], self.clock())
        return page

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
        """Poll until completed, failed, partial_failure or skipped. A job that answers 404 is
        looked for again for 10 s (a job just created may not show yet), then NotFoundError.

        >>> (await jobs.wait(job.id, timeout=60)).status
        """
        return await last_of(self.watch(job_id, timeout=timeout), on_status)
