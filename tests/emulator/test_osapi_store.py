"""osapi jobs as osapi keeps them: a broadcast's result, deleted jobs still counted, jobs
expiring."""

from __future__ import annotations

import time

import httpx
from jobwise_emulator import run_emulator

from .support import AUTH, wait_final


def test_osapi_broadcast_has_no_result_and_a_deleted_job_still_counts() -> None:
    with (
        run_emulator(profile="fast", latency=(0, 0)) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH) as http,
    ):
        body = {"hosts": ["a", "b"], "operation": {"type": "file.deploy"}}
        job_id = http.post("/_emulator/osapi/jobs", json=body).json()["job_ids"][0]
        detail = wait_final(http, f"/job/{job_id}", {"completed"})
        assert "result" not in detail and detail["changed"] is True
        assert detail["responses"]["a"] == {
            "status": "completed",
            "hostname": "a",
            "changed": True,
            "data": {"hostname": "a"},
        }
        assert http.get("/job").json()["items"][0]["changed"] is None
        assert http.delete(f"/job/{job_id}").status_code == 204
        listed = http.get("/job").json()
    assert listed["total_items"] == 0 and listed["items"] == []
    assert listed["status_counts"]["completed"] == 1


def test_osapi_ttl_expires_jobs() -> None:
    with (
        run_emulator(profile="fast", latency=(0, 0), ttl=0.3) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH) as http,
    ):
        job_id = http.post("/_emulator/osapi/jobs").json()["job_ids"][0]
        assert http.get(f"/job/{job_id}").status_code == 200
        time.sleep(0.4)
        assert http.get(f"/job/{job_id}").status_code == 404
        assert http.get("/job").json()["total_items"] == 0
