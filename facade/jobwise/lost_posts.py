"""A POST whose answer was lost: whether the server may have acted on it. One rule for both
APIs' lost POSTs, a Writer create and an osapi retry: neither server is known to honour
Idempotency-Key, so a POST that may be stored is settled from the listing, never re-sent
blindly, and one certainly not stored is sent again."""

from __future__ import annotations

from jobwise.errors import APIConnectionError, APIStatusError, InvalidResponseError, JobwiseError
from jobwise.retries import NOT_ACTED_ON

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
