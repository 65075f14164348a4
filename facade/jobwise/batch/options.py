"""What one batch run was asked to do, checked before anything is read or sent."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sized
from dataclasses import dataclass
from typing import Any

from jobwise.batch.items import Progress
from jobwise.errors import InvalidArgumentError
from jobwise.settings import check_rate_limit
from jobwise.validation import check_callback, check_id, check_int, check_seconds


@dataclass(frozen=True)
class BatchOptions:
    """A batch's checked arguments (see ``run_batch``)."""

    application_id: str
    inputs: Iterable[Any]
    concurrency: int = 16
    state: str | None = None
    retry_failed: int = 0
    on_progress: Callable[[Progress], object] | None = None
    """Called with the progress, at most ten times a second. Should it raise, no more creates
    are sent, and its error is raised once those in flight have answered."""
    deadline: float | None = None
    """Seconds the batch may run; then unfinished items end ``timed_out`` (None: no limit)."""
    resend_ambiguous: bool = False
    """Send ``ambiguous`` items of an earlier run again (each may make a duplicate job)."""
    adopt: bool = True
    """Settle a lost create by adopting the one job the server shows for it (see the README:
    it assumes no other client creates jobs in the application meanwhile)."""
    settle: float = 2.0
    """Seconds to let the server show a job before a lost create is reconciled."""
    stall_timeout: float = 60.0
    """Seconds without any usable answer after which the batch stops with one line."""
    sweep_interval: float = 1.0
    """Seconds between list sweeps."""
    rate_limit: float | None = None
    """Requests per minute for the client from the batch's start (None: the client's own)."""
    max_outstanding: int = 10_000
    """Jobs waited for at once; reading pauses beyond it (memory stays flat)."""

    @property
    def total(self) -> int | None:
        """How many inputs there are, when ``inputs`` tells (a list does, a generator not)."""
        return len(self.inputs) if isinstance(self.inputs, Sized) else None

    @classmethod
    def checked(
        cls,
        application_id: object,
        inputs: object,
        *,
        concurrency: object,
        state: object,
        retry_failed: object,
        on_progress: Callable[[Progress], object] | None,
        deadline: object = None,
        resend_ambiguous: object = False,
        adopt: object = True,
        stall_timeout: object = 60.0,
        rate_limit: object = None,
    ) -> BatchOptions:
        """The options, or InvalidArgumentError naming the first bad one."""
        if isinstance(inputs, Mapping):
            raise InvalidArgumentError(
                "inputs",
                "must be an iterable of input mappings, one per job; got one mapping "
                "(for a single job, pass [inputs])",
            )
        if isinstance(inputs, str | bytes) or not isinstance(inputs, Iterable):
            raise InvalidArgumentError(
                "inputs",
                f"must be an iterable of input mappings, one per job; got {type(inputs).__name__}",
            )
        if isinstance(state, os.PathLike):
            state = os.fspath(state)
        if state is not None and (not isinstance(state, str) or not state):
            raise InvalidArgumentError("state", f"must be a file path or None; got {state!r}")
        check_callback(on_progress, "on_progress")
        for name, flag in (("resend_ambiguous", resend_ambiguous), ("adopt", adopt)):
            if not isinstance(flag, bool):
                raise InvalidArgumentError(name, f"must be True or False; got {flag!r}")
        return cls(
            check_id(application_id, "application_id"),
            inputs,
            check_int(concurrency, "concurrency", 1, 1000),
            state,
            check_int(retry_failed, "retry_failed", 0, 100),
            on_progress,
            None if deadline is None else check_seconds(deadline, "deadline"),
            bool(resend_ambiguous),
            bool(adopt),
            stall_timeout=check_seconds(stall_timeout, "stall_timeout"),
            rate_limit=check_rate_limit(rate_limit),
        )
