"""Checks of caller input, run before any request so that bad input costs nothing."""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar

from jobwise.errors import InvalidArgumentError
from jobwise.models import JobInput

E = TypeVar("E", bound=Enum)
Inputs = Mapping[str, str | Sequence[str]] | Sequence[Mapping[str, Any] | JobInput]
"""``{"name": "value" or ["v1", "v2"]}``, or the API's ``[{"id": name, "value": [...]}]``."""
MAX_ID_LENGTH = 256
MAX_INPUT_CHARACTERS = 1_000_000
"""The most text one job's inputs may carry in all (a guard against mistakes, not an API limit)."""
_FORBIDDEN_IN_IDS = set("/\\?#%")
_FORBIDDEN = re.compile(r"[/\\?#%\s]")


def check_id(value: object, argument: str) -> str:
    """A path segment: non-empty, not ``.``/``..``, no ``/ \\ ? # %``, no space or control char."""
    if not isinstance(value, str):
        raise InvalidArgumentError(argument, f"must be a string; got {type(value).__name__}")
    if not value:
        raise InvalidArgumentError(argument, "must not be empty")
    if value in (".", ".."):
        raise InvalidArgumentError(argument, f"must not be {value!r}")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidArgumentError(argument, f"is longer than {MAX_ID_LENGTH} characters")
    if _FORBIDDEN.search(value) is None and value.isprintable():
        return value
    bad = sorted(
        {ch for ch in value if ch in _FORBIDDEN_IN_IDS or not ch.isprintable() or ch.isspace()}
    )
    if bad:
        raise InvalidArgumentError(argument, f"must not contain {''.join(bad)!r}; got {value!r}")
    return value


def check_job_id(value: object, argument: str = "job_id") -> str:
    """A job id: a path segment as :func:`check_id` checks it, or a ``uuid.UUID``."""
    return check_id(str(value) if isinstance(value, uuid.UUID) else value, argument)


def check_uuid(value: object, argument: str) -> uuid.UUID:
    """A job id that must be a UUID (osapi)."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise InvalidArgumentError(argument, f"must be a UUID string; got {type(value).__name__}")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgumentError(argument, f"must be a UUID; got {value[:80]!r}") from None


def check_enum(value: object, enum: type[E], argument: str) -> E:
    """``value`` as a member of ``enum`` (by member or by its string value)."""
    if isinstance(value, enum):
        return value
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in enum)
        raise InvalidArgumentError(argument, f"must be one of {allowed}; got {value!r}") from None


def check_int(value: object, argument: str, low: int, high: int) -> int:
    """An int (not a bool) in ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(argument, f"must be an integer; got {value!r}")
    if not low <= value <= high:
        raise InvalidArgumentError(argument, f"must be between {low} and {high}; got {value}")
    return value


def check_seconds(value: object, argument: str) -> float:
    """A positive, finite number of seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(argument, f"must be a number of seconds; got {value!r}")
    if not 0 < value < float("inf"):
        raise InvalidArgumentError(argument, f"must be > 0 and finite; got {value}")
    return float(value)


def check_callback(value: object, argument: str) -> None:
    """None, or a plain callable: an ``async def``'s calls would never be awaited (it ran not
    at all, with a RuntimeWarning)."""
    if value is None:
        return
    if not callable(value):
        raise InvalidArgumentError(argument, f"must be callable or None; got {value!r}")
    if inspect.iscoroutinefunction(value) or inspect.iscoroutinefunction(
        getattr(value, "__call__", None)  # noqa: B004 (an object whose __call__ is async)
    ):
        raise InvalidArgumentError(
            argument, "must be a plain function: an async one would never be awaited"
        )


def check_optional_key(value: object, argument: str = "idempotency_key") -> str | None:
    """An Idempotency-Key: None (jobwise makes one) or 1..255 printable characters."""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 255 or not value.isprintable():
        raise InvalidArgumentError(argument, "must be 1 to 255 printable characters")
    return value


def unencodable(text: str) -> str | None:
    """The first character of ``text`` that UTF-8 cannot encode (a lone surrogate, such as a
    JSON ``\\udc80`` escape gives), or None: such text can be neither sent nor recorded."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return text[exc.start]
    return None


def check_encodable(text: str, argument: str) -> str:
    """``text``, refused when UTF-8 cannot encode it (see :func:`unencodable`)."""
    if (char := unencodable(text)) is not None:
        raise InvalidArgumentError(
            argument, f"holds {char!a}, a lone surrogate that UTF-8 cannot encode"
        )
    return text


def _values(name: str, value: object, argument: str) -> list[str]:
    if isinstance(value, str):
        return [check_encodable(value, f"{argument}[{name!r}]")]
    if isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        items = list(value)
        if not items:
            raise InvalidArgumentError(f"{argument}[{name!r}]", "has no value")
        for n, item in enumerate(items):
            if not isinstance(item, str):
                raise InvalidArgumentError(
                    f"{argument}[{name!r}][{n}]", f"must be a string; got {type(item).__name__}"
                )
            check_encodable(item, f"{argument}[{name!r}][{n}]")
        return items
    raise InvalidArgumentError(
        f"{argument}[{name!r}]",
        f"must be a string or a list of strings; got {type(value).__name__}",
    )


def _name(name: object, argument: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError(argument, f"input names must be non-empty strings; got {name!r}")
    return check_encodable(name, f"{argument}: input name {name!a}")


class InputSet(dict[str, list[str]]):
    """One job's inputs, checked: input name -> values. Made only by :func:`normalize_inputs`,
    it is the one shape an input has from reading to sending (a batch's state stores it too)."""


def normalize_inputs(inputs: object, argument: str = "inputs") -> InputSet:
    """``{"name": "v" | ["v", ...]}`` or ``[{"id": name, "value": [...]}, ...]``, checked once
    (an :class:`InputSet` passes through as it is)."""
    pairs: list[tuple[Any, Any]]
    if isinstance(inputs, InputSet):
        return inputs
    if isinstance(inputs, Mapping):
        pairs = list(inputs.items())
    elif isinstance(inputs, list | tuple):
        pairs = []
        for n, item in enumerate(inputs):
            if isinstance(item, JobInput):
                pairs.append((item.id, item.value))
            elif isinstance(item, Mapping) and set(item) == {"id", "value"}:
                pairs.append((item["id"], item["value"]))
            else:
                raise InvalidArgumentError(
                    f"{argument}[{n}]", 'must be a mapping {"id": name, "value": [str, ...]}'
                )
    else:
        raise InvalidArgumentError(
            argument,
            "must be a mapping of input name to value(s), or a list of {id, value}; "
            f"got {type(inputs).__name__}",
        )
    if not pairs:
        raise InvalidArgumentError(argument, "must not be empty")
    out = InputSet()
    size = 0
    for name, value in pairs:
        name = _name(name, argument)
        if name in out:
            raise InvalidArgumentError(argument, f"input {name!r} is given twice")
        values = _values(name, value, argument)
        size += len(name) + sum(len(v) for v in values)
        if size > MAX_INPUT_CHARACTERS:
            raise InvalidArgumentError(
                argument, f"holds more than {MAX_INPUT_CHARACTERS:,} characters in all"
            )
        out[name] = values
    return out
