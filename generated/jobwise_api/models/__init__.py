"""Contains all the data models used in inputs/outputs"""

from .job import Job
from .job_create_request import JobCreateRequest
from .job_created import JobCreated
from .job_input import JobInput
from .job_list import JobList
from .job_result import JobResult
from .job_status import JobStatus
from .osapi_agent_response import OsapiAgentResponse
from .osapi_agent_state import OsapiAgentState
from .osapi_agent_states import OsapiAgentStates
from .osapi_error_body import OsapiErrorBody
from .osapi_job import OsapiJob
from .osapi_job_list import OsapiJobList
from .osapi_job_status import OsapiJobStatus
from .osapi_job_status_filter import OsapiJobStatusFilter
from .osapi_operation import OsapiOperation
from .osapi_responses import OsapiResponses
from .osapi_retry_request import OsapiRetryRequest
from .osapi_retry_result import OsapiRetryResult
from .osapi_status_counts import OsapiStatusCounts
from .osapi_timeline_event import OsapiTimelineEvent
from .pagination import Pagination
from .writer_error_body import WriterErrorBody
from .writer_error_item import WriterErrorItem
from .writer_extras import WriterExtras

__all__ = (
    "Job",
    "JobCreateRequest",
    "JobCreated",
    "JobInput",
    "JobList",
    "JobResult",
    "JobStatus",
    "OsapiAgentResponse",
    "OsapiAgentState",
    "OsapiAgentStates",
    "OsapiErrorBody",
    "OsapiJob",
    "OsapiJobList",
    "OsapiJobStatus",
    "OsapiJobStatusFilter",
    "OsapiOperation",
    "OsapiResponses",
    "OsapiRetryRequest",
    "OsapiRetryResult",
    "OsapiStatusCounts",
    "OsapiTimelineEvent",
    "Pagination",
    "WriterErrorBody",
    "WriterErrorItem",
    "WriterExtras",
)
