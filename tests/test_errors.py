"""Every error status maps to one class, whatever the body; connection failures too."""

from __future__ import annotations

import httpx
import jobwise
import pytest
from jobwise import WriterJobs

from .fakes import FakeClock, scripted

WRITER_BODY = {"tpe": "FailResponse", "errors": [{"description": "Nope", "key": "fail.x"}]}


def client(recorder: object, **options: object) -> WriterJobs:
    clock = FakeClock()
    return WriterJobs(
        "secret-key",
        "https://api.example.test",
        http_client=recorder.sync_client(),  # type: ignore[attr-defined]
        sleep=clock.sleep,
        clock=clock,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, jobwise.BadRequestError),
        (401, jobwise.AuthenticationError),
        (403, jobwise.PermissionDeniedError),
        (404, jobwise.NotFoundError),
        (409, jobwise.ConflictError),
        (422, jobwise.UnprocessableEntityError),
        (429, jobwise.RateLimitError),
        (500, jobwise.ServerError),
        (503, jobwise.ServerError),
        (520, jobwise.ServerError),
        (418, jobwise.APIStatusError),
    ],
)
def test_status_maps_to_error_class(status: int, error: type[jobwise.APIStatusError]) -> None:
    recorder = scripted(httpx.Response(status, json=WRITER_BODY))
    with pytest.raises(error) as caught, client(recorder, max_retries=0) as jobs:
        jobs.retrieve("job-1")
    assert type(caught.value) is error
    assert caught.value.status_code == status
    assert caught.value.body == WRITER_BODY
    assert "Nope" in str(caught.value) and str(status) in str(caught.value)
    assert caught.value.method == "GET"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": "job not found", "details": "no row", "code": 404}, "job not found (no row)"),
        ({"message": "Not Found"}, "Not Found"),
        ("<html><body>Bad gateway</body></html>", "<html><body>Bad gateway</body></html>"),
        ("", "(empty body)"),
    ],
)
def test_any_error_body_is_described(body: object, expected: str) -> None:
    response = (
        httpx.Response(404, json=body) if isinstance(body, dict) else httpx.Response(404, text=body)
    )
    with (
        pytest.raises(
            jobwise.NotFoundError, match=expected.replace("(", r"\(").replace(")", r"\)")
        ),
        client(scripted(response), max_retries=0) as jobs,
    ):
        jobs.retrieve("job-1")


def test_rate_limit_error_carries_retry_after() -> None:
    recorder = scripted(httpx.Response(429, headers={"Retry-After": "7"}, json=WRITER_BODY))
    with pytest.raises(jobwise.RateLimitError) as caught, client(recorder, max_retries=0) as jobs:
        jobs.retrieve("job-1")
    assert caught.value.retry_after == 7


def test_connection_error_after_retries() -> None:
    recorder = scripted(httpx.ConnectError("refused"))
    with pytest.raises(jobwise.APIConnectionError) as caught, client(recorder) as jobs:
        jobs.retrieve("job-1")
    assert not isinstance(caught.value, jobwise.APITimeoutError)
    assert len(recorder.requests) == 5  # 1 + max_retries (4)


def test_timeout_is_api_timeout_error() -> None:
    recorder = scripted(httpx.ReadTimeout("slow"))
    with pytest.raises(jobwise.APITimeoutError), client(recorder, max_retries=1) as jobs:
        jobs.retrieve("job-1")
    assert len(recorder.requests) == 2


def test_success_body_that_breaks_the_spec_is_invalid_response() -> None:
    recorder = scripted(httpx.Response(200, json={"id": "x"}))
    with (
        pytest.raises(jobwise.InvalidResponseError, match=r"does not match openapi\.yaml"),
        client(recorder) as jobs,
    ):
        jobs.retrieve("job-1")


def test_non_json_success_is_invalid_response() -> None:
    recorder = scripted(httpx.Response(200, text="<html>"))
    with pytest.raises(jobwise.InvalidResponseError), client(recorder) as jobs:
        jobs.retrieve("job-1")


def test_wait_timeout_error_carries_last_job() -> None:
    from .fakes import job_body

    recorder = scripted(httpx.Response(200, json=job_body(status="in_progress")))
    with pytest.raises(jobwise.WaitTimeoutError) as caught, client(recorder) as jobs:
        jobs.wait("job-1", timeout=5)
    assert caught.value.job is not None and caught.value.job.id == "job-1"
    assert "in_progress" in str(caught.value)


def test_every_error_is_a_jobwise_error() -> None:
    for name in jobwise.errors.__dict__:
        value = getattr(jobwise.errors, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, jobwise.JobwiseError)


def test_every_exported_name_ending_in_error_is_an_exception() -> None:
    named = [name for name in jobwise.__all__ if name.endswith("Error")]
    assert "WriterError" in named and "APIStatusError" in named
    for name in named:
        value = getattr(jobwise, name)
        assert isinstance(value, type) and issubclass(value, Exception), name


def test_error_tree_is_writer_sdks() -> None:
    assert jobwise.WriterError is jobwise.JobwiseError
    assert jobwise.ServerError is jobwise.InternalServerError
    for status_error in (
        jobwise.BadRequestError,
        jobwise.AuthenticationError,
        jobwise.PermissionDeniedError,
        jobwise.NotFoundError,
        jobwise.ConflictError,
        jobwise.UnprocessableEntityError,
        jobwise.RateLimitError,
        jobwise.InternalServerError,
    ):
        assert issubclass(status_error, jobwise.APIStatusError)
    assert issubclass(jobwise.APIStatusError, jobwise.APIError)
    assert issubclass(jobwise.APITimeoutError, jobwise.APIConnectionError)
    assert issubclass(jobwise.APIConnectionError, jobwise.APIError)


def test_api_error_catches_a_refused_connection_with_its_request() -> None:
    recorder = scripted(httpx.ConnectError("refused"))
    with pytest.raises(jobwise.APIError) as caught, client(recorder, max_retries=0) as jobs:
        jobs.retrieve("job-1")
    error = caught.value
    assert isinstance(error, jobwise.APIConnectionError)
    assert error.response is None and error.body is None
    assert error.request is not None and error.request.url.path == "/v1/applications/jobs/job-1"
    assert error.message == str(error) and "refused" in error.message


def test_api_error_catches_a_500_with_its_response() -> None:
    recorder = scripted(httpx.Response(500, json=WRITER_BODY, headers={"X-Request-Id": "r-1"}))
    with pytest.raises(jobwise.APIError) as caught, client(recorder, max_retries=0) as jobs:
        jobs.retrieve("job-1")
    error = caught.value
    assert isinstance(error, jobwise.InternalServerError)
    assert error.response.status_code == 500 and error.response.headers["x-request-id"] == "r-1"
    assert error.request is error.response.request and error.request.method == "GET"
    assert error.message == str(error) and "Nope" in error.message


def test_error_bodies_are_models_not_errors() -> None:
    item = {"description": "Nope", "key": "fail.x", "extras": {}}
    body = jobwise.WriterErrorBody.from_dict({"tpe": "BadRequest", "errors": [item], "extras": {}})
    assert body.errors[0].description == "Nope"
    assert not issubclass(jobwise.OsapiErrorBody, BaseException)
