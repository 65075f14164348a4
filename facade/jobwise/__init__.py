"""jobwise: a client for asynchronous job APIs (Writer no-code agents, osapi).

>>> from jobwise import WriterJobs
>>> with WriterJobs() as jobs:  # reads WRITER_API_KEY
...     job = jobs.create_and_wait("app-id", {"Product descriptions": ["Terra running shoe"]})
...     print(job.data.suggestion)
"""

from jobwise.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InvalidArgumentError,
    InvalidResponseError,
    JobwiseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
    WaitTimeoutError,
)
from jobwise.models import (
    UNSET,
    Job,
    JobCreated,
    JobCreateRequest,
    JobInput,
    JobList,
    JobResult,
    JobStatus,
    OsapiAgentResponse,
    OsapiAgentState,
    OsapiError,
    OsapiJob,
    OsapiJobList,
    OsapiJobStatus,
    OsapiJobStatusFilter,
    OsapiRetryRequest,
    OsapiRetryResult,
    OsapiTimelineEvent,
    Pagination,
    Unset,
    WriterError,
    WriterErrorItem,
)
from jobwise.osapi import AsyncOsapiJobs, OsapiJobs
from jobwise.pagination import AsyncPager, SyncPager
from jobwise.polling import PollPolicy
from jobwise.retries import RetryPolicy
from jobwise.times import parse_time
from jobwise.writer import AsyncWriterJobs, WriterJobs

__version__ = "0.1.0"

__all__ = [
    "UNSET",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncOsapiJobs",
    "AsyncPager",
    "AsyncWriterJobs",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InvalidArgumentError",
    "InvalidResponseError",
    "Job",
    "JobCreateRequest",
    "JobCreated",
    "JobInput",
    "JobList",
    "JobResult",
    "JobStatus",
    "JobwiseError",
    "NotFoundError",
    "OsapiAgentResponse",
    "OsapiAgentState",
    "OsapiError",
    "OsapiJob",
    "OsapiJobList",
    "OsapiJobStatus",
    "OsapiJobStatusFilter",
    "OsapiJobs",
    "OsapiRetryRequest",
    "OsapiRetryResult",
    "OsapiTimelineEvent",
    "Pagination",
    "PermissionDeniedError",
    "PollPolicy",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "SyncPager",
    "UnprocessableEntityError",
    "Unset",
    "WaitTimeoutError",
    "WriterError",
    "WriterErrorItem",
    "WriterJobs",
    "__version__",
    "parse_time",
]
