"""The emulator's own routes: stats that show the profile."""

from __future__ import annotations

import httpx
import pytest
from jobwise_emulator import run_emulator


def test_stats_expose_the_latency_percentiles_and_limits() -> None:
    with run_emulator(profile="writer", speed=60) as server:
        profile = httpx.get(f"{server.base_url}/_emulator/stats").json()["profile"]
    assert profile["name"] == "writer" and profile["speed"] == 60
    assert profile["writer_rpm"] == 400 * 60
    assert profile["latency"]["seconds"]["p99"] == pytest.approx(3.0)
