"""Idempotency-Key memory: the same key and body answer the first response again."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any


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
    """Answers remembered per (operation, key)."""

    def __init__(self) -> None:
        self._answers: dict[tuple[str, str], Remembered] = {}
        self.duplicates_prevented = 0

    def get(self, operation: str, key: str) -> Remembered | None:
        """The remembered answer, if any."""
        return self._answers.get((operation, key))

    def put(self, operation: str, key: str, answer: Remembered) -> None:
        """Remember an answer."""
        self._answers[(operation, key)] = answer
