"""Errors in each API's own shape: unknown jobs, a wrong API key."""

from __future__ import annotations

import httpx
from jobwise_emulator import run_emulator

from .support import MISSING, is_writer_error


def test_unknown_jobs_answer_404(http: httpx.Client) -> None:
    assert http.get("/v1/applications/jobs/nope").json()["tpe"] == "NotFound"
    assert is_writer_error(http.post("/v1/applications/jobs/nope/retry").json())
    assert http.get(f"/job/{MISSING}").json() == {"error": f"job not found: {MISSING}"}
    assert http.delete(f"/job/{MISSING}").status_code == 404


def test_api_key_option_answers_401_in_each_shape() -> None:
    with run_emulator(profile="fast", api_key="right", latency=(0, 0)) as server:
        wrong = {"Authorization": "Bearer wrong"}
        writer = httpx.get(f"{server.base_url}/v1/applications/a/jobs", headers=wrong)
        osapi = httpx.get(f"{server.base_url}/job")
        right = httpx.get(f"{server.base_url}/job", headers={"Authorization": "Bearer right"})
    assert writer.status_code == 401 and is_writer_error(writer.json())
    assert writer.json()["tpe"] == "Unauthorized"
    assert osapi.status_code == 401 and osapi.json() == {"error": "Bearer token required"}
    assert right.status_code == 200
