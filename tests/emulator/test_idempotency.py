"""Idempotency-Key: honoured (replayed, echoed, another body refused) or ignored by default."""

from __future__ import annotations

import httpx
from jobwise_emulator import run_emulator

from .support import AUTH, inputs, is_writer_error


def test_honoured_idempotency_key_replays_echoes_and_refuses_another_body(
    http: httpx.Client,
) -> None:
    before = http.get("/_emulator/stats").json()
    assert before["idempotency"] == "honour"
    headers = {"Idempotency-Key": "key-1"}
    first = http.post("/v1/applications/app-i/jobs", json=inputs("a"), headers=headers)
    second = http.post("/v1/applications/app-i/jobs", json=inputs("a"), headers=headers)
    other = http.post("/v1/applications/app-i/jobs", json=inputs("b"), headers=headers)
    assert first.json() == second.json()
    assert all(r.headers["Idempotency-Key"] == "key-1" for r in (first, second, other))
    assert "Idempotency-Key" not in http.get("/v1/applications/app-i/jobs").headers
    assert other.status_code == 422 and is_writer_error(other.json())
    after = http.get("/_emulator/stats").json()
    assert after["jobs_created"] - before["jobs_created"] == 1
    assert after["duplicates_prevented"] - before["duplicates_prevented"] == 1
    assert after["requests"]["POST /v1/applications/{application_id}/jobs"]["422"] >= 1


def test_idempotency_key_is_ignored_by_default() -> None:
    headers = {**AUTH, "Idempotency-Key": "same"}
    with run_emulator(profile="fast", latency=(0, 0)) as server:
        url = f"{server.base_url}/v1/applications/ign/jobs"
        answers = [httpx.post(url, json=inputs("a"), headers=headers) for _ in range(3)]
        stats = httpx.get(f"{server.base_url}/_emulator/stats").json()
    assert len({a.json()["id"] for a in answers}) == 3
    assert all("Idempotency-Key" not in a.headers for a in answers)
    assert stats["jobs_created"] == 3 and stats["duplicates_prevented"] == 0
    assert stats["idempotency"] == "ignore"
