"""schemathesis drives the emulator from openapi.yaml: no server error, no answer off the spec."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from jobwise_emulator import EmulatorServer

from ..contract import SPEC_PATH
from ..recording import TOKEN

schema = schemathesis.openapi.from_path(str(SPEC_PATH))


@pytest.fixture(scope="module")
def fuzzed() -> object:
    from jobwise_emulator import run_emulator

    # Honour mode: a malformed Idempotency-Key is refused only where the key is honoured.
    with run_emulator(
        profile="fast", api_key=TOKEN, latency=(0.01, 0.05), seed=31, idempotency="honour"
    ) as server:
        yield server


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_emulator_conforms_to_openapi(case: schemathesis.Case, fuzzed: EmulatorServer) -> None:
    case.call_and_validate(base_url=fuzzed.base_url, headers={"Authorization": f"Bearer {TOKEN}"})
