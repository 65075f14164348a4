"""One exception hierarchy for both APIs, shaped as writer-sdk's (``WriterError`` is
``JobwiseError``, ``ServerError`` is ``InternalServerError``).

JobwiseError
├── InvalidArgumentError (also ValueError and TypeError): bad input, nothing was sent
├── ClientClosedError (also RuntimeError): a call on a closed client, nothing was sent
├── APIError: the call failed at the server or on the way (``message``, ``request``,
│   │   ``response``, ``body``)
│   ├── APIStatusError: the server answered with an error status (``status_code``)
│   │   ├── BadRequestError 400, UnprocessableEntityError 422
│   │   ├── AuthenticationError 401, PermissionDeniedError 403
│   │   ├── NotFoundError 404 (BasePathNotFoundError: osapi on none of its base paths),
│   │   │   ConflictError 409
│   │   ├── RateLimitError 429 (``retry_after``)
│   │   └── InternalServerError >= 500 (any other unexpected status is an APIStatusError)
│   └── APIConnectionError: no answer (connection refused, reset, ...)
│       ├── APITimeoutError
│       └── ServerUnavailableError: a batch stopped after no usable answer for too long
├── InvalidResponseError: a success answer that cannot be used (off the spec, another job)
│   └── ResponseTooLargeError: an answer bigger than ``max_response_bytes``
├── WaitTimeoutError: a wait ran out of time (``job`` is the last one seen)
└── AmbiguousRetryError: an unanswered osapi retry, and several jobs it may have made
"""

from __future__ import annotations

import json
from typing import Any

import httpx


class JobwiseError(Exception):
    """Base of every error jobwise raises on purpose."""


class InvalidArgumentError(JobwiseError, ValueError, TypeError):
    """An argument was refused before any request was sent; ``argument`` names it."""

    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(f"{argument}: {problem}")
        self.argument = argument


class ClientClosedError(JobwiseError, RuntimeError):
    """A call on a client that was closed (``close()``, or its ``with`` block ended)."""


def _describe_body(body: Any) -> str:
    """The server's own words from either API's error shape, or a short excerpt."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            found = errors[0].get("description") or errors[0].get("key")
            if found:
                return str(found)
        for key in ("error", "message", "detail", "details"):
            if isinstance(body.get(key), str) and body[key]:
                details = body.get("details") if key == "error" else None
                return f"{body[key]} ({details})" if isinstance(details, str) else str(body[key])
    text = body if isinstance(body, str) else json.dumps(body)
    text = " ".join(text.split())
    return text[:200] + ("..." if len(text) > 200 else "") if text else "(empty body)"


WriterError = JobwiseError
"""writer-sdk's name for the base of every error."""


