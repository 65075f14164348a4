"""How long a job takes: uniform between two bounds, or long-tailed like an LLM agent's."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from statistics import NormalDist

Z99 = NormalDist().inv_cdf(0.99)
# A lognormal has no maximum; draws stop at this quantile so every job finishes.
TAIL_CAP_QUANTILE = 0.9999
PERCENTILES = (50, 90, 95, 99)


@dataclass(frozen=True)
class Latency:
    """Job durations in seconds, already divided by the speed.

    ``uniform``: MIN-MAX. ``lognormal``: ``low`` is the median, ``high`` the 99th percentile.
    """

    kind: str
    low: float
    high: float

    def __post_init__(self) -> None:
        if self.kind not in ("uniform", "lognormal"):
            raise ValueError(f"latency kind must be uniform or lognormal; got {self.kind!r}")
        if not (0 <= self.low <= self.high) or not math.isfinite(self.high):
            raise ValueError(f"latency must be 0 <= MIN <= MAX; got {self.low}-{self.high}")
        if self.kind == "lognormal" and not self.low > 0:
            raise ValueError(f"a lognormal latency needs a median > 0; got {self.low}")

    @property
    def _sigma(self) -> float:
        return math.log(self.high / self.low) / Z99

    def quantile(self, q: float) -> float:
        """The duration below which a share ``q`` of jobs finish."""
        if self.kind == "uniform":
            return self.low + q * (self.high - self.low)
        return self.low * math.exp(self._sigma * NormalDist().inv_cdf(q))

    def draw(self, rng: random.Random) -> float:
        """One job's duration."""
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high)
        cap = self.quantile(TAIL_CAP_QUANTILE)
        return min(self.low * math.exp(self._sigma * rng.gauss(0.0, 1.0)), cap)

    def percentiles(self) -> dict[str, float]:
        """``{"p50": s, "p90": s, "p95": s, "p99": s, "max": s}``, for a benchmark's floor."""
        out = {f"p{p}": self.quantile(p / 100) for p in PERCENTILES}
        out["max"] = self.high if self.kind == "uniform" else self.quantile(TAIL_CAP_QUANTILE)
        return out


def parse_latency_spec(text: str) -> tuple[str, float, float]:
    """``"MIN-MAX"``, one number, or ``"lognormal:MEDIAN:P99"`` -> (kind, low, high)."""
    if text.startswith("lognormal:"):
        _, _, rest = text.partition(":")
        median, sep, p99 = rest.partition(":")
        try:
            bounds = (float(median), float(p99))
        except ValueError:
            raise ValueError(
                f"latency must be lognormal:MEDIAN:P99 in seconds, e.g. lognormal:20:180; "
                f"got {text!r}"
            ) from None
        if not sep:
            raise ValueError(f"latency lognormal needs MEDIAN and P99; got {text!r}")
        return "lognormal", *bounds
    low, sep, high = text.partition("-")
    try:
        return "uniform", float(low), float(high) if sep else float(low)
    except ValueError:
        raise ValueError(
            f"latency must be MIN-MAX in seconds (e.g. 0.2-1.0) or lognormal:MEDIAN:P99; "
            f"got {text!r}"
        ) from None
