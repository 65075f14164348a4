"""Shared fixtures: one emulator per test session on loopback, and per-test ones with faults."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from jobwise_emulator import EmulatorServer, run_emulator

from .recording import TOKEN, VCR_CONFIG, Target, target

# Folders whose tests run against a live emulator (sockets, subprocesses, signals).
LIVE_FOLDERS = ("live", "emulator")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under a live folder ``live``, so ``-m 'not live'`` runs the unit tests."""
    tests = Path(__file__).resolve().parent
    for item in items:
        parts = item.path.resolve().relative_to(tests).parts
        if parts[0] in LIVE_FOLDERS:
            item.add_marker(pytest.mark.live)


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, object]:
    """vcrpy settings: scrub credentials, match on method, path, query and body."""
    return dict(VCR_CONFIG)


@pytest.fixture
def api(record_mode: str) -> Iterator[Target]:
    """Where cassette tests send requests: nowhere in replay, an emulator when recording."""
    yield from target(record_mode)


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    """A fast emulator shared by the session: jobs finish in 50-150 ms; it honours
    Idempotency-Key (the facade's tests rely on replays; real servers ignore the key)."""
    with run_emulator(profile="fast", latency=(0.05, 0.15), seed=1, idempotency="honour") as server:
        yield server


@pytest.fixture
def http(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A plain httpx client authenticated against the shared emulator."""
    with httpx.Client(
        base_url=emulator.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ) as client:
        yield client
