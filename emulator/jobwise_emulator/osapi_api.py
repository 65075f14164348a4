"""osapi's job API as its server answers (osapi-io/osapi internal/controller/api/job/*.go):
framework checks first, then the bearer token and its scope, then the handler's own checks."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from jobwise_emulator.errors import OSAPI, osapi_error
from jobwise_emulator.osapi_store import FILTER_STATUSES, NoOperationData, OsapiJob
from jobwise_emulator.params import BadFormat, go_int, path_uuid
from jobwise_emulator.state import EmulatorState

READ, WRITE = "job:read", "job:write"
# internal/job/client/types.go: DefaultPageSize.
DEFAULT_LIMIT = 10


def _invalid(struct: str, field: str, tag: str) -> str:
    """go-playground/validator's message, as internal/validation/validation.go passes it on."""
    return f"Key: '{struct}.{field}' Error:Field validation for '{field}' failed on the '{tag}' tag"


def _scopes(token: str) -> list[str]:
    """The permissions a token resolves to: "read-only" tokens lack job:write, "no-perm" ones
    hold none, any other token holds both (the emulator signs no JWTs)."""
    if "no-perm" in token:
        return []
    return [READ] if "read-only" in token else [READ, WRITE]


class OsapiApi:
    """The four osapi job handlers."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def _denied(self, request: Request, scope: str) -> Response | None:
        """internal/controller/api/middleware.go ScopeMiddleware."""
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return osapi_error(401, "Bearer token required")
        token = header.removeprefix("Bearer ")
        api_key = self.state.config.api_key
        if api_key is not None and token != api_key:
            return osapi_error(401, "Invalid token: token signature is invalid")
        resolved = _scopes(token)
        if scope not in resolved:
            message = (
                f"Insufficient permissions. Required: [{scope}], resolved: [{' '.join(resolved)}]"
            )
            return osapi_error(403, message)
        return None

    async def list(self, request: Request) -> Response:
        """GET /job: unknown query parameters are ignored."""
        limit, offset = go_int(request, "limit"), go_int(request, "offset")
        status = request.query_params.get("status")
        if denied := self._denied(request, READ):
            return denied
        # job_list.go: validation.Struct(request.Params).
        if status is not None and status not in FILTER_STATUSES:
            return osapi_error(400, _invalid("GetJobsParams", "Status", "oneof"))
        if limit is not None and not 1 <= limit <= 100:
            tag = "min" if limit < 1 else "max"
            return osapi_error(400, _invalid("GetJobsParams", "Limit", tag))
        if offset is not None and offset < 0:
            return osapi_error(400, _invalid("GetJobsParams", "Offset", "min"))
        store = self.state.osapi
        jobs, total, counts = store.page(status, offset or 0, limit or DEFAULT_LIMIT)
        garbled = any(job.garbage == "page" for job in jobs)
        if garbage := self.state.faults.garbage("list", garbled):
            return garbage
        items = [store.as_item(job) for job in jobs]
        return JSONResponse({"total_items": total, "status_counts": counts, "items": items})

    def _job(self, request: Request, scope: str) -> OsapiJob | Response:
        """The path's job: its id's format first, then the token, then the lookup."""
        job_id = path_uuid(request)
        if denied := self._denied(request, scope):
            return denied
        job = self.state.osapi.get(job_id)
        return osapi_error(404, f"job not found: {job_id}") if job is None else job

    async def get(self, request: Request) -> Response:
        """GET /job/{id}."""
        job = self._job(request, READ)
        if isinstance(job, Response):
            return job
        if garbage := self.state.faults.garbage("get", job.garbage == "get"):
            return garbage
        return JSONResponse(self.state.osapi.as_dict(job))

    async def delete(self, request: Request) -> Response:
        """DELETE /job/{id}."""
        job = self._job(request, WRITE)
        if isinstance(job, Response):
            return job
        self.state.osapi.delete(job)
        return Response(status_code=204)

    async def retry(self, request: Request) -> Response:
        """POST /job/{id}/retry: a NEW job from the same operation (job_retry.go)."""
        job_id = path_uuid(request)
        body = await _bind_body(request)
        if denied := self._denied(request, WRITE):
            return denied
        target = body.get("target_hostname")
        store = self.state.osapi
        if target is not None and not target:
            return osapi_error(400, _invalid("RetryJobRequest", "TargetHostname", "min"))
        if target is not None and not store.known_target(target):
            message = _invalid("RetryJobRequest", "TargetHostname", "valid_target")
            return osapi_error(400, f'{message}: target agent "{target}" not found')

        def retry() -> tuple[int, dict[str, Any]]:
            job = store.get(job_id)
            if job is None:
                return 404, {"error": f"job not found: {job_id}"}
            try:
                return 201, store.as_retried(store.retry(job, target))
            except NoOperationData as exc:
                return 400, {"error": str(exc)}

        answer, ran = self.state.idempotency.once(
            request, OSAPI, {"id": job_id, "body": body}, retry
        )
        if ran and answer.status_code == 201:
            await self.state.faults.hold_create()
        return answer


async def _bind_body(request: Request) -> dict[str, Any]:
    """echo's ctx.Bind: no body binds nothing; a bad one is the framework's 400, before auth."""
    raw = await request.body()
    if not raw:
        return {}
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise BadFormat("Unsupported Media Type", 415)
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise BadFormat(f"Syntax error: offset={getattr(exc, 'pos', 0)}, error={exc}") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        kind = "array" if isinstance(body, list) else type(body).__name__
        raise BadFormat(
            f"Unmarshal type error: expected=gen.RetryJobRequest, got={kind}, field=, offset=1"
        )
    target = body.get("target_hostname")
    if target is not None and not isinstance(target, str):
        raise BadFormat(
            f"Unmarshal type error: expected=string, got={type(target).__name__}, "
            "field=target_hostname, offset=1"
        )
    return body
