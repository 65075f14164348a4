"""The emulator's options: latency, seeded faults, auth."""

from __future__ import annotations

import math
from dataclasses import dataclass


def parse_latency(text: str) -> tuple[float, float]:
    """Parse ``"MIN-MAX"`` (or one number) into seconds, e.g. ``"0.2-1.0"``."""
    low, sep, high = text.partition("-")
    try:
        bounds = (float(low), float(high) if sep else float(low))
    except ValueError:
        raise ValueError(
            f"latency must be MIN-MAX in seconds, e.g. 0.2-1.0; got {text!r}"
        ) from None
    return bounds


@dataclass(frozen=True)
class EmulatorConfig:
    """What the emulator does; every random choice comes from ``seed``."""

    api_key: str | None = None
    latency: tuple[float, float] = (0.2, 1.0)
    fail_rate: float = 0.0
    error_rate: float = 0.0
    rate_limit: float | None = None
    throttle_rate: float = 0.0
    reset_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 5.0
    seed: int = 0
    idempotency: str = "ignore"
    """``ignore`` (what Writer and osapi are known to do) or ``honour``: replay a keyed POST's
    first answer, echoing the key on every answer to a keyed request, as Stripe does."""
    hold_create: float = 0.0
    """Seconds a create's answer is held after its job is stored (to place a kill there)."""

    def __post_init__(self) -> None:
        low, high = self.latency
        if not (0 <= low <= high) or not math.isfinite(high):
            raise ValueError(f"latency must be 0 <= MIN <= MAX; got {low}-{high}")
        for name in ("fail_rate", "error_rate", "throttle_rate", "reset_rate", "slow_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1]; got {value}")
        if self.rate_limit is not None and not self.rate_limit > 0:
            raise ValueError(f"rate_limit must be > 0 requests per second; got {self.rate_limit}")
        if self.slow_seconds < 0:
            raise ValueError(f"slow_seconds must be >= 0; got {self.slow_seconds}")
        if self.idempotency not in ("ignore", "honour"):
            raise ValueError(f"idempotency must be ignore or honour; got {self.idempotency!r}")
        if self.hold_create < 0:
            raise ValueError(f"hold_create must be >= 0; got {self.hold_create}")
        if self.api_key == "":
            raise ValueError("api_key must not be empty (omit it to accept any token)")
