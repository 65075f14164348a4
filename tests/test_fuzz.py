"""Random JSON for every response: jobwise raises only its own errors, never a crash."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import jobwise
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jobwise import OsapiJobs, WriterJobs

UUID = "550e8400-e29b-41d4-a716-446655440000"

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=25,
)
keys = st.sampled_from(
    [
        "id",
        "status",
        "application_id",
        "created_at",
        "updated_at",
        "completed_at",
        "data",
        "error",
        "result",
        "totalCount",
        "pagination",
        "items",
        "total_items",
        "status_counts",
        "job_id",
        "suggestion",
        "timeline",
        "responses",
        "agent_states",
        "offset",
        "limit",
    ]
)
shaped = st.dictionaries(keys, json_values, max_size=10)
bodies = st.one_of(
    json_values,
    shaped,
    st.builds(lambda d: {"result": [d]}, shaped),
    st.builds(lambda d: {"items": [d]}, shaped),
)
statuses = st.sampled_from([200, 201, 202, 204, 400, 404, 409, 429, 500, 520])

Call = Callable[[WriterJobs, OsapiJobs], Any]
CALLS: list[tuple[Call, type | tuple[type, ...]]] = [
    (lambda w, o: w.retrieve("job-1"), jobwise.Job),
    (lambda w, o: w.create("app", {"P": "x"}), jobwise.JobCreated),
    (lambda w, o: w.retry("job-1"), jobwise.JobCreated),
    (lambda w, o: list(w.list("app", page_size=5)), list),
    (lambda w, o: o.retrieve(UUID), jobwise.OsapiJob),
    (lambda w, o: o.retry(UUID), str),
    (lambda w, o: o.delete(UUID), type(None)),
    (lambda w, o: list(o.list(page_size=5)), list),
]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies, status=statuses, call=st.sampled_from(CALLS))
def test_any_response_is_parsed_or_a_jobwise_error(
    body: Any, status: int, call: tuple[Call, type | tuple[type, ...]]
) -> None:
    content = json.dumps(body).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers={"content-type": "application/json"})

    transport = httpx.MockTransport(handler)
    writer = WriterJobs("k", "https://x.test", transport=transport, max_retries=0)
    osapi = OsapiJobs("https://y.test", "t", transport=transport, max_retries=0)
    operation, expected = call
    try:
        result = operation(writer, osapi)
    except jobwise.JobwiseError as exc:  # anything else fails the test
        assert str(exc)
        if isinstance(exc, jobwise.APIStatusError):
            assert exc.status_code == status >= 400
    else:
        assert status < 400
        assert isinstance(result, expected)


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=200), status=statuses)
def test_any_bytes_are_parsed_or_a_jobwise_error(raw: bytes, status: int) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=raw))
    try:
        job = WriterJobs("k", "https://x.test", transport=transport, max_retries=0).retrieve("j")
    except jobwise.JobwiseError as exc:  # anything else fails the test
        assert str(exc)
    else:
        assert isinstance(job, jobwise.Job) and status < 400
