"""Error answers in each API's own shape."""

from __future__ import annotations

from starlette.responses import JSONResponse

WRITER, OSAPI = "writer", "osapi"

# dev.writer.com api-reference/error-codes ("Error code" column); 504 by the same pattern.
WRITER_TPE = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Gone",
    413: "PayloadTooLarge",
    422: "UnprocessableEntity",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def writer_tpe(status: int) -> str:
    """The ``tpe`` Writer names a status with."""
    return WRITER_TPE.get(status, "InternalServerError" if status >= 500 else "BadRequest")


def writer_error_body(status: int, description: str, key: str) -> dict[str, object]:
    """Writer's ``{tpe, errors: [{description, key, extras}], extras}`` (writer-python's
    src/writerai/types/shared/error_object.py and error_message.py)."""
    return {
        "tpe": writer_tpe(status),
        "errors": [{"description": description, "key": key, "extras": {}}],
        "extras": {},
    }


def writer_error(status: int, description: str, key: str) -> JSONResponse:
    """A Writer error answer."""
    return JSONResponse(writer_error_body(status, description, key), status_code=status)


def osapi_error(status: int, message: str) -> JSONResponse:
    """An osapi handler's ``{"error": msg}`` (no code: internal/controller/api/job/*.go)."""
    return JSONResponse({"error": message}, status_code=status)


def framework_error(status: int, message: str) -> JSONResponse:
    """osapi's HTTP framework (echo) answer, ``{"message": msg}``: bad parameters, no route."""
    return JSONResponse({"message": message}, status_code=status)


def api_error(api: str, status: int, message: str, key: str = "fail.request") -> JSONResponse:
    """An error for ``api`` (WRITER or OSAPI)."""
    if api == WRITER:
        return writer_error(status, message, key)
    return osapi_error(status, message)
