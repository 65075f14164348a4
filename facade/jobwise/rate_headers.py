"""A server's own account of its rate limit, read from one answer's headers (no I/O):
``RateLimit-Limit``/``-Remaining``/``-Reset`` (IETF draft; a quota policy ``;w=`` or
``RateLimit-Policy: ...;q=...;w=...`` gives the window, else the budget's window) and
``X-RateLimit-Limit``/``-Remaining``/``-Reset`` (a reset above 10**9 is an epoch time).
``Remaining: 0`` with a reset says how long every request waits."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx

MINUTE = 60.0
EPOCH_THRESHOLD = 1e9
"""A reset value above this is a Unix time, not a number of seconds."""

_SIGNS = (
    ("ratelimit-limit", "ratelimit-"),
    ("ratelimit-policy", "ratelimit-"),
    ("ratelimit", "ratelimit-"),
    ("ratelimit-remaining", "ratelimit-"),
    ("x-ratelimit-limit", "x-ratelimit-"),
    ("x-ratelimit-remaining", "x-ratelimit-"),
)
"""Headers whose presence says a server tells its limit, and the prefix of their family (each
name holds "ratelimit")."""


@dataclass(frozen=True)
class RateHeaders:
    """What one answer's headers said: the limit per minute, and the seconds until a spent
    allowance refills (None where they did not say)."""

    per_minute: float | None
    spent_for: float | None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.split(",")[0].split(";")[0].strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _param(value: str | None, name: str) -> float | None:
    if not value:
        return None
    found = re.search(rf"(?:^|[;,\s]){name}\s*=\s*([0-9.]+)", value)
    return _number(found.group(1)) if found else None


def read_rate_headers(
    headers: httpx.Headers, window: float, wallclock: Callable[[], float]
) -> RateHeaders | None:
    """The limit an answer's headers tell (``window``: seconds a limit counts when they do not
    say; ``wallclock`` reads an epoch reset), or None when they tell none."""
    # One pass over the raw names first: six lookups in httpx's headers on every answer cost
    # more than the rest of the budget's work on it.
    if not any(b"ratelimit" in name.lower() for name, _ in headers.raw):
        return None
    prefix = next((prefix for name, prefix in _SIGNS if name in headers), None)
    if prefix is None:
        return None
    policy = headers.get("ratelimit-policy") if prefix == "ratelimit-" else None
    combined = headers.get("ratelimit") if prefix == "ratelimit-" else None
    limit_text = headers.get(prefix + "limit")
    limit = _number(limit_text) or _param(policy, "q")
    window = _param(limit_text, "w") or _param(policy, "w") or window
    remaining = _number(headers.get(prefix + "remaining"))
    reset = _number(headers.get(prefix + "reset"))
    if combined:
        remaining = _param(combined, "r") if remaining is None else remaining
        reset = _param(combined, "t") if reset is None else reset
    per_minute = limit * MINUTE / window if limit and window > 0 else None
    spent_for = None
    if remaining is not None and remaining < 1 and reset is not None:
        spent_for = max(0.0, reset - wallclock()) if reset > EPOCH_THRESHOLD else reset
    return RateHeaders(per_minute, spent_for)
