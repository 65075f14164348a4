"""What both APIs' boundaries share."""

from __future__ import annotations

import uuid

from jobwise.errors import InvalidResponseError

DEFAULT_WAIT_TIMEOUT = 600.0
"""Seconds ``wait`` waits by default."""


def new_idempotency_key() -> str:
    """A fresh Idempotency-Key for one logical POST."""
    return f"jobwise-{uuid.uuid4().hex}"


def key_or_new(idempotency_key: str | None) -> str:
    """The caller's key, or a fresh one."""
    return idempotency_key or new_idempotency_key()


def check_same_job(asked: str, answered: str) -> None:
    """Refuse an answer about another job than the one asked for."""
    if answered != asked:
        raise InvalidResponseError(
            f"asked for job {asked!r}, the server answered with job {answered!r}"
        )
