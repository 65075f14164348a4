"""What both APIs' boundaries share."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from jobwise.errors import InvalidResponseError

T = TypeVar("T")

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


def with_string_ids(jobs: Sequence[T]) -> list[T]:
    """A page's jobs, each with a string id (the pager's key); TypeError otherwise, which
    :func:`jobwise.http.parse` reports as an InvalidResponseError."""
    for job in jobs:
        job_id: Any = getattr(job, "id", None)
        if not isinstance(job_id, str):
            raise TypeError(f"a listed job's id must be a string; got {job_id!r}")
    return list(jobs)
