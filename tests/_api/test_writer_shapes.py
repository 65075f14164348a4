"""Writer's jobs built from their common shape are the ones ``from_dict`` reads, field for
field and type for type; every other shape is left to ``from_dict``."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jobwise._api import writer, writer_shapes
from jobwise._api.common import with_string_ids
from jobwise.models import Job, JobCreated, JobList
from jobwise.pagination import Page
from jobwise.times import aware

TIMES = ["2026-12-07T23:10:00.123456Z", "2026-12-07T23:10:00", "2026-12-07T23:10:00+02:00"]
COMMON: dict[str, list[Any]] = {
    "id": ["job-1"],
    "status": ["completed", "failed", "in_progress"],
    "application_id": ["app"],
    "created_at": TIMES,
    "updated_at": [*TIMES, None],
    "completed_at": [*TIMES, None],
    "data": [{"suggestion": "s", "title": "t"}, {"suggestion": "s"}, {"suggestion": 1}, None],
    "error": [None, "boom", {"code": 1}],
}
REQUIRED = ("id", "status", "application_id", "created_at")
# What the schema does not name: a wrong type, a status not known, a timestamp that does not
# parse, a key more.
ODD: dict[str, list[Any]] = {
    "id": [7, None],
    "status": ["queued", 3, ["x"]],
    "application_id": [None],
    "created_at": ["yesterday", 0, None],
    "updated_at": ["soon", 5],
    "completed_at": ["", 1.5],
    "data": [{"title": "t"}, {"suggestion": "s", "extra": 1}, "text", []],
    "extra": ["kept"],
}


@st.composite
def jobs(draw: st.DrawFn) -> dict[str, Any]:
    """A job of the common shape, or one with a field missing or odd."""
    data = {
        name: draw(st.sampled_from(values))
        for name, values in COMMON.items()
        if name in REQUIRED or draw(st.booleans())
    }
    odd = draw(st.sampled_from([None, *ODD]))
    if odd is not None and odd in data and draw(st.booleans()):
        del data[odd]
    elif odd is not None:
        data[odd] = draw(st.sampled_from(ODD[odd]))
    return data


def _as_read(read: Any, data: Any) -> str:
    """What ``read(data)`` makes, as text that tells every field's value and type, or the
    exception's type."""
    try:
        return repr(read(data))
    except Exception as exc:  # the parsers' own refusals, compared by type
        return type(exc).__name__


def _from_dict(data: Any) -> Job:
    return _made_aware(Job.from_dict(data))


def _made_aware(job: Job) -> Job:
    job.created_at = aware(job.created_at)
    for name in ("updated_at", "completed_at"):
        value = getattr(job, name)
        if value is not None and value is not writer.UNSET:
            setattr(job, name, aware(value))
    return job


def test_the_generated_models_are_the_ones_built_here() -> None:
    # A regenerated model with other fields turns the fast path off: update writer_shapes.py.
    assert writer_shapes.REGULAR


@settings(max_examples=600, deadline=None)
@given(jobs())
def test_a_job_is_read_as_from_dict_reads_it(data: dict[str, Any]) -> None:
    assert _as_read(writer.parse_job, data) == _as_read(_from_dict, data)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(jobs(), max_size=4),
    st.sampled_from([{}, {"totalCount": 9, "pagination": {"offset": 0, "limit": 4}}]),
)
def test_a_page_is_read_as_from_dict_reads_it(listed: list[dict[str, Any]], rest: Any) -> None:
    def generic(data: Any) -> Page[Job]:
        page = JobList.from_dict(data)
        jobs = [_made_aware(job) for job in with_string_ids(page.result)]
        limit = None
        if page.pagination and isinstance(page.pagination.limit, int):
            limit = page.pagination.limit
        total = page.total_count if isinstance(page.total_count, int) else None
        return Page(jobs, total, limit)

    data = {"result": listed, **rest}
    assert _as_read(writer.parse_page, data) == _as_read(generic, data)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "id": st.sampled_from(["job-1", 7, None]),
            "job_id": st.sampled_from(["job-2"]),
            "status": st.sampled_from(["in_progress", "queued", None]),
            "created_at": st.sampled_from([*TIMES, "later", None]),
            "extra": st.just(1),
        },
    )
)
def test_a_creates_answer_is_read_as_from_dict_reads_it(data: dict[str, Any]) -> None:
    def generic(data: Any) -> JobCreated:
        if isinstance(data, dict) and "id" not in data and "job_id" in data:
            data = {**data, "id": data["job_id"]}
        created = JobCreated.from_dict(data)
        created.created_at = aware(created.created_at)
        return created

    assert _as_read(writer.parse_created, data) == _as_read(generic, data)


@pytest.mark.parametrize(
    "data",
    [
        {"id": "j", "status": "completed", "application_id": "a", "created_at": TIMES[0]},
        {
            "id": "j",
            "status": "failed",
            "application_id": "a",
            "created_at": TIMES[1],
            "updated_at": TIMES[2],
            "completed_at": None,
            "data": None,
            "error": "boom",
        },
    ],
)
def test_the_common_shapes_take_the_short_path(data: dict[str, Any]) -> None:
    job = writer_shapes.regular_job(data)
    assert job is not None and repr(job) == repr(_from_dict(data))
