"""The emulator's options: latency, seeded faults, realism profiles, auth."""

from __future__ import annotations

import math
from dataclasses import dataclass

from jobwise_emulator.latency import Latency, parse_latency_spec

IDEMPOTENCY_MODES = ("ignore", "honour")
PROFILES = ("writer",)
DEFAULT_LATENCY = (0.2, 1.0)
# dev.writer.com api-reference/rate-limits: 400 requests per minute (per key).
WRITER_RPM = 400.0
# Not documented by Writer: an LLM agent's job, median 20 s, p99 3 minutes.
WRITER_LATENCY = ("lognormal", 20.0, 180.0)
_PROBABILITIES = (
    "fail_rate",
    "error_rate",
    "throttle_rate",
    "reset_rate",
    "slow_rate",
    "stuck_rate",
    "garbage_get_rate",
    "garbage_list_rate",
    "hold_create_rate",
)


def parse_latency(text: str) -> tuple[float, float]:
    """Parse ``"MIN-MAX"`` (or one number) into seconds, e.g. ``"0.2-1.0"``."""
    kind, low, high = parse_latency_spec(text)
    if kind != "uniform":
        raise ValueError(f"expected MIN-MAX; got {text!r}")
    return low, high


@dataclass(frozen=True)
class EmulatorConfig:
    """What the emulator does; every random choice comes from ``seed``.

    Durations are in server seconds and rates per server second: ``speed`` divides the
    former and multiplies the latter on the wall clock (see :meth:`seconds`).
    ``latency`` is MIN-MAX, or (median, p99) when ``latency_kind`` is "lognormal"; None takes
    the profile's (else 0.2-1.0). ``writer_rpm`` limits each key's Writer requests per minute
    (a sliding window); None takes the profile's (else no limit). ``rtt`` is a network's round
    trip on the wall clock, never divided by ``speed``: each API request waits half of it before
    the server reads it and half before its answer leaves.
    """

    api_key: str | None = None
    latency: tuple[float, float] | None = None
    latency_kind: str = "uniform"
    fail_rate: float = 0.0
    error_rate: float = 0.0
    rate_limit: float | None = None
    throttle_rate: float = 0.0
    reset_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 5.0
    seed: int = 0
    idempotency: str = "ignore"
    stuck_rate: float = 0.0
    garbage_get_rate: float = 0.0
    garbage_list_rate: float = 0.0
    hold_create: float = 0.0
    hold_create_rate: float = 1.0
    profile: str | None = None
    writer_rpm: float | None = None
    capacity: int | None = None
    speed: float = 1.0
    osapi_prefix: str = ""
    ttl: float | None = None
    rtt: float = 0.0

    def __post_init__(self) -> None:
        if self.profile is not None and self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}; got {self.profile!r}")
        if self.latency is None:
            kind, low, high = (
                WRITER_LATENCY if self.profile == "writer" else ("uniform", *DEFAULT_LATENCY)
            )
            object.__setattr__(self, "latency", (low, high))
            object.__setattr__(self, "latency_kind", kind)
        if self.writer_rpm is None and self.profile == "writer":
            object.__setattr__(self, "writer_rpm", WRITER_RPM)
        if not (self.speed > 0 and math.isfinite(self.speed)):
            raise ValueError(f"speed must be > 0; got {self.speed}")
        self.job_latency  # noqa: B018 (validates the bounds)
        for name in _PROBABILITIES:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1]; got {value}")
        for name in ("rate_limit", "writer_rpm", "ttl"):
            value = getattr(self, name)
            if value is not None and not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be > 0; got {value}")
        for name in ("slow_seconds", "hold_create", "rtt"):
            if not 0 <= getattr(self, name) < math.inf:
                raise ValueError(f"{name} must be >= 0 seconds; got {getattr(self, name)}")
        if self.capacity is not None and self.capacity < 1:
            raise ValueError(
                f"capacity must be >= 1 running job per application; got {self.capacity}"
            )
        if self.idempotency not in IDEMPOTENCY_MODES:
            raise ValueError(f"idempotency must be ignore or honour; got {self.idempotency!r}")
        if self.osapi_prefix not in ("", "/api"):
            raise ValueError(f"osapi_prefix must be '' or '/api'; got {self.osapi_prefix!r}")
        if self.api_key == "":
            raise ValueError("api_key must not be empty (omit it to accept any token)")

    @property
    def job_latency(self) -> Latency:
        """Job durations on the wall clock (divided by ``speed``)."""
        low, high = self.latency or DEFAULT_LATENCY
        return Latency(self.latency_kind, low / self.speed, high / self.speed)

    def seconds(self, server_seconds: float) -> float:
        """A duration on the wall clock."""
        return server_seconds / self.speed

    def per_second(self, server_rate: float) -> float:
        """A rate on the wall clock."""
        return server_rate * self.speed
