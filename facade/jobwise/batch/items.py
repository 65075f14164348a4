"""What a batch reports: each input's final item, and the progress so far."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypedDict


class ItemStatus(StrEnum):
    """Where one input stands; a ``str``, so ``item.status == "completed"`` holds as before.

    On the way (a later run goes on with it): ``PENDING`` recorded, not sent; ``SENDING`` its
    create may be in flight; ``UNKNOWN`` its create's answer was lost, to be settled from the
    listing (never sent twice); ``SUBMITTED`` its job runs; ``RETRYING`` a retry of its failed
    job is intended. Outcomes (:data:`OUTCOMES`): ``COMPLETED``, ``FAILED``, ``INVALID``
    (refused unsent), ``AMBIGUOUS`` (a lost create could be one of several jobs:
    ``BatchItem.candidates``; decide, or re-run with ``resend_ambiguous=True``, which may
    duplicate) and ``TIMED_OUT`` (the batch's deadline came first; a later run resumes it).
    """

    PENDING = "pending"
    SENDING = "sending"
    UNKNOWN = "unknown"
    SUBMITTED = "submitted"
    RETRYING = "retrying"
    COMPLETED = "completed"
    FAILED = "failed"
    INVALID = "invalid"
    AMBIGUOUS = "ambiguous"
    TIMED_OUT = "timed_out"


FINAL_ITEM_STATUSES = (ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.INVALID)
"""Item statuses after which an input is never sent again."""
NEEDS_DECISION = (ItemStatus.AMBIGUOUS, ItemStatus.TIMED_OUT)
"""Outcomes a person decides on: the batch's ``needs_decision`` count, the CLI's exit 7."""
OUTCOMES = (*FINAL_ITEM_STATUSES, *NEEDS_DECISION)
"""What an item can end a run with."""
UNFINISHED = (
    ItemStatus.PENDING,
    ItemStatus.SENDING,
    ItemStatus.UNKNOWN,
    ItemStatus.SUBMITTED,
    ItemStatus.RETRYING,
)
"""What an item a run left unfinished can be (a later run goes on with it)."""


class BatchSummary(TypedDict):
    """What ``run.summary()`` returns: a dict, so ``summary["counts"]`` reads as it always has.

    ``counts`` by status (this state file, all runs; they add up to ``total``);
    ``from_earlier_runs`` items an earlier run had finished; ``needs_decision`` ambiguous and
    timed out (see :data:`NEEDS_DECISION`); ``possible_duplicates`` jobs that re-sent ambiguous
    items may duplicate; ``retries`` of failed jobs; ``requests`` sent by this run; ``elapsed``
    seconds; ``concurrency_decreases`` halvings of the requests in flight (503s);
    ``rate_limit`` the requests a minute paced to at the end (None: none learned).
    """

    counts: dict[str, int]
    total: int
    from_earlier_runs: int
    needs_decision: int
    possible_duplicates: list[str]
    retries: int
    requests: int
    elapsed: float
    concurrency_decreases: int
    rate_limit: float | None


@dataclass(frozen=True)
class BatchItem:
    """One input's outcome: ``status`` is completed, failed, invalid (refused unsent),
    ambiguous (``candidates`` are the jobs it could be) or timed_out (see :class:`ItemStatus`);
    read back from a state file (:func:`jobwise.read_results`), an unfinished one's too."""

    index: int
    inputs: dict[str, list[str]]
    job_id: str | None
    status: ItemStatus
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
        return self.counts.get(ItemStatus.COMPLETED, 0)

    @property
    def failed(self) -> int:
        """Items failed."""
        return self.counts.get(ItemStatus.FAILED, 0)

    @property
    def invalid(self) -> int:
        """Items refused before sending."""
        return self.counts.get(ItemStatus.INVALID, 0)

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
