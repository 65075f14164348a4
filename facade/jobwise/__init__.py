"""jobwise: a client for asynchronous job APIs (Writer no-code agents, osapi).

>>> from jobwise import WriterJobs
>>> with WriterJobs() as jobs:  # reads WRITER_API_KEY
...     job = jobs.create_and_wait("app-id", {"Product descriptions": ["Terra running shoe"]})
...     print(job.data.suggestion)
"""

from jobwise._async.osapi import AsyncOsapiJobs
from jobwise._async.pagination import AsyncPager
from jobwise._async.writer import AsyncWriterJobs
from jobwise._sync.osapi import OsapiJobs
from jobwise._sync.pagination import SyncPager
from jobwise._sync.writer import WriterJobs
from jobwise._version import __version__
from jobwise.batch.items import BatchItem, BatchSummary, ItemStatus, Progress
from jobwise.batch.protocol import AsyncBatchClient
from jobwise.batch.reader import read_results
from jobwise.batch.run import AsyncBatchRun, BatchRun
from jobwise.batch.schema import StateFileError
from jobwise.batch.sync_protocol import BatchClient
from jobwise.errors import (
    AmbiguousRetryError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BasePathNotFoundError,
    ClientClosedError,
    ConflictError,
    InternalServerError,
    InvalidArgumentError,
    InvalidResponseError,
    JobIdReusedError,
    JobwiseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    ServerUnavailableError,
    UnprocessableEntityError,
    WaitTimeoutError,
    WriterError,
)
from jobwise.logs import setup_logging as _setup_logging
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
    OsapiErrorBody,
    OsapiJob,
    OsapiJobList,
    OsapiJobStatus,
    OsapiJobStatusFilter,
    OsapiRetryRequest,
    OsapiRetryResult,
    OsapiTimelineEvent,
    Pagination,
    Unset,
    WriterErrorBody,
    WriterErrorItem,
)
from jobwise.polling import PollPolicy
from jobwise.retries import RetryPolicy
from jobwise.times import parse_time
from jobwise.validation import Inputs, InputSet

_setup_logging()  # JOBWISE_LOG / WRITER_LOG, as writer-sdk does

__all__ = [
    "UNSET",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousRetryError",
    "AsyncBatchClient",
    "AsyncBatchRun",
    "AsyncOsapiJobs",
    "AsyncPager",
    "AsyncWriterJobs",
    "AuthenticationError",
    "BadRequestError",
    "BasePathNotFoundError",
    "BatchClient",
    "BatchItem",
    "BatchRun",
    "BatchSummary",
    "ClientClosedError",
    "ConflictError",
    "InputSet",
    "Inputs",
    "InternalServerError",
    "InvalidArgumentError",
    "InvalidResponseError",
    "ItemStatus",
    "Job",
    "JobCreateRequest",
    "JobCreated",
    "JobIdReusedError",
    "JobInput",
    "JobList",
    "JobResult",
    "JobStatus",
    "JobwiseError",
    "NotFoundError",
    "OsapiAgentResponse",
    "OsapiAgentState",
    "OsapiErrorBody",
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
    "Progress",
    "RateLimitError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "ServerUnavailableError",
    "StateFileError",
    "SyncPager",
    "UnprocessableEntityError",
    "Unset",
    "WaitTimeoutError",
    "WriterError",
    "WriterErrorBody",
    "WriterErrorItem",
    "WriterJobs",
    "__version__",
    "parse_time",
    "read_results",
]
