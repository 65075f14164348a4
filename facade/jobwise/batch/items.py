"""What a batch reports: each input's final item, and the progress so far."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

FINAL_ITEM_STATUSES = ("completed", "failed", "invalid")
"""Item statuses after which an input is never sent again."""
OUTCOMES = (*FINAL_ITEM_STATUSES, "ambiguous", "timed_out")
"""What an item can end a run with. ``ambiguous``: a lost create could be one of several jobs
(``BatchItem.candidates``); decide, or re-run with ``resend_ambiguous=True`` (it may duplicate).
``timed_out``: the batch's deadline came first; a later run resumes it (its job id is kept)."""
NEEDS_DECISION = ("ambiguous", "timed_out")


@dataclass(frozen=True)
class BatchItem:
    """One input's outcome: ``status`` is completed, failed, invalid (refused unsent),
    ambiguous (``candidates`` are the jobs it could be) or timed_out (see :data:`OUTCOMES`)."""

    index: int
    inputs: dict[str, list[str]]
    job_id: str | None
    status: str
    suggestion: str | None
    error: str | None
    retries: int
    candidates: tuple[str, ...] = ()


@dataclass
class Progress:
    """A batch so far, for progress bars. The counts by status are the state file's own (one
    source for progress and summary): ``done`` finished, ``failed`` of them failed."""

    counts: Mapping[str, int] = field(default_factory=dict)
    read: int = 0
    in_flight: int = 0
    retries: int = 0
    requests: int = 0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    """The batch client's clock, which ``started`` and :attr:`elapsed` are read on."""
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    @property
    def completed(self) -> int:
        """Items completed."""
        return self.counts.get("completed", 0)

    @property
    def failed(self) -> int:
        """Items failed."""
        return self.counts.get("failed", 0)

    @property
    def invalid(self) -> int:
        """Items refused before sending."""
        return self.counts.get("invalid", 0)

    @property
    def done(self) -> int:
        """Items with an outcome (see :data:`OUTCOMES`)."""
        return sum(self.counts.get(status, 0) for status in OUTCOMES)

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return self.clock() - self.started

    @property
    def rate(self) -> float:
        """Items finished per second."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0
