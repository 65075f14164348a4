"""Bad input raises an error naming the argument, and no request is sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import jobwise
import pytest
from jobwise import OsapiJobs, WriterJobs
from jobwise.validation import normalize_inputs

from .fakes import Recorder

UUID = "550e8400-e29b-41d4-a716-446655440000"


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a request was sent: {request.method} {request.url}")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder(never)


@pytest.fixture
def writer(recorder: Recorder) -> WriterJobs:
    return WriterJobs("k", "https://api.example.test", http_client=recorder.sync_client())


@pytest.fixture
def osapi(recorder: Recorder) -> OsapiJobs:
    return OsapiJobs("https://osapi.example.test", "t", http_client=recorder.sync_client())


async def _later(seen: object) -> None:
    """A callback that only an event loop would run."""


class _Later:
    async def __call__(self, seen: object) -> None:
        """Likewise, as an object."""


WRITER_CASES: list[tuple[str, Callable[[WriterJobs], Any]]] = [
    ("application_id", lambda j: j.create("", {"P": "x"})),
    ("application_id", lambda j: j.create("..", {"P": "x"})),
    ("application_id", lambda j: j.create(".", {"P": "x"})),
    ("application_id", lambda j: j.create("a/b", {"P": "x"})),
    ("application_id", lambda j: j.create("a%2Fb", {"P": "x"})),
    ("application_id", lambda j: j.create("a b", {"P": "x"})),
    ("application_id", lambda j: j.create(123, {"P": "x"})),
    ("application_id", lambda j: j.create("x" * 300, {"P": "x"})),
    ("inputs", lambda j: j.create("app", {})),
    ("inputs", lambda j: j.create("app", [])),
    ("inputs", lambda j: j.create("app", "just a string")),
    ("inputs", lambda j: j.create("app", None)),
    ("inputs['P']", lambda j: j.create("app", {"P": 5})),
    ("inputs['P'][1]", lambda j: j.create("app", {"P": ["ok", 5]})),
    ("inputs", lambda j: j.create("app", {"": "x"})),
    ("inputs[0]", lambda j: j.create("app", [{"name": "P", "value": ["x"]}])),
    ("idempotency_key", lambda j: j.create("app", {"P": "x"}, idempotency_key="")),
    ("idempotency_key", lambda j: j.create("app", {"P": "x"}, idempotency_key="k" * 256)),
    ("job_id", lambda j: j.retrieve("")),
    ("job_id", lambda j: j.retrieve("../etc")),
    ("job_id", lambda j: j.retry("a/b")),
    ("job_id", lambda j: j.wait("..")),
    ("timeout", lambda j: j.wait("job", timeout=0)),
    ("timeout", lambda j: j.wait("job", timeout=-1)),
    ("timeout", lambda j: j.create_and_wait("app", {"P": "x"}, timeout=float("inf"))),
    ("status", lambda j: j.list("app", status="queued")),
    ("page_size", lambda j: j.list("app", page_size=0)),
    ("page_size", lambda j: j.list("app", page_size=-5)),
    ("page_size", lambda j: j.list("app", page_size=10**9)),
    ("page_size", lambda j: j.list("app", page_size=101)),  # Writer pages hold at most 100
    ("page_size", lambda j: j.list("app", page_size=True)),
    ("application_id", lambda j: j.list("")),
    # An async callback's calls were never awaited: it ran not at all, with a RuntimeWarning.
    ("on_status", lambda j: j.create_and_wait("app", {"P": "x"}, on_status=_later)),
    ("on_status", lambda j: j.wait("job", on_status=_later)),
    ("on_status", lambda j: j.wait("job", on_status=_Later())),
    ("on_status", lambda j: j.wait("job", on_status="print")),
    ("on_progress", lambda j: j.run_batch("app", [{"P": "x"}], on_progress=_later)),
]


@pytest.mark.parametrize(("argument", "call"), WRITER_CASES)
def test_writer_bad_input_raises_before_any_request(
    writer: WriterJobs, recorder: Recorder, argument: str, call: Callable[[WriterJobs], Any]
) -> None:
    with pytest.raises(jobwise.InvalidArgumentError) as caught:
        result = call(writer)
        if hasattr(result, "__next__"):
            next(result)
    assert caught.value.argument == argument
    assert isinstance(caught.value, ValueError)
    assert recorder.requests == []


OSAPI_CASES: list[tuple[str, Callable[[OsapiJobs], Any]]] = [
    ("job_id", lambda j: j.retrieve("not-a-uuid")),
    ("job_id", lambda j: j.retrieve("../" + UUID)),
    ("job_id", lambda j: j.delete("")),
    ("job_id", lambda j: j.retry(42)),
    ("target_hostname", lambda j: j.retry(UUID, target_hostname="  ")),
    ("status", lambda j: j.list(status="skipped")),
    ("page_size", lambda j: j.list(page_size=0)),
    ("page_size", lambda j: j.list(page_size=101)),
    ("timeout", lambda j: j.wait(UUID, timeout=0)),
    ("on_status", lambda j: j.retry_and_wait(UUID, on_status=_later)),
]


@pytest.mark.parametrize(("argument", "call"), OSAPI_CASES)
def test_osapi_bad_input_raises_before_any_request(
    osapi: OsapiJobs, recorder: Recorder, argument: str, call: Callable[[OsapiJobs], Any]
) -> None:
    with pytest.raises(jobwise.InvalidArgumentError) as caught:
        call(osapi)
    assert caught.value.argument == argument
    assert recorder.requests == []


def test_inputs_forms_normalize_alike() -> None:
    as_mapping = normalize_inputs({"P": ["a", "b"], "Q": "c"})
    as_list = normalize_inputs([{"id": "P", "value": ["a", "b"]}, {"id": "Q", "value": ["c"]}])
    assert as_mapping == as_list == {"P": ["a", "b"], "Q": ["c"]}
    assert isinstance(as_mapping, jobwise.InputSet)
    assert normalize_inputs(as_mapping) is as_mapping  # checked once, passed through after


def test_duplicate_input_names_are_refused() -> None:
    with pytest.raises(jobwise.InvalidArgumentError, match="given twice"):
        normalize_inputs([{"id": "P", "value": ["a"]}, {"id": "P", "value": ["b"]}])


@pytest.mark.parametrize(
    ("inputs", "argument"),
    [
        ({"P": "lone \udc80"}, "inputs['P']"),
        ({"P": ["ok", "\ud800 high"]}, "inputs['P'][1]"),
        ([{"id": "P\udc80", "value": ["x"]}], "inputs: input name 'P\\udc80'"),
    ],
)
def test_a_lone_surrogate_is_refused_before_any_request(
    writer: WriterJobs, recorder: Recorder, inputs: Any, argument: str
) -> None:
    with pytest.raises(jobwise.InvalidArgumentError, match="lone surrogate") as caught:
        writer.create("app", inputs)
    assert caught.value.argument == argument
    assert recorder.requests == []
    assert normalize_inputs({"P": "beyond the BMP \U0001f600"})  # one character, not a pair


def test_a_batch_input_with_a_lone_surrogate_fails_unsent(
    writer: WriterJobs, recorder: Recorder, tmp_path: Any
) -> None:
    # Before (issue 28): sent, and recorded only where the state file could encode it.
    items = list(writer.run_batch("app", [{"P": "lone \udc80"}], state=str(tmp_path / "s")))
    assert [item.status for item in items] == ["invalid"]
    assert "lone surrogate" in (items[0].error or "")
    assert recorder.requests == []
