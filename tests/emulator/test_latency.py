"""How long a job takes: the writer profile's long tail."""

from __future__ import annotations

import random

import pytest
from jobwise_emulator import EmulatorConfig


def test_writer_profile_has_writers_limits_and_a_long_tailed_latency() -> None:
    config = EmulatorConfig(profile="writer")
    assert config.writer_rpm == 400 and config.latency_kind == "lognormal"
    tail = config.job_latency
    assert tail.quantile(0.5) == pytest.approx(20) and tail.quantile(0.99) == pytest.approx(180)
    rng = random.Random(1)
    draws = sorted(tail.draw(rng) for _ in range(20000))
    assert draws[10000] == pytest.approx(20, rel=0.05)
    assert draws[19800] == pytest.approx(180, rel=0.15)
    assert draws[-1] <= tail.percentiles()["max"]
    fast = EmulatorConfig(profile="writer", speed=60).job_latency.percentiles()
    assert fast["p50"] == pytest.approx(20 / 60) and fast["p99"] == pytest.approx(3.0)
    assert EmulatorConfig(profile="writer", latency=(0, 0)).job_latency.high == 0
