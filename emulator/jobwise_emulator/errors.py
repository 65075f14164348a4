"""Error answers in each API's own shape."""

from __future__ import annotations

from starlette.responses import JSONResponse

WRITER, OSAPI = "writer", "osapi"


def writer_error_body(description: str, key: str) -> dict[str, object]:
    """Writer's ``{tpe, errors: [{description, key}], extras}``."""
    return {
        "tpe": "FailResponse",
        "errors": [{"description": description, "key": key}],
        "extras": None,
    }


def writer_error(status: int, description: str, key: str) -> JSONResponse:
    """A Writer error answer."""
    return JSONResponse(writer_error_body(description, key), status_code=status)


def osapi_error(status: int, message: str, details: str | None = None) -> JSONResponse:
    """osapi's ``{error, details?, code}``."""
    body: dict[str, object] = {"error": message, "code": status}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status)


def api_error(api: str, status: int, message: str, key: str = "fail.request") -> JSONResponse:
    """An error for ``api`` (WRITER or OSAPI)."""
    if api == WRITER:
        return writer_error(status, message, key)
    return osapi_error(status, message)