class APIError(JobwiseError):
    """A call failed at the server (:class:`APIStatusError`) or on the way to it
    (:class:`APIConnectionError`). ``message`` says what happened, ``request`` is the request
    sent (None if none was), ``response`` the error answer and ``body`` its parsed JSON, else
    its text (both None without an answer)."""

    def __init__(
        self,
        message: str,
        request: httpx.Request | None,
        response: httpx.Response | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.response = response
        self.body = body


class APIStatusError(APIError):
    """The server answered with an error status.

    ``status_code``, ``body``, ``method`` and ``url`` say what happened; ``headers`` are the
    answer's (they never hold the caller's credentials).
    """

    response: httpx.Response
    request: httpx.Request

    def __init__(self, response: httpx.Response, body: Any, message: str | None = None) -> None:
        request = response.request
        self.status_code = response.status_code
        self.headers = response.headers
        self.method = request.method
        self.url = str(request.url.copy_with(query=None))
        described = f"{self.method} {self.url} answered {self.status_code}: {_describe_body(body)}"
        super().__init__(message or described, request, response, body)


class BadRequestError(APIStatusError):
    """400: the server refused the request's shape."""


class AuthenticationError(APIStatusError):
    """401: the API key or token is missing or wrong."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but may not do this."""


class NotFoundError(APIStatusError):
    """404: no such job or application."""


class BasePathNotFoundError(NotFoundError):
    """404 on every base path tried (osapi serves ``/api/job``, or ``/job`` before April 2026);
    ``tried`` lists the URLs."""

    def __init__(self, last: NotFoundError, tried: list[str]) -> None:
        super().__init__(
            last.response,
            last.body,
            f"no osapi job API found: {' and '.join(tried)} answered 404; set the base URL "
            "to the server's (http://HOST:8080, or http://HOST:8080/api)",
        )
        self.tried = tried


class ConflictError(APIStatusError):
    """409: the request conflicts with the job's state (e.g. retrying a job that did not fail)."""


class UnprocessableEntityError(APIStatusError):
    """422: well-formed but refused (e.g. an Idempotency-Key reused with another body)."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` is the server's wait in seconds, if it said."""

    def __init__(self, response: httpx.Response, body: Any, retry_after: float | None) -> None:
        super().__init__(response, body)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """>= 500: the server failed (after jobwise's retries)."""


ServerError = InternalServerError
"""jobwise's first name for :class:`InternalServerError`."""


class InvalidResponseError(JobwiseError):
    """A success answer that cannot be used: its body does not match openapi.yaml, cannot be
    decoded, or is about another job or application than the one asked for."""


class JobIdReusedError(InvalidResponseError):
    """The server answered a create or a retry with a job id another item of the batch holds
    (a server restarted with its ids handed out again): both items end ``ambiguous`` and the
    batch stops, never giving one the other's result."""


class ResponseTooLargeError(InvalidResponseError):
    """An answer bigger than the client's ``max_response_bytes``, refused before it was read
    whole."""


class APIConnectionError(APIError):
    """No answer from the server (after jobwise's retries). ``may_have_arrived`` is False only
    when the request certainly never reached the server (the connection was never made)."""

    def __init__(
        self, message: str, may_have_arrived: bool = True, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request)
        self.may_have_arrived = may_have_arrived


class APITimeoutError(APIConnectionError):
    """The server did not answer in time."""


class ServerUnavailableError(APIConnectionError):
    """A batch stopped: the server gave no usable answer for too long (unreachable, or only
    errors). The state file keeps everything: run the same batch again to resume."""


class WaitTimeoutError(JobwiseError):
    """A wait ran out of time; ``job`` is the last state seen (None if none was)."""

    def __init__(self, job_id: str, timeout: float, job: Any) -> None:
        status = getattr(job, "status", None)
        status_text = getattr(status, "value", status)
        seen = f"; last status {status_text}" if job is not None else ""
        super().__init__(f"job {job_id} did not finish within {timeout:g} s{seen}")
        self.job_id = job_id
        self.timeout = timeout
        self.job = job


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
}


def error_for(response: httpx.Response, retry_after: float | None) -> APIStatusError:
    """The APIStatusError for an error answer, whatever its body (JSON, HTML or empty)."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    status = response.status_code
    if status == 429:
        return RateLimitError(response, body, retry_after)
    if status >= 500:
        return InternalServerError(response, body)
    return _BY_STATUS.get(status, APIStatusError)(response, body)


class AmbiguousRetryError(JobwiseError):
    """An osapi retry got no answer, and several jobs of the same operation were created in
    its window: any one (or none) may be the retry. ``job_id`` is the retried job,
    ``candidates`` the new jobs' ids; check them before retrying again."""

    def __init__(self, job_id: str, candidates: list[str], read_all: bool = True) -> None:
        more = "" if read_all else " (and maybe more: the listing was too long to read)"
        super().__init__(
            f"the retry of job {job_id} got no answer, and {len(candidates)} jobs of its "
            f"operation were created meanwhile{more}: {', '.join(candidates) or 'none read'}; "
            "one of them may be the retry: check them before retrying again"
        )
        self.job_id = job_id
        self.candidates = candidates
