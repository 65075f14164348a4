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

parse_job = OsapiJob.from_dict
parse_retry = OsapiRetryResult.from_dict


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


def job_id(job: OsapiJob) -> str:
    """A job's id (the pager's dedup key)."""
    return job.id


def retrieve_request(job_id: uuid.UUID) -> Request:
    """GET /job/{id}."""
    return get_osapi_job._get_kwargs(job_id)


def retry_request(job_id: uuid.UUID, target_hostname: str | None, idempotency_key: str) -> Request:
    """POST /job/{id}/retry (arguments already checked)."""
    body = OsapiRetryRequest(target_hostname=target_hostname if target_hostname else UNSET)
    return retry_osapi_job._get_kwargs(job_id, body=body, idempotency_key=idempotency_key)


def delete_request(job_id: uuid.UUID) -> Request:
    """DELETE /job/{id}."""
    return delete_osapi_job._get_kwargs(job_id)


def list_request(status: OsapiJobStatusFilter | None, offset: int, limit: int) -> Request:
    """One list page."""
    return list_osapi_jobs._get_kwargs(
        status=status if status is not None else UNSET, limit=limit, offset=offset
    )
