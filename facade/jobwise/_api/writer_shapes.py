"""Writer's jobs built straight from the common shape of their JSON, as the generated
``from_dict`` would read them, timestamps made timezone-aware.

``Job.from_dict`` copies the dict, defines five parsers and tries each field's types in turn:
a listed job cost 6.3 us parsed that way and made aware, 2.3 us built here (a page of 100, half
of them final, on this 2-core machine), and a batch's sweeps read each of its jobs about 2.2
times in the listing. Any other shape (another key, a type the schema does not name, a status
not known, a timestamp that does not parse) gives None, and the caller reads it with
``from_dict`` as before: what it makes of it, or refuses, is unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from jobwise.models import UNSET, Job, JobCreated, JobResult, JobStatus
from jobwise.times import aware

_JOB = ("id", "status", "application_id", "created_at", "updated_at", "completed_at")
_JOB_KEYS = frozenset({*_JOB, "data", "error"})
_CREATED_KEYS = frozenset({"id", "status", "created_at"})
_RESULT_KEYS = frozenset({"suggestion", "title"})
_STATUSES = {status.value: status for status in JobStatus}
_NOT_REGULAR: Any = object()
"""What :func:`_moment` gives for a value ``from_dict`` would not make a datetime."""


def _fields(model: type) -> tuple[str, ...]:
    return tuple(field.name for field in attrs.fields(model))


REGULAR = (
    _fields(Job) == (*_JOB, "data", "error", "additional_properties")
    and _fields(JobResult) == ("suggestion", "title", "additional_properties")
    and _fields(JobCreated) == ("id", "status", "created_at", "additional_properties")
)
"""Whether the generated models have the fields built here: a model regenerated with others
leaves every job to ``from_dict`` (and tests/_api/test_writer_shapes.py fails, to say so)."""


def _status(value: Any) -> JobStatus | None:
    return _STATUSES.get(value) if type(value) is str else None


def _moment(value: Any) -> Any:
    """A timestamp as ``from_dict`` reads it, made aware; None and UNSET as they are."""
    if value is None or value is UNSET:
        return value
    if type(value) is not str:
        return _NOT_REGULAR
    try:
        return aware(datetime.fromisoformat(value))
    except ValueError:
        return _NOT_REGULAR


def regular_job(data: Any) -> Job | None:
    """The job ``data`` holds, when it has the common shape: the model's keys alone, string
    ids, a known status, timestamps that parse, ``data`` of a suggestion and a title."""
    if not REGULAR or type(data) is not dict or not _JOB_KEYS.issuperset(data):
        return None
    status, job_id, application_id = (
        _status(data.get("status")),
        data.get("id"),
        data.get("application_id"),
    )
    if status is None or type(job_id) is not str or type(application_id) is not str:
        return None
    created = data.get("created_at")
    created_at = _moment(created) if type(created) is str else _NOT_REGULAR
    updated_at = _moment(data.get("updated_at", UNSET))
    completed_at = _moment(data.get("completed_at", UNSET))
    if _NOT_REGULAR in (created_at, updated_at, completed_at):
        return None
    result = data.get("data", UNSET)
    if type(result) is dict:
        if "suggestion" not in result or not _RESULT_KEYS.issuperset(result):
            return None
        result = JobResult(suggestion=result["suggestion"], title=result.get("title", UNSET))
    elif result is not None and result is not UNSET:
        return None
    return Job(
        id=job_id,
        status=status,
        application_id=application_id,
        created_at=created_at,
        updated_at=updated_at,
        completed_at=completed_at,
        data=result,
        error=data.get("error", UNSET),
    )


def regular_jobs(data: Any) -> list[Job] | None:
    """A list page's jobs, when each has the common shape (:func:`regular_job`)."""
    listed = data.get("result") if type(data) is dict else None
    if type(listed) is not list:
        return None
    jobs = []
    for item in listed:
        job = regular_job(item)
        if job is None:
            return None
        jobs.append(job)
    return jobs


def regular_created(data: Any) -> JobCreated | None:
    """A create's or retry's answer of the common shape: an id, a known status and a time."""
    if not REGULAR or type(data) is not dict or not _CREATED_KEYS.issuperset(data):
        return None
    status, job_id, created = _status(data.get("status")), data.get("id"), data.get("created_at")
    if status is None or type(job_id) is not str or type(created) is not str:
        return None
    created_at = _moment(created)
    if created_at is _NOT_REGULAR:
        return None
    return JobCreated(id=job_id, status=status, created_at=created_at)
