"""A POST whose answer was lost, settled one way for both APIs (a Writer create and an osapi
retry): whether the server may have acted on it; the window, on the server's clock, in which it
may have made its job; the candidates a listing shows in that window; and the settlement:
adopted, sent again, or ambiguous. Neither server is known to honour Idempotency-Key, so a POST
that may be stored is settled from the listing, never re-sent blindly, and one certainly not
stored is sent again. The callers only say how to read their API's listing (Writer's jobs carry
no inputs, so any job no item holds is a candidate; osapi's carry their operation)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import Enum, auto
from typing import NamedTuple

from jobwise.errors import APIConnectionError, APIStatusError, InvalidResponseError, JobwiseError
from jobwise.retries import NOT_ACTED_ON
from jobwise.times import parse_time

# The windows in which a lost POST may have made its job, on the server's clock.

# How far apart the client's and the server's clocks may be before any create has answered
# (after one has, its created_at bounds the offset) and before any answer's Date header has
# (see jobwise.server_clock). A wide window holds other batches' jobs.
UNKNOWN_CLOCK_SKEW = 120.0

# The latest a killed run's unanswered create may still have been stored: a request timeout.
UNANSWERED_WINDOW = 60.0

# The offset bounds already hold the uncertainty of each answered create; the margin covers
# the resolution of the server's timestamps (whole seconds where they carry no fraction).
FINE_MARGIN, COARSE_MARGIN = 0.05, 1.0

OSAPI_SKEW = 2.0
"""Seconds added on each side of an osapi retry's window: osapi stamps ``created`` in whole
seconds (time.RFC3339 in internal/job/client/jobs.go CreateJob), and its Date header too."""


def may_be_stored(exc: JobwiseError) -> bool:
    """Whether a POST that failed with ``exc`` may still have been acted on: no answer after it
    was sent, a 5xx but those that say it was not acted on (osapi's CreateJob stores the job
    before it publishes, and a failed publish answers 500), or a 2xx whose body is garbled."""
    if isinstance(exc, APIConnectionError):
        return exc.may_have_arrived
    if isinstance(exc, APIStatusError):
        return exc.status_code >= 500 and exc.status_code not in NOT_ACTED_ON
    return isinstance(exc, InvalidResponseError)  # a 2xx with a garbled body: it was stored


def not_stored(exc: JobwiseError) -> bool:
    """Whether a POST that failed with ``exc`` certainly was not acted on (it never arrived, or
    was refused before it was)."""
    if isinstance(exc, APIConnectionError):
        return not exc.may_have_arrived
    return isinstance(exc, APIStatusError) and exc.status_code in NOT_ACTED_ON


class Window(NamedTuple):
    """When, on the server's clock (Unix seconds), a lost POST may have made its job."""

    opens: float
    closes: float

    @classmethod
    def back_from(cls, server_date: str | None, elapsed: float, wall: float) -> Window:
        """``elapsed`` seconds back from the server's Date header (``wall``, the client's wall
        clock, without one), widened by :data:`OSAPI_SKEW` on each side."""
        try:
            now = parse_time(server_date)
        except ValueError:
            now = None
        end = wall if now is None else now.timestamp()
        return cls(end - elapsed - OSAPI_SKEW, end + OSAPI_SKEW)

    def holds(self, created: float | None) -> bool:
        """Whether a job created at ``created`` may be the POST's (an undated one may)."""
        return created is None or self.opens <= created <= self.closes


class Listed(NamedTuple):
    """One job of a listing, as a lost POST's settlement reads it."""

    id: str
    created: float | None
    """On the server's clock, in Unix seconds (None: the job's timestamp cannot be read)."""
    candidate: bool
    """Whether the job may be the lost POST's: not one the client knows (made, held or seen
    before it sent), and, where jobs carry their request (osapi's operation), its request."""


class CandidateScan:
    """The jobs lost POSTs may have made: the candidates a listing shows created since the
    windows open. osapi documents its listing newest first; Writer documents no order. So the
    scan ends at the first page wholly older than the windows only while every page has come
    newest first; once one has not, every page is read."""

    def __init__(self, opens: Callable[[], float]) -> None:
        self._opens = opens
        self._since: float | None = None
        self.found: dict[str, float | None] = {}
        """The candidates seen, and when each was created (pages shift: a job may show twice)."""
        self._newest_first = True
        self._oldest_seen = float("inf")

    def read(self, page: Sequence[Listed]) -> bool:
        """Take one page; returns whether no later page can hold a candidate. ``opens()`` is
        read at the first page: its answer may have dated the server's clock."""
        if self._since is None:
            self._since = self._opens()
        since = self._since
        for job in page:
            if job.candidate and (job.created is None or job.created >= since):
                self.found[job.id] = job.created
        stamps = [job.created for job in page if job.created is not None]
        if not stamps:
            return False
        # Whole-second timestamps tie and may seem out of order by up to their resolution.
        newest = max(stamps)
        self._newest_first = self._newest_first and newest <= self._oldest_seen + COARSE_MARGIN
        self._oldest_seen = min(self._oldest_seen, *stamps)
        return self._newest_first and newest < since

    def within(self, window: Window) -> list[str]:
        """The candidates created in ``window``, newest first as listed."""
        return [job_id for job_id, created in self.found.items() if window.holds(created)]


class Settlement(Enum):
    """What becomes of a lost POST once its candidates are known."""

    ADOPT = auto()
    """Its one candidate is its job."""
    RESEND = auto()
    """The listing shows no job it made: it was not stored; send it again."""
    AMBIGUOUS = auto()
    """Several jobs may be its own (or one it may not take alone): the caller decides."""


def settle(
    candidates: Sequence[str], *, claims: Mapping[str, int] | None = None, may_adopt: bool = True
) -> Settlement:
    """The settlement of a lost POST whose window holds ``candidates``: none, it is sent again;
    one that no other lost POST's window holds (``claims``: how many hold each job), adopted
    where ``may_adopt`` (no other client is known to create jobs there); else it is ambiguous,
    never guessed."""
    if not candidates:
        return Settlement.RESEND
    if may_adopt and len(candidates) == 1 and (claims is None or claims[candidates[0]] == 1):
        return Settlement.ADOPT
    return Settlement.AMBIGUOUS
