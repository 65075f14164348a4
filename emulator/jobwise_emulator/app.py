"""The emulator's ASGI app: both job APIs of openapi.yaml, plus /_emulator admin routes."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobwise_emulator.clock import Clock
from jobwise_emulator.config import EmulatorConfig
from jobwise_emulator.errors import (
    OSAPI,
    WRITER,
    api_error,
    osapi_error,
    writer_error,
    writer_error_body,
)
from jobwise_emulator.faults import FaultMiddleware
from jobwise_emulator.idempotency import IdempotencyCache, Remembered, fingerprint
from jobwise_emulator.osapi_store import FILTER_STATUSES, FINAL_STATUSES, OsapiStore
from jobwise_emulator.stats import Stats
from jobwise_emulator.writer_store import FAILED, STATUSES, WriterStore, asks

WRITER_DEFAULT_LIMIT = 50
INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1


class BadRequest(Exception):
    """A request that breaks the spec; answered 400 in the API's shape."""


def _int_param(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer; got {raw!r}") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise BadRequest(f"{name} must be {bound}; got {value}")
    return value


def _only_params(request: Request, *names: str) -> None:
    unknown = sorted(set(request.query_params) - set(names))
    if unknown:
        raise BadRequest(f"unknown query parameter(s): {', '.join(unknown)[:200]}")


def _status_param(request: Request, allowed: tuple[str, ...]) -> str | None:
    status = request.query_params.get("status")
    if status is not None and status not in allowed:
        raise BadRequest(f"status must be one of {', '.join(allowed)}; got {status!r}")
    return status


async def _json_body(request: Request, *, optional: bool = False) -> Any:
    raw = await request.body()
    if not raw.strip():
        if optional:
            return None
        raise BadRequest("request body must be JSON")
    try:
        return json.loads(raw)
    except ValueError:
        raise BadRequest("request body is not valid JSON") from None


def _writer_inputs(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise BadRequest("body must be an object with an 'inputs' array")
    inputs = body["inputs"]
    if not inputs:
        raise BadRequest("inputs must not be empty")
    for n, item in enumerate(inputs):
        if not isinstance(item, dict):
            raise BadRequest(f"inputs[{n}] must be an object with 'id' and 'value'")
        if not isinstance(item.get("id"), str) or not item["id"]:
            raise BadRequest(f"inputs[{n}].id must be a non-empty string")
        value = item.get("value")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadRequest(f"inputs[{n}].value must be an array of strings")
    return [{"id": item["id"], "value": list(item["value"])} for item in inputs]


class Emulator:
    """State and handlers of one emulator instance."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        clock = Clock()
        self.writer = WriterStore(config, clock)
        self.osapi = OsapiStore(config, clock)
        self.idempotency = IdempotencyCache()
        self.stats = Stats()
        self.script: list[tuple[int, dict[str, str]]] = []

    def _unauthorized(self, request: Request, api: str) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return api_error(api, 401, "Missing bearer token", "fail.unauthorized")
        if self.config.api_key is not None and token.strip() != self.config.api_key:
            return api_error(api, 401, "Invalid API key", "fail.unauthorized")
        return None

    async def _once(self, request: Request, api: str, body: Any, create: Any) -> Response:
        """Run ``create``; with ``--idempotency honour``, only if its key has not answered."""
        key = request.headers.get("idempotency-key")
        if key is not None and (not key or len(key) > 255):  # the spec's bounds, in both modes
            raise BadRequest("Idempotency-Key must be 1 to 255 characters")
        if key is None or self.config.idempotency == "ignore":
            status, answer = create()
            await self._hold(status)
            return JSONResponse(answer, status_code=status)
        operation = f"{request.method} {request.url.path}"
        digest = fingerprint(body)
        echo = {"Idempotency-Key": key}
        seen = self.idempotency.get(operation, key)
        if seen is not None:
            if seen.fingerprint != digest:
                refused = api_error(
                    api,
                    422,
                    "Idempotency-Key reused with another body",
                    "fail.idempotency_key_reused",
                )
                refused.headers.update(echo)
                return refused
            self.idempotency.duplicates_prevented += 1
            return JSONResponse(
                seen.body,
                status_code=seen.status,
                headers={**echo, "Idempotent-Replayed": "true"},
            )
        status, answer = create()
        if status < 400:
            self.idempotency.put(operation, key, Remembered(digest, status, answer))
        await self._hold(status)
        return JSONResponse(answer, status_code=status, headers=echo)

    async def _hold(self, status: int) -> None:
        """Hold a stored create's answer (``--hold-create``): a window to place a kill in."""
        if status < 400 and self.config.hold_create:
            await asyncio.sleep(self.config.hold_create)

    async def writer_create(self, request: Request) -> Response:
        """POST /v1/applications/{application_id}/jobs."""
        if denied := self._unauthorized(request, WRITER):
            return denied
        app_id = request.path_params["application_id"]
        body = await _json_body(request)
        inputs = _writer_inputs(body)

        def create() -> tuple[int, dict[str, Any]]:
            return 202, self.writer.as_created(self.writer.create(app_id, inputs))

        return await self._once(request, WRITER, body, create)

    async def writer_list(self, request: Request) -> Response:
        """GET /v1/applications/{application_id}/jobs."""
        if denied := self._unauthorized(request, WRITER):
            return denied
        _only_params(request, "status", "offset", "limit")
        status = _status_param(request, STATUSES)
        offset = _int_param(request, "offset", 0, 0, INT64_MAX)
        limit = _int_param(request, "limit", WRITER_DEFAULT_LIMIT, 1, INT32_MAX)
        jobs, total = self.writer.page(request.path_params["application_id"], status, offset, limit)
        return JSONResponse(
            {
                "result": jobs,
                "totalCount": total,
                "pagination": {"offset": offset, "limit": limit},
            }
        )

    async def writer_retrieve(self, request: Request) -> Response:
        """GET /v1/applications/jobs/{job_id}."""
        if denied := self._unauthorized(request, WRITER):
            return denied
        job = self.writer.get(request.path_params["job_id"])
        if job is None:
            return writer_error(404, "Job not found", "fail.not_found")
        if asks(job.inputs, "garbage"):  # a proxy's error page with a 200
            return Response("<html><body>Bad gateway</body></html>", media_type="text/html")
        return JSONResponse(self.writer.as_dict(job))

    async def writer_retry(self, request: Request) -> Response:
        """POST /v1/applications/jobs/{job_id}/retry: only a failed job."""
        if denied := self._unauthorized(request, WRITER):
            return denied
        job_id = request.path_params["job_id"]

        def retry() -> tuple[int, dict[str, Any]]:
            job = self.writer.get(job_id)
            if job is None:
                return 404, writer_error_body("Job not found", "fail.not_found")
            if job.status != FAILED:
                message = f"Only a failed job can be retried; this one is {job.status}"
                return 409, writer_error_body(message, "fail.not_failed")
            self.writer.retry(job)
            return 202, self.writer.as_created(job)

        return await self._once(request, WRITER, {"job_id": job_id}, retry)

    async def osapi_list(self, request: Request) -> Response:
        """GET /job."""
        if denied := self._unauthorized(request, OSAPI):
            return denied
        _only_params(request, "status", "offset", "limit")
        status = _status_param(request, FILTER_STATUSES)
        limit = _int_param(request, "limit", 10, 1, 100)
        offset = _int_param(request, "offset", 0, 0, INT64_MAX)
        jobs, total, counts = self.osapi.page(status, offset, limit)
        return JSONResponse(
            {
                "total_items": total,
                "status_counts": counts,
                "items": [self.osapi.as_dict(job) for job in jobs],
            }
        )

    def _osapi_job(self, request: Request) -> Any:
        job_id = request.path_params["id"]
        if not _is_uuid(job_id):
            raise BadRequest(f"id must be a UUID; got {job_id!r}")
        return self.osapi.get(job_id)

    async def osapi_get(self, request: Request) -> Response:
        """GET /job/{id}."""
        if denied := self._unauthorized(request, OSAPI):
            return denied
        job = self._osapi_job(request)
        if job is None:
            return osapi_error(404, "job not found")
        return JSONResponse(self.osapi.as_dict(job))

    async def osapi_delete(self, request: Request) -> Response:
        """DELETE /job/{id}."""
        if denied := self._unauthorized(request, OSAPI):
            return denied
        job = self._osapi_job(request)
        if job is None:
            return osapi_error(404, "job not found")
        self.osapi.delete(job)
        return Response(status_code=204)

    async def osapi_retry(self, request: Request) -> Response:
        """POST /job/{id}/retry: a job that has reached a final status."""
        if denied := self._unauthorized(request, OSAPI):
            return denied
        job = self._osapi_job(request)
        body = await _json_body(request, optional=True)
        if body is not None and (
            not isinstance(body, dict) or not isinstance(body.get("target_hostname", ""), str)
        ):
            raise BadRequest("body must be an object with an optional string 'target_hostname'")
        target = (body or {}).get("target_hostname") or None

        def retry() -> tuple[int, dict[str, Any]]:
            if job is None:
                return 404, {"error": "job not found", "code": 404}
            status = self.osapi.current_status(job)
            if status not in FINAL_STATUSES:
                return 409, {
                    "error": f"job is {status}; only a finished job can be retried",
                    "code": 409,
                }
            self.osapi.retry(job, target)
            return 201, self.osapi.as_retried(job)

        job_key = {"id": request.path_params["id"], "body": body}
        return await self._once(request, OSAPI, job_key, retry)

    async def admin_stats(self, request: Request) -> Response:
        """GET /_emulator/stats: what was created, deduplicated and asked."""
        return JSONResponse(
            {
                "jobs_created": self.writer.created + self.osapi.created,
                "writer_jobs_created": self.writer.created,
                "osapi_jobs_created": self.osapi.created,
                "duplicates_prevented": self.idempotency.duplicates_prevented,
                "faults": dict(self.stats.faults),
                "requests_total": sum(self.stats.requests.values()),
                "requests": self.stats.requests_by_route(),
            }
        )

    async def admin_writer_seed(self, request: Request) -> Response:
        """POST /_emulator/writer/seed: ``{"application_id": str, "count": int}`` completed jobs,
        made up page by page (constant memory), for listing benchmarks."""
        body = await _json_body(request)
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("application_id"), str)
            or not isinstance(body.get("count"), int)
            or not 0 <= body["count"] <= 10**9
        ):
            raise BadRequest('expected {"application_id": str, "count": 0..10**9}')
        self.writer.seed(body["application_id"], body["count"])
        return JSONResponse({"seeded": body["count"]}, status_code=201)

    async def admin_script(self, request: Request) -> Response:
        """POST /_emulator/script: the next API requests get these answers, in order.

        Body: ``{"answers": [{"status": 503, "headers": {"Retry-After": "1"}}, ...]}``.
        """
        body = await _json_body(request)
        answers = body.get("answers") if isinstance(body, dict) else None
        if not isinstance(answers, list) or not all(
            isinstance(a, dict)
            and isinstance(a.get("status"), int)
            and 400 <= a["status"] < 600
            and isinstance(a.get("headers", {}), dict)
            for a in answers
        ):
            raise BadRequest('expected {"answers": [{"status": 400..599, "headers": {...}}]}')
        self.script.extend((a["status"], dict(a.get("headers", {}))) for a in answers)
        return JSONResponse({"queued": len(self.script)})

    async def admin_osapi_create(self, request: Request) -> Response:
        """POST /_emulator/osapi/jobs: make osapi jobs for tests (outside the spec)."""
        body = await _json_body(request, optional=True) or {}
        if not isinstance(body, dict):
            raise BadRequest("body must be an object")
        operation = body.get("operation", {"type": "node.hostname.get"})
        hosts = body.get("hosts", ["agent-01"])
        failing = body.get("failing_hosts", [])
        count = body.get("count", 1)
        if (
            not isinstance(operation, dict)
            or not _strings(hosts)
            or not hosts
            or not _strings(failing)
            or not isinstance(count, int)
            or not 1 <= count <= 10000
        ):
            raise BadRequest(
                "expected {operation: object, hosts: [str, ...], "
                "failing_hosts: [str], skip: bool, count: 1..10000}"
            )
        jobs = [
            self.osapi.create(operation, hosts, failing, bool(body.get("skip")))
            for _ in range(count)
        ]
        return JSONResponse({"job_ids": [job.id for job in jobs]}, status_code=201)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """The emulator as an ASGI app; ``app.state.emulator`` holds its state."""
    emulator = Emulator(config or EmulatorConfig())
    routes = [
        Route("/v1/applications/{application_id}/jobs", emulator.writer_create, methods=["POST"]),
        Route("/v1/applications/{application_id}/jobs", emulator.writer_list, methods=["GET"]),
        Route("/v1/applications/jobs/{job_id}", emulator.writer_retrieve, methods=["GET"]),
        Route("/v1/applications/jobs/{job_id}/retry", emulator.writer_retry, methods=["POST"]),
        Route("/job", emulator.osapi_list, methods=["GET"]),
        Route("/job/{id}", emulator.osapi_get, methods=["GET"]),
        Route("/job/{id}", emulator.osapi_delete, methods=["DELETE"]),
        Route("/job/{id}/retry", emulator.osapi_retry, methods=["POST"]),
        Route("/_emulator/stats", emulator.admin_stats, methods=["GET"]),
        Route("/_emulator/osapi/jobs", emulator.admin_osapi_create, methods=["POST"]),
        Route("/_emulator/script", emulator.admin_script, methods=["POST"]),
        Route("/_emulator/writer/seed", emulator.admin_writer_seed, methods=["POST"]),
    ]

    async def bad_request(request: Request, exc: Exception) -> Response:
        api = WRITER if request.url.path.startswith("/v1/") else OSAPI
        return api_error(api, 400, str(exc), "fail.bad_request")

    async def client_gone(request: Request, exc: Exception) -> Response:
        # The client hung up mid-request (killed, or timed out): nobody will read an answer.
        return Response(status_code=499)

    async def http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method the path has, not only its first route's
            path = request.url.path
            allowed = {m for r in routes if r.path_regex.match(path) for m in r.methods or ()}
            headers["Allow"] = ", ".join(sorted(allowed - {"HEAD"}))
        # Unknown routes and methods answer like osapi's HTTP framework: {"message": ...}.
        return JSONResponse({"message": exc.detail}, status_code=exc.status_code, headers=headers)

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                FaultMiddleware,
                config=emulator.config,
                stats=emulator.stats,
                routes=routes,
                script=emulator.script,
            )
        ],
        exception_handlers={
            BadRequest: bad_request,
            HTTPException: http_exception,
            ClientDisconnect: client_gone,
        },
    )
    app.state.emulator = emulator
    return app
