"""Idempotency-Key: ignored (as Writer and osapi do), or honoured the way Stripe does it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from jobwise_emulator.errors import api_error
from jobwise_emulator.params import BadRequest

HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Remembered:
    """The first answer to a key, and the body it was for."""

    fingerprint: str
    status: int
    body: dict[str, Any]


def fingerprint(body: Any) -> str:
    """A digest of a request body that ignores key order and spacing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyCache:
    """Answers remembered per (operation, key) when ``honour``; nothing at all when not.

    Writer's SDKs configure no idempotency header and osapi's code has none, so ``ignore``
    is the default. In ``honour`` mode the middleware echoes the key on every answer.
    """

    def __init__(self, honour: bool) -> None:
        self.honour = honour
        self._answers: dict[tuple[str, str], Remembered] = {}
        self.duplicates_prevented = 0

    def once(
        self,
        request: Request,
        api: str,
        body: Any,
        create: Callable[[], tuple[int, dict[str, Any]]],
    ) -> tuple[JSONResponse, bool]:
        """Run ``create`` unless this key has answered before; (answer, whether it ran)."""
        key = request.headers.get(HEADER) if self.honour else None
        if key is None:
            status, answer = create()
            return JSONResponse(answer, status_code=status), True
        if not key or len(key) > 255:
            raise BadRequest("Idempotency-Key must be 1 to 255 characters")
        operation = f"{request.method} {request.url.path}"
        digest = fingerprint(body)
        seen = self._answers.get((operation, key))
        if seen is not None:
            if seen.fingerprint != digest:
                message = "Idempotency-Key reused with another body"
                return api_error(api, 422, message, "fail.idempotency_key_reused"), False
            self.duplicates_prevented += 1
            replay = JSONResponse(
                seen.body, status_code=seen.status, headers={"Idempotent-Replayed": "true"}
            )
            return replay, False
        status, answer = create()
        if status < 400:
            self._answers[(operation, key)] = Remembered(digest, status, answer)
        return JSONResponse(answer, status_code=status), True
