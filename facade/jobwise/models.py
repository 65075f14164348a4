"""The API's models, re-exported from the generated client under readable names.

jobwise has no second model hierarchy: every result is one of these attrs classes. The error
bodies are ``WriterErrorBody`` and ``OsapiErrorBody``: a name ending in ``Error`` is an exception.
"""

from jobwise_api.models import (
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
    WriterErrorBody,
    WriterErrorItem,
)
from jobwise_api.types import UNSET, Unset

__all__ = [
    "UNSET",
    "Job",
    "JobCreateRequest",
    "JobCreated",
    "JobInput",
    "JobList",
    "JobResult",
    "JobStatus",
    "OsapiAgentResponse",
    "OsapiAgentState",
    "OsapiErrorBody",
    "OsapiJob",
    "OsapiJobList",
    "OsapiJobStatus",
    "OsapiJobStatusFilter",
    "OsapiRetryRequest",
    "OsapiRetryResult",
    "OsapiTimelineEvent",
    "Pagination",
    "Unset",
    "WriterErrorBody",
    "WriterErrorItem",
]
