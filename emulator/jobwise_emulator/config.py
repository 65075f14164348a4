"""The emulator's options: latency, seeded faults, realism profiles, auth."""

from __future__ import annotations

import math
from dataclasses import dataclass

from jobwise_emulator.latency import Latency, parse_latency_spec

IDEMPOTENCY_MODES = ("ignore", "honour")
DEFAULT_LATENCY = (0.2, 1.0)
# dev.writer.com api-reference/rate-limits: 400 requests per minute (per key).
WRITER_RPM = 400.0
# Not documented by Writer: an LLM agent's job, median 20 s, p99 3 minutes.
WRITER_LATENCY = ("lognormal", 20.0, 180.0)
# osapi-io/osapi configs/osapi.yaml: the job-queue key-value bucket has ttl: 1h.
OSAPI_TTL = 3600.0
# osapi-io/osapi cba2e9f (April 2026): every route under /api; older servers serve /job.
OSAPI_PREFIX = "/api"


@dataclass(frozen=True)
class Profile:
    """What a profile gives each field of :class:`EmulatorConfig` left None."""

    latency: tuple[str, float, float]
    writer_rpm: float | None
    retry_after: bool
    osapi_prefix: str
    ttl: float | None


PROFILES = {
    # The public facts; Retry-After is documented by no Writer page: the harder reading.
    "writer": Profile(WRITER_LATENCY, WRITER_RPM, False, OSAPI_PREFIX, OSAPI_TTL),
    # The emulator before issue 30, for tests and demos: short jobs, no limit, 429s that
    # say when to come back, osapi at /job, jobs kept forever.
    "fast": Profile(("uniform", *DEFAULT_LATENCY), None, True, "", None),
}
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
    ``profile`` fills every field left None: "writer" (the default) the public facts, "fast"
    the emulator's defaults before issue 30 (see :data:`PROFILES`). ``latency`` is MIN-MAX, or
    (median, p99) when ``latency_kind`` is "lognormal". ``writer_rpm`` limits each key's
    Writer requests per minute (a sliding window). ``retry_after`` puts ``Retry-After`` and
    ``retry-after-ms`` on Writer's 429s. ``osapi_prefix`` is "/api" or "" (``/job``), ``ttl``
    the seconds an osapi job lives. ``rtt`` is a network's round trip on the wall clock, never
    divided by ``speed``: each API request waits half of it before the server reads it and
    half before its answer leaves.
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
    profile: str = "writer"
    writer_rpm: float | None = None
    retry_after: bool | None = None
    capacity: int | None = None
    speed: float = 1.0
    osapi_prefix: str | None = None
    ttl: float | None = None
    rtt: float = 0.0

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}; got {self.profile!r}")
        profile = PROFILES[self.profile]
        if self.latency is None:
            kind, low, high = profile.latency
            object.__setattr__(self, "latency", (low, high))
            object.__setattr__(self, "latency_kind", kind)
        for name in ("writer_rpm", "retry_after", "osapi_prefix", "ttl"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, getattr(profile, name))
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
