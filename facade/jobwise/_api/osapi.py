"""osapi's job API on the wire: requests, parsing, statuses, page sizes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from jobwise_api.api.osapi import delete_osapi_job, get_osapi_job, list_osapi_jobs, retry_osapi_job

from jobwise._api.common import check_same_job, with_string_ids
from jobwise.http import Request
from jobwise.models import (
    UNSET,
    OsapiJob,
    OsapiJobList,
    OsapiJobStatusFilter,
    OsapiRetryRequest,
    OsapiRetryResult,
    Unset,
)
from jobwise.pagination import Page

FINAL_STATUSES = frozenset({"completed", "failed", "partial_failure", "skipped"})
MAX_PAGE_SIZE = 100
API_PREFIX = "/api"
"""Where servers since April 2026 serve every route (osapi-io/osapi's gen/*.gen.go register
``baseURL+"/api/job"``); older servers serve ``/job``."""

parse_job = OsapiJob.from_dict


def parse_new_job_id(data: Any) -> str:
    """The new job's id from a retry's answer (osapi makes a new job per retry)."""
    new_id = OsapiRetryResult.from_dict(data).job_id
    if not isinstance(new_id, str):
        raise TypeError(f"job_id must be a string; got {new_id!r}")
    return new_id


def ends_in_prefix(base_url: str) -> bool:
    """Whether a base URL already names the API's prefix (``http://HOST:8080/api``)."""
    return base_url.endswith(API_PREFIX)


def under(prefix: str, request: Request) -> Request:
    """``request`` with its path under ``prefix`` ("" or "/api")."""
    return {**request, "url": prefix + request["url"]}


def job_parser(asked: uuid.UUID) -> Callable[[Any], OsapiJob]:
    """A parser of the answer about job ``asked`` that refuses any other job."""

    def parse(data: Any) -> OsapiJob:
        job = parse_job(data)
        try:
            answered = str(uuid.UUID(job.id))  # the same id in another case is the same job
        except ValueError:
            answered = job.id
        check_same_job(str(asked), answered)
        return job

    return parse


def parse_page(data: Any) -> Page[OsapiJob]:
    """One list page: its jobs and the server's total."""
    page = OsapiJobList.from_dict(data)
    items = [] if isinstance(page.items, Unset) else with_string_ids(page.items)
    total = page.total_items if isinstance(page.total_items, int) else None
    return Page(items, total, None)


def was_retried(job: OsapiJob) -> bool:
    """Whether osapi already made a new job from ``job``: a retry leaves the original's status
    as it was and only adds a ``retried`` event to its timeline (jobs.go RetryJob). Pass a
    retrieved job: list items are not relied on to carry the timeline."""
    timeline = [] if isinstance(job.timeline, Unset) else job.timeline
    return any(event.event == "retried" for event in timeline)


def job_id(job: OsapiJob) -> str:
    """A job's id (the pager's dedup key)."""
    return job.id


def retrieve_request(job_id: uuid.UUID) -> Request:
    """GET /job/{id}."""
    return get_osapi_job._get_kwargs(job_id)


def retry_request(job_id: uuid.UUID, target_hostname: str | None) -> Request:
    """POST /job/{id}/retry (arguments already checked); no Idempotency-Key: osapi has none."""
    body = OsapiRetryRequest(target_hostname=target_hostname if target_hostname else UNSET)
    return retry_osapi_job._get_kwargs(job_id, body=body)


def delete_request(job_id: uuid.UUID) -> Request:
    """DELETE /job/{id}."""
    return delete_osapi_job._get_kwargs(job_id)


def list_request(status: OsapiJobStatusFilter | None, offset: int, limit: int) -> Request:
    """One list page."""
    return list_osapi_jobs._get_kwargs(
        status=status if status is not None else UNSET, limit=limit, offset=offset
    )
