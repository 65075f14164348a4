"""Writer's async jobs API: create, list, retrieve, retry (seeds 000-003)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from jobwise_emulator.errors import WRITER, writer_error, writer_error_body
from jobwise_emulator.params import (
    INT64_MAX,
    int_param,
    json_body,
    only_params,
    status_param,
    writer_inputs,
)
from jobwise_emulator.state import EmulatorState
from jobwise_emulator.writer_store import FAILED, STATUSES

# dev.writer.com api-reference pagination: at most 100 a page, 50 by default.
DEFAULT_LIMIT, MAX_LIMIT = 50, 100


class WriterApi:
    """The four Writer handlers."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def _unauthorized(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return writer_error(401, "Missing bearer token", "fail.unauthorized")
        api_key = self.state.config.api_key
        if api_key is not None and token.strip() != api_key:
            return writer_error(401, "Invalid API key", "fail.unauthorized")
        return None

    async def create(self, request: Request) -> Response:
        """POST /v1/applications/{application_id}/jobs."""
        if denied := self._unauthorized(request):
            return denied
        app_id = request.path_params["application_id"]
        body = await json_body(request)
        inputs = writer_inputs(body)
        store = self.state.writer

        def create() -> tuple[int, dict[str, Any]]:
            return 202, store.as_created(store.create(app_id, inputs))

        answer, ran = self.state.idempotency.once(request, WRITER, body, create)
        if ran:
            await self.state.faults.hold_create()
        return answer

    async def list(self, request: Request) -> Response:
        """GET /v1/applications/{application_id}/jobs."""
        if denied := self._unauthorized(request):
            return denied
        only_params(request, "status", "offset", "limit")
        status = status_param(request, STATUSES)
        offset = int_param(request, "offset", 0, 0, INT64_MAX)
        limit = int_param(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        app_id = request.path_params["application_id"]
        store = self.state.writer
        if store.is_seeded(app_id):
            result, total = store.synthetic_page(app_id, status, offset, limit)
            garbled = False
        else:
            jobs, total = store.page(app_id, status, offset, limit)
            result = [store.as_dict(job) for job in jobs]
            garbled = any(job.garbage == "page" for job in jobs)
        if garbage := self.state.faults.garbage("list", garbled):
            return garbage
        page = {
            "result": result,
            "totalCount": total,
            "pagination": {"offset": offset, "limit": limit},
        }
        return JSONResponse(page)

    async def retrieve(self, request: Request) -> Response:
        """GET /v1/applications/jobs/{job_id}."""
        if denied := self._unauthorized(request):
            return denied
        job = self.state.writer.get(request.path_params["job_id"])
        if job is None:
            return writer_error(404, "Job not found", "fail.not_found")
        if garbage := self.state.faults.garbage("get", job.garbage == "get"):
            return garbage
        return JSONResponse(self.state.writer.as_dict(job))

    async def retry(self, request: Request) -> Response:
        """POST /v1/applications/jobs/{job_id}/retry: only a failed job."""
        if denied := self._unauthorized(request):
            return denied
        job_id = request.path_params["job_id"]
        store = self.state.writer

        def retry() -> tuple[int, dict[str, Any]]:
            job = store.get(job_id)
            if job is None:
                return 404, writer_error_body(404, "Job not found", "fail.not_found")
            if job.status != FAILED:
                message = f"Only a failed job can be retried; this one is {job.status}"
                return 409, writer_error_body(409, message, "fail.not_failed")
            store.retry(job)
            return 202, store.as_created(job)

        return self.state.idempotency.once(request, WRITER, {"job_id": job_id}, retry)[0]
