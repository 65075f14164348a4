"""Writer's async jobs API on the wire: requests, parsing, statuses, page sizes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from jobwise_api.api.writer import list_jobs, retrieve_job, retry_job

from jobwise._api.common import check_same_job, with_string_ids
from jobwise._api.writer_shapes import regular_created, regular_job, regular_jobs
from jobwise.errors import InvalidResponseError
from jobwise.http import Request
from jobwise.models import UNSET, Job, JobCreated, JobList, JobStatus
from jobwise.pagination import Page
from jobwise.times import aware
from jobwise.validation import InputSet

FINAL_STATUSES = frozenset({"completed", "failed"})
# dev.writer.com api-reference/pagination: a page holds at most 100 jobs (50 by default).
DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE = 100


def _aware(job: Job) -> Job:
    job.created_at = aware(job.created_at)
    for name in ("updated_at", "completed_at"):
        value = getattr(job, name)
        if value is not None and value is not UNSET:
            setattr(job, name, aware(value))
    return job


def parse_job(data: Any) -> Job:
    """A Job from its JSON, timestamps timezone-aware."""
    job = regular_job(data)
    return job if job is not None else _aware(Job.from_dict(data))


def job_parser(asked: str) -> Callable[[Any], Job]:
    """A parser of the answer about job ``asked`` that refuses any other job."""

    def parse(data: Any) -> Job:
        job = parse_job(data)
        check_same_job(asked, job.id)
        return job

    return parse


def parse_created(data: Any) -> JobCreated:
    """A create's or retry's answer; its id read from ``job_id`` where ``id`` is absent (seed
    002 names it so; seed 003 and both SDKs say ``id``)."""
    regular = regular_created(data)
    if regular is not None:
        return regular
    if isinstance(data, dict) and "id" not in data and "job_id" in data:
        data = {**data, "id": data["job_id"]}
    created = JobCreated.from_dict(data)
    created.created_at = aware(created.created_at)
    return created


def parse_page(data: Any) -> Page[Job]:
    """One list page: its jobs, the server's total and echoed limit (when given)."""
    jobs = regular_jobs(data)
    if jobs is not None:  # the rest of the page read as from_dict reads it
        page = JobList.from_dict({**data, "result": []})
    else:
        page = JobList.from_dict(data)
        jobs = [_aware(job) for job in with_string_ids(page.result)]
    total = page.total_count if isinstance(page.total_count, int) else None
    limit = None
    if page.pagination and isinstance(page.pagination.limit, int):
        limit = page.pagination.limit
    return Page(jobs, total, limit)


def page_parser(application_id: str) -> Callable[[Any], Page[Job]]:
    """A parser of list pages of ``application_id`` that refuses jobs of another application."""

    def parse(data: Any) -> Page[Job]:
        page = parse_page(data)
        for job in page.items:
            if job.application_id != application_id:
                raise InvalidResponseError(
                    f"listing the jobs of application {application_id!r}, the server answered "
                    f"job {job.id!r} of application {job.application_id!r}"
                )
        return page

    return parse


def job_id(job: Job) -> str:
    """A job's id (the pager's dedup key)."""
    return job.id


def create_request(application_id: str, inputs: InputSet, idempotency_key: str) -> Request:
    """The create call (arguments already checked): ``create_job._get_kwargs`` of its
    ``JobCreateRequest``, built straight (tests/_api/test_writer.py checks that they
    are equal). The models built and turned back into dicts cost 5.9 of the 7 us a create's
    arguments took (/tmp micro, two inputs; 1.2 us built straight)."""
    return {
        "method": "post",
        "url": f"/v1/applications/{quote(application_id, safe='')}/jobs",
        "json": {"inputs": [{"id": name, "value": v} for name, v in inputs.items()]},
        "headers": {"Idempotency-Key": idempotency_key, "Content-Type": "application/json"},
    }


def retry_request(job_id: str, idempotency_key: str) -> Request:
    """The retry call."""
    return retry_job._get_kwargs(job_id, idempotency_key=idempotency_key)


def retrieve_request(job_id: str) -> Request:
    """The retrieve call."""
    return retrieve_job._get_kwargs(job_id)


def list_request(application_id: str, status: JobStatus | None, offset: int, limit: int) -> Request:
    """One list page."""
    return list_jobs._get_kwargs(
        application_id, status=status if status is not None else UNSET, offset=offset, limit=limit
    )
