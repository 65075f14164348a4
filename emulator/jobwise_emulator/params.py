"""Reading requests: query integers, JSON bodies, Writer inputs; BadRequest for what breaks."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request

INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1


class BadRequest(Exception):
    """A request that breaks the spec; answered 400 in the API's own shape."""


class BadFormat(Exception):
    """What osapi's HTTP framework refuses before auth: ``{"message"}``, 400 by default."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def int_param(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    """An integer query parameter within [low, high]."""
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


def only_params(request: Request, *names: str) -> None:
    """Refuse query parameters other than ``names``."""
    unknown = sorted(set(request.query_params) - set(names))
    if unknown:
        raise BadRequest(f"unknown query parameter(s): {', '.join(unknown)[:200]}")


def status_param(request: Request, allowed: tuple[str, ...]) -> str | None:
    """The ``status`` filter, one of ``allowed``."""
    status = request.query_params.get("status")
    if status is not None and status not in allowed:
        raise BadRequest(f"status must be one of {', '.join(allowed)}; got {status!r}")
    return status


async def json_body(request: Request, *, optional: bool = False) -> Any:
    """The request's JSON body (None when ``optional`` and empty)."""
    raw = await request.body()
    if not raw.strip():
        if optional:
            return None
        raise BadRequest("request body must be JSON")
    try:
        return json.loads(raw)
    except ValueError:
        raise BadRequest("request body is not valid JSON") from None


def writer_inputs(body: Any) -> list[dict[str, Any]]:
    """The ``inputs`` of a Writer create, checked."""
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


def go_int(request: Request, name: str) -> int | None:
    """An osapi query integer as oapi-codegen binds it (a Go int), or BadFormat."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw, 10)
    except ValueError:
        value = None
    if value is None or not -(2**63) <= value <= INT64_MAX or not raw.lstrip("+-").isdigit():
        raise BadFormat(
            f"Invalid format for parameter {name}: error binding string parameter: "
            f"strconv.ParseInt: parsing {json.dumps(raw)}: invalid syntax"
        )
    return value


def path_uuid(request: Request) -> str:
    """The ``{id}`` path parameter as a canonical UUID, or BadFormat."""
    raw = request.path_params["id"]
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise BadFormat(
            f"Invalid format for parameter id: error unmarshaling '{raw}' text as *uuid.UUID: "
            f"invalid UUID format"
        ) from None
