"""The emulator's options: bad ones refused, speed, and the defaults of each profile."""

from __future__ import annotations

import httpx
import pytest
from jobwise_emulator import EmulatorConfig, run_emulator
from jobwise_emulator.cli import build_parser, config_from_args
from jobwise_emulator.osapi_store import OsapiStore

from .support import AUTH, FakeClock, one, statuses, writer_store


def test_config_refuses_bad_options() -> None:
    with pytest.raises(ValueError, match="fail_rate"):
        EmulatorConfig(fail_rate=2)
    with pytest.raises(ValueError, match="latency"):
        EmulatorConfig(latency=(2, 1))
    with pytest.raises(ValueError, match="rate_limit"):
        EmulatorConfig(rate_limit=0)
    with pytest.raises(ValueError, match="idempotency"):
        EmulatorConfig(idempotency="maybe")
    with pytest.raises(ValueError, match="speed"):
        EmulatorConfig(speed=0)
    with pytest.raises(ValueError, match="capacity"):
        EmulatorConfig(capacity=0)
    with pytest.raises(ValueError, match="osapi_prefix"):
        EmulatorConfig(osapi_prefix="/v2")
    with pytest.raises(ValueError, match="profile"):
        EmulatorConfig(profile="openai")


def test_speed_divides_durations_and_multiplies_rates() -> None:
    store, clock = writer_store(latency=(10.0, 10.0), speed=100)
    job = store.create("app", one("fast"))
    clock.t += 0.099
    assert statuses(store, [job]) == ["in_progress"]
    clock.t += 0.002
    assert statuses(store, [job]) == ["completed"]
    config = EmulatorConfig(profile="fast", speed=60, rate_limit=5, hold_create=6, slow_seconds=3)
    assert config.per_second(5) == 300 and config.seconds(6) == 0.1


def test_a_default_emulator_limits_writer_at_400_a_minute_without_retry_after() -> None:
    """The old default had no limit, and every 429 said when to come back: Writer documents
    400 requests a minute and no Retry-After."""
    with run_emulator() as server, httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        answers = [http.get("/v1/applications/rl/jobs") for _ in range(401)]
        profile = http.get("/_emulator/stats").json()["profile"]
    assert [a.status_code for a in answers] == [200] * 400 + [429]
    assert answers[-1].json()["tpe"] == "TooManyRequests"
    assert {"retry-after", "retry-after-ms"}.isdisjoint(answers[-1].headers)
    assert profile["name"] == "writer" and profile["writer_rpm"] == 400
    assert profile["latency"]["kind"] == "lognormal"


def test_a_default_emulator_serves_osapi_under_api_and_expires_jobs_after_an_hour() -> None:
    """The old default served /job and kept jobs forever; osapi has served /api since
    cba2e9f and its shipped bucket expires jobs after 1 h."""
    with run_emulator() as server, httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        job_id = http.post("/_emulator/osapi/jobs").json()["job_ids"][0]
        assert http.get(f"/api/job/{job_id}").status_code == 200
        assert http.get(f"/job/{job_id}").status_code == 404
    clock = FakeClock()
    store = OsapiStore(EmulatorConfig(latency=(0, 0)), clock)
    job = store.create({"type": "node.hostname.get"}, ["agent-01"])
    clock.t += 3599.9
    assert store.get(job.id) is job
    clock.t += 0.2
    assert store.get(job.id) is None


def test_the_fast_profile_keeps_the_old_defaults() -> None:
    config = EmulatorConfig(profile="fast")
    assert (config.latency_kind, config.latency, config.writer_rpm) == ("uniform", (0.2, 1.0), None)
    assert (config.retry_after, config.osapi_prefix, config.ttl) == (True, "", None)
    mixed = EmulatorConfig(profile="fast", osapi_prefix="/api", ttl=60, retry_after=False)
    assert (mixed.osapi_prefix, mixed.ttl, mixed.retry_after) == ("/api", 60, False)
    old = config_from_args(build_parser().parse_args(["--profile", "fast", "--osapi-prefix", ""]))
    assert (old.osapi_prefix, old.writer_rpm, old.retry_after) == ("", None, True)
    sent = config_from_args(build_parser().parse_args(["--retry-after", "--ttl", "5"]))
    assert (sent.profile, sent.retry_after, sent.ttl, sent.writer_rpm) == ("writer", True, 5, 400)
