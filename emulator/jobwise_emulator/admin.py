"""The emulator's own routes under /_emulator: stats, scripted answers, made-up jobs."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from jobwise_emulator.params import BadRequest, json_body
from jobwise_emulator.state import EmulatorState


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


class AdminApi:
    """Routes outside the spec, for tests and benchmarks."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def stats(self, request: Request) -> Response:
        """GET /_emulator/stats: what was created, deduplicated and asked, and the options
        that shape a benchmark's floor (latency percentiles, rate limits) on the wall clock."""
        state = self.state
        config = state.config
        return JSONResponse(
            {
                "jobs_created": state.writer.created + state.osapi.created,
                "writer_jobs_created": state.writer.created,
                "osapi_jobs_created": state.osapi.created,
                "duplicates_prevented": state.idempotency.duplicates_prevented,
                "idempotency": config.idempotency,
                "faults": dict(state.stats.faults),
                "requests_total": sum(state.stats.requests.values()),
                "requests": state.stats.requests_by_route(),
                "profile": {
                    "name": config.profile,
                    "speed": config.speed,
                    "latency": {
                        "kind": config.job_latency.kind,
                        "seconds": config.job_latency.percentiles(),
                    },
                    "writer_rpm": config.per_second(config.writer_rpm)
                    if config.writer_rpm
                    else None,
                    "rate_limit_rps": config.per_second(config.rate_limit)
                    if config.rate_limit
                    else None,
                    "capacity": config.capacity,
                },
            }
        )

    async def writer_seed(self, request: Request) -> Response:
        """POST /_emulator/writer/seed: ``{"application_id": str, "count": int}`` completed jobs,
        made up page by page (constant memory), for listing benchmarks."""
        body = await json_body(request)
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("application_id"), str)
            or not isinstance(body.get("count"), int)
            or not 0 <= body["count"] <= 10**9
        ):
            raise BadRequest('expected {"application_id": str, "count": 0..10**9}')
        self.state.writer.seed(body["application_id"], body["count"])
        return JSONResponse({"seeded": body["count"]}, status_code=201)

    async def script(self, request: Request) -> Response:
        """POST /_emulator/script: the next API requests get these answers, in order.

        Body: ``{"answers": [{"status": 503, "headers": {"Retry-After": "1"}}, ...]}``.
        """
        body = await json_body(request)
        answers = body.get("answers") if isinstance(body, dict) else None
        if not isinstance(answers, list) or not all(
            isinstance(a, dict)
            and isinstance(a.get("status"), int)
            and 400 <= a["status"] < 600
            and isinstance(a.get("headers", {}), dict)
            for a in answers
        ):
            raise BadRequest('expected {"answers": [{"status": 400..599, "headers": {...}}]}')
        self.state.script.extend((a["status"], dict(a.get("headers", {}))) for a in answers)
        return JSONResponse({"queued": len(self.state.script)})

    async def osapi_create(self, request: Request) -> Response:
        """POST /_emulator/osapi/jobs: make osapi jobs (osapi creates them through other routes).

        Body: ``{operation: object | null, hosts: [str], failing_hosts: [str], skip: bool,
        stuck: bool, garbage: "" | "get" | "page", count: 1..10000}``, every field optional.
        """
        body = await json_body(request, optional=True) or {}
        if not isinstance(body, dict):
            raise BadRequest("body must be an object")
        operation = body.get("operation", {"type": "node.hostname.get"})
        hosts = body.get("hosts", ["agent-01"])
        failing = body.get("failing_hosts", [])
        count = body.get("count", 1)
        garbage = body.get("garbage", "")
        if (
            not (operation is None or isinstance(operation, dict))
            or not _strings(hosts)
            or not hosts
            or not _strings(failing)
            or garbage not in ("", "get", "page")
            or not isinstance(count, int)
            or not 1 <= count <= 10000
        ):
            raise BadRequest(
                "expected {operation: object | null, hosts: [str, ...], failing_hosts: [str], "
                'skip: bool, stuck: bool, garbage: "" | "get" | "page", count: 1..10000}'
            )
        jobs = [
            self.state.osapi.create(
                operation,
                hosts,
                failing,
                bool(body.get("skip")),
                stuck=bool(body.get("stuck")),
                garbage=garbage,
            )
            for _ in range(count)
        ]
        return JSONResponse({"job_ids": [job.id for job in jobs]}, status_code=201)
