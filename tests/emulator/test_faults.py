"""The seeded faults of the options: 5xx, resets, slow answers, round trips, random 429s, and
what a faulted answer still carries."""

from __future__ import annotations

import time

import httpx
from jobwise_emulator import run_emulator

from ..virtual import emulated, in_virtual_time
from .support import AUTH, inputs, run_requests


def test_osapi_never_answers_429() -> None:
    with run_emulator(profile="fast", latency=(0, 0), throttle_rate=1.0, rate_limit=1) as server:
        answers = [httpx.get(f"{server.base_url}/job", headers=AUTH) for _ in range(5)]
    assert {a.status_code for a in answers} == {200}


def test_honour_mode_echoes_the_key_on_faults_too() -> None:
    headers = {**AUTH, "Idempotency-Key": "k-9"}
    with run_emulator(
        profile="fast", latency=(0, 0), error_rate=1.0, idempotency="honour"
    ) as server:
        answer = httpx.post(
            f"{server.base_url}/v1/applications/e/jobs", json=inputs("a"), headers=headers
        )
    assert answer.status_code in {500, 503} and answer.headers["Idempotency-Key"] == "k-9"


def test_error_rate_answers_500_and_503() -> None:
    with run_emulator(profile="fast", error_rate=1.0, latency=(0, 0)) as server:
        answers = run_requests(server, 20)
    statuses = {r.status_code for r in answers if isinstance(r, httpx.Response)}
    assert statuses == {500, 503}


def test_reset_rate_drops_connections_before_and_after_storing() -> None:
    with run_emulator(profile="fast", reset_rate=1.0, latency=(0, 0), seed=3) as server:
        answers = run_requests(server, 20)
        stats = httpx.get(f"{server.base_url}/_emulator/stats").json()
    assert all(isinstance(a, httpx.TransportError) for a in answers)
    assert stats["faults"]["reset_before"] + stats["faults"]["reset_after"] == 20
    assert stats["jobs_created"] == stats["faults"]["reset_after"] > 0


def test_slow_rate_delays_answers() -> None:
    with run_emulator(profile="fast", slow_rate=1.0, slow_seconds=0.3, latency=(0, 0)) as server:
        started = time.monotonic()
        run_requests(server, 2)
    assert time.monotonic() - started >= 0.6


@in_virtual_time
async def test_rtt_delays_every_api_answer_by_a_round_trip_not_scaled_by_speed() -> None:
    async with emulated(rtt=0.2, speed=60, latency=(0, 0)) as server, server.http() as client:
        started = server.clock()
        answers = [
            await client.post("/v1/applications/f/jobs", json=inputs(f"x{i}"), headers=AUTH)
            for i in range(3)
        ]
        took = server.clock() - started
        started = server.clock()
        await client.get("/_emulator/stats")
        admin = server.clock() - started
    assert all(isinstance(a, httpx.Response) and a.status_code == 202 for a in answers)
    assert took >= 0.6
    assert admin < 0.1


def test_faults_are_reproducible_with_a_seed() -> None:
    def statuses(seed: int) -> list[int]:
        with run_emulator(profile="fast", error_rate=0.5, latency=(0, 0), seed=seed) as server:
            return [
                r.status_code for r in run_requests(server, 30) if isinstance(r, httpx.Response)
            ]

    assert statuses(7) == statuses(7)
    assert statuses(7) != statuses(8)


def test_throttle_rate_answers_429_at_random() -> None:
    with run_emulator(profile="fast", throttle_rate=1.0, latency=(0, 0)) as server:
        answers = run_requests(server, 5)
    assert all(isinstance(a, httpx.Response) and a.status_code == 429 for a in answers)
    first = answers[0]
    assert isinstance(first, httpx.Response) and first.headers["Retry-After"] == "1"


def test_retry_after_is_sent_on_every_429_when_asked() -> None:
    with run_emulator(writer_rpm=1, retry_after=True, latency=(0, 0)) as server:
        url = f"{server.base_url}/v1/applications/rl/jobs"
        limited = [httpx.get(url, headers=AUTH) for _ in range(2)][-1]
    assert limited.status_code == 429
    assert 55 <= int(limited.headers["Retry-After"]) <= 60
    assert 55_000 <= int(limited.headers["retry-after-ms"]) <= 60_000
    with run_emulator(throttle_rate=1.0, latency=(0, 0)) as server:
        bare = httpx.get(f"{server.base_url}/v1/applications/rl/jobs", headers=AUTH)
    assert bare.status_code == 429 and "retry-after" not in bare.headers
