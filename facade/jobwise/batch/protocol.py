"""What the batch engine needs of a client: the calls it makes, and nothing private."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol

from jobwise.models import Job, JobCreated, JobStatus
from jobwise.validation import Inputs


class AsyncPages(Protocol):
    """A listing the engine reads page by page."""

    def pages(self) -> AsyncIterator[list[Job]]: ...


class AsyncBatchClient(Protocol):
    """What the batch engine needs of a client; :class:`jobwise.AsyncWriterJobs` has it all."""

    base_url: str
    rate_limit: float | None
    """Requests per minute the client paces itself to (settable)."""

    @property
    def requests_sent(self) -> int: ...

    @property
    def keys_trusted(self) -> bool: ...

    def trust_keys(self) -> None:
        """Re-send creates under their keys from now on (the server honours them)."""

    @property
    def server_clock_offset(self) -> tuple[float, float] | None:
        """Bounds of the server's clock minus :meth:`wall` its answers' Date headers taught
        (None: none yet); they narrow a lost create's window before any create has answered."""

    async def create(
        self, application_id: str, inputs: Inputs, *, idempotency_key: str | None = None
    ) -> JobCreated: ...

    async def retrieve(self, job_id: str) -> Job: ...

    async def retry(self, job_id: str, *, idempotency_key: str | None = None) -> JobCreated: ...

    def list(
        self, application_id: str, *, status: JobStatus | str | None = None, page_size: int = ...
    ) -> AsyncPages: ...

    async def sleep(self, seconds: float) -> None: ...

    def clock(self) -> float: ...

    def wall(self) -> float:
        """Unix seconds on a wall clock that never steps (:class:`jobwise.times.SteadyWall`)."""

    def wall_step(self) -> float:
        """Seconds the machine's wall clock has moved from :meth:`wall`."""

    def on_congestion(self, callback: Callable[[int], None]) -> Callable[[], None]: ...
