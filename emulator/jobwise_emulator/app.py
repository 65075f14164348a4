"""The emulator's ASGI app: both job APIs of openapi.yaml, plus /_emulator admin routes."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobwise_emulator.admin import AdminApi
from jobwise_emulator.clock import Clock
from jobwise_emulator.config import EmulatorConfig
from jobwise_emulator.errors import OSAPI, WRITER, api_error, framework_error
from jobwise_emulator.faults import FaultMiddleware
from jobwise_emulator.osapi_api import OsapiApi
from jobwise_emulator.params import BadFormat, BadRequest
from jobwise_emulator.state import EmulatorState
from jobwise_emulator.writer_api import WriterApi


def _routes(state: EmulatorState) -> list[Route]:
    writer, osapi, admin = WriterApi(state), OsapiApi(state), AdminApi(state)
    # Newer osapi servers serve every route under /api (osapi-io/osapi, April 2026).
    job = f"{state.config.osapi_prefix}/job"
    return [
        Route("/v1/applications/{application_id}/jobs", writer.create, methods=["POST"]),
        Route("/v1/applications/{application_id}/jobs", writer.list, methods=["GET"]),
        Route("/v1/applications/jobs/{job_id}", writer.retrieve, methods=["GET"]),
        Route("/v1/applications/jobs/{job_id}/retry", writer.retry, methods=["POST"]),
        Route(job, osapi.list, methods=["GET"]),
        Route(job + "/{id}", osapi.get, methods=["GET"]),
        Route(job + "/{id}", osapi.delete, methods=["DELETE"]),
        Route(job + "/{id}/retry", osapi.retry, methods=["POST"]),
        Route("/_emulator/stats", admin.stats, methods=["GET"]),
        Route("/_emulator/osapi/jobs", admin.osapi_create, methods=["POST"]),
        Route("/_emulator/script", admin.script, methods=["POST"]),
        Route("/_emulator/writer/seed", admin.writer_seed, methods=["POST"]),
    ]


def create_app(config: EmulatorConfig | None = None, clock: Clock | None = None) -> Starlette:
    """The emulator as an ASGI app; ``app.state.emulator`` holds its state. ``clock`` is the
    machine's unless given (a simulation shares its virtual one)."""
    state = EmulatorState(config or EmulatorConfig(), clock)
    routes = _routes(state)

    async def bad_request(request: Request, exc: Exception) -> Response:
        api = WRITER if request.url.path.startswith("/v1/") else OSAPI
        return api_error(api, 400, str(exc), "fail.bad_request")

    async def bad_format(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadFormat)
        return framework_error(exc.status, str(exc))

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
        middleware=[Middleware(FaultMiddleware, state=state, routes=routes)],
        exception_handlers={
            BadRequest: bad_request,
            BadFormat: bad_format,
            HTTPException: http_exception,
            ClientDisconnect: client_gone,
        },
    )
    app.state.emulator = state
    return app
