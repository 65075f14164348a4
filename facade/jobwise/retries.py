"""Retries in one place: httpx transports that re-send failed attempts below the generated code.

What is retried, and why it is safe:

* connection errors, 408, 429 and 5xx answers, with exponential backoff and full jitter;
  ``retry-after-ms`` and ``Retry-After`` (seconds or an HTTP date) are honoured, capped;
* GET and DELETE always (they are idempotent);
* a POST (create, retry) that may have been stored (a timeout or reset after sending, a 500,
  502 or 504) only when the server honours its ``Idempotency-Key``: neither Writer nor osapi is
  known to, so jobwise trusts a key only once the server echoes it back on an answer (as Stripe
  does), or when the user says ``idempotency="server"``. Otherwise a POST is re-sent only when
  it certainly was not stored: it never left (a connect error of a transport jobwise knows,
  see :func:`never_sent`) or was refused (408, 429, 503);
* never past the call's end (the policy's ``deadline``, or a call's own ``timeout`` when
  shorter: attempts are cut to it too, see :mod:`jobwise.attempts`), and never more than
  ``max_retries`` times.

Each attempt goes through the inner transport, so recorders such as vcrpy see every one.
"""

from __future__ import annotations

import logging
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpcore
import httpx

from jobwise.signals import TransportSignals
from jobwise.times import parse_time

log = logging.getLogger("jobwise")

_REPLAY_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
CONGESTION = frozenset({429, 503})
"""Answers that tell a client to slow down (reported to ``observer``)."""
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""The errors of a request that never left, when a transport jobwise knows raised them."""
NOT_ACTED_ON = frozenset({408, 429, 503})
"""Answers after which a request was not acted on: safe to send again, POST included."""
IDEMPOTENCY_MODES = ("auto", "server")
"""``auto``: trust an Idempotency-Key once the server echoes it; ``server``: trust it always."""
PAUSED_BELOW = "jobwise_paused_below"
"""A response extension the paced transport sets on every 429: its budget holds every request
until the pause it took ends (Retry-After's, or its own without one), so a retry without
Retry-After waits no backoff of its own. Both
waits, one after the other, held a serial batch's one create slot for up to half a second a
429 on top of the budget's pause (3,000 Writer-profile creates at speed 60: 1.45x the bound)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry one call."""

    max_retries: int = 4
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    deadline: float = 120.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.initial_backoff < 0 or self.max_backoff < 0:
            raise ValueError("RetryPolicy values must be >= 0")
        if not self.deadline > 0:
            raise ValueError("RetryPolicy.deadline must be > 0 (it bounds each call)")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max_backoff, initial * 2**attempt)]."""
        return rng.uniform(0, min(self.max_backoff, self.initial_backoff * 2**attempt))


def retryable_status(status: int) -> bool:
    """408, 429 and every 5xx."""
    return status in (408, 429) or status >= 500


def parse_retry_after(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds the server asked to wait: ``retry-after-ms``, else ``Retry-After`` (seconds, or
    an HTTP date read against the answer's own ``Date``)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parse_time(value)
    except ValueError:
        return None
    if when is None:
        return None
    if now is None:  # the server's own clock, where it dated its answer, not this machine's
        try:
            now = parse_time(headers.get("date")) or datetime.now(UTC)
        except ValueError:
            now = datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def never_sent(outcome: object) -> bool:
    """Whether a failed attempt certainly never left: a connect-class error of httpx's own
    transports (an httpcore cause) or of aiohttp's connector (an aiohttp cause: jobwise's
    :class:`~jobwise.transports.AiohttpTransport`, httpx-aiohttp's transport or client).

    The cause tells, not the class: any other transport's ConnectTimeout may follow a cut after
    sending (httpx-aiohttp maps every reset to one; a caller's transport may too), so a POST it
    failed may have been stored: settled, never re-sent blindly."""
    if not isinstance(outcome, NEVER_SENT):
        return False
    cause = outcome.__cause__
    if isinstance(cause, httpcore.ConnectError | httpcore.ConnectTimeout | httpcore.PoolTimeout):
        return True
    aiohttp = sys.modules.get("aiohttp")  # no aiohttp error exists before aiohttp is imported
    return aiohttp is not None and isinstance(
        cause, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError
    )


class Attempts:
    """The retry decisions for one request (no I/O: the transports sleep and send)."""

    def __init__(
        self,
        policy: RetryPolicy,
        request: httpx.Request,
        clock: Callable[[], float],
        rng: random.Random,
        ends: float | None = None,
        keys_trusted: bool = False,
    ) -> None:
        self.policy = policy
        self.request = request
        self.clock = clock
        self.rng = rng
        self.ends = clock() + policy.deadline if ends is None else ends
        self.retries = 0
        self.replay_safe = request.method in _REPLAY_SAFE_METHODS or (
            keys_trusted and "idempotency-key" in request.headers
        )

    def after_response(self, response: httpx.Response) -> float | None:
        """Seconds to wait before trying again, or None to hand the answer back."""
        status = response.status_code
        if not retryable_status(status) or not (self.replay_safe or status in NOT_ACTED_ON):
            return None
        asked = parse_retry_after(response.headers)
        if asked is not None and asked > self.policy.max_retry_after:
            return None
        if asked is not None:
            delay = asked
        elif response.extensions.get(PAUSED_BELOW):
            delay = 0.0
        else:
            delay = self.policy.backoff(self.retries, self.rng)
        return self._spend(delay, f"answer {status}")

    def after_error(self, exc: httpx.TransportError) -> float | None:
        """Seconds to wait before trying again, or None to let the error through."""
        if not (self.replay_safe or never_sent(exc)):
            return None
        return self._spend(self.policy.backoff(self.retries, self.rng), type(exc).__name__)

    def _spend(self, delay: float, reason: str) -> float | None:
        if self.retries >= self.policy.max_retries:
            return None
        if self.clock() + delay >= self.ends:
            return None
        self.retries += 1
        log.info(
            "jobwise: %s %s got %s; retry %d of %d in %.2f s",
            self.request.method,
            self.request.url.path,
            reason,
            self.retries,
            self.policy.max_retries,
            delay,
        )
        return delay


Outcome = httpx.Response | httpx.TransportError


class Retrying:
    """What both retry transports share: settings, the decision after each attempt, and the
    :class:`jobwise.signals.TransportSignals` the clients read (attempts, congestion, key trust)."""

    def __init__(
        self,
        policy: RetryPolicy,
        clock: Callable[[], float],
        rng: random.Random | None,
        signals: TransportSignals | None = None,
    ) -> None:
        self.policy = policy
        self.clock = clock
        self.rng = rng or random.Random()
        self.signals = signals or TransportSignals()

    def attempts(self, request: httpx.Request, ends: float) -> Attempts:
        """The retry decisions for one request whose call ends at ``ends`` (by ``clock``)."""
        return Attempts(self.policy, request, self.clock, self.rng, ends, self.signals.keys_trusted)

    def delay(self, attempts: Attempts, outcome: Outcome) -> float | None:
        """Seconds before the next attempt, or None when ``outcome`` is final."""
        if isinstance(outcome, httpx.TransportError):
            return attempts.after_error(outcome)
        if outcome.status_code in CONGESTION:
            self.signals.congested(outcome.status_code)
        return attempts.after_response(outcome)


def final(outcome: Outcome) -> httpx.Response:
    """The last outcome as the answer, or its error raised."""
    if isinstance(outcome, httpx.TransportError):
        raise outcome
    return outcome
