"""Writer jobs in the store: failed by rate, run k at a time per application, stuck, made up
by the million in constant memory."""

from __future__ import annotations

import zlib

import httpx
from jobwise_emulator import run_emulator

from .support import AUTH, inputs, one, statuses, wait_final, writer_store


def test_fail_rate_fails_jobs() -> None:
    with (
        run_emulator(profile="fast", fail_rate=1.0, latency=(0, 0)) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH) as client,
    ):
        job = client.post("/v1/applications/f/jobs", json=inputs("fine")).json()
        final = wait_final(client, f"/v1/applications/jobs/{job['id']}", {"failed"})
    assert final["error"]


def test_seeded_app_lists_made_up_jobs_in_constant_memory(http: httpx.Client) -> None:
    seeded = http.post(
        "/_emulator/writer/seed", json={"application_id": "many", "count": 1_000_000}
    )
    assert seeded.status_code == 201
    page = http.get("/v1/applications/many/jobs", params={"offset": 999_998, "limit": 5}).json()
    assert page["totalCount"] == 1_000_000
    tag = f"{zlib.crc32(b'many'):08x}"
    assert [job["id"] for job in page["result"]] == [
        f"{tag}-0000-4000-8000-000000000001",
        f"{tag}-0000-4000-8000-000000000000",
    ]
    assert (
        http.get("/v1/applications/many/jobs", params={"status": "failed"}).json()["result"] == []
    )


def test_capacity_runs_k_jobs_per_application_and_queues_the_rest() -> None:
    store, clock = writer_store(latency=(1.0, 1.0), capacity=2)
    jobs = [store.create("app", one(f"p{n}")) for n in range(5)]
    other = store.create("other-app", one("x"))
    clock.t += 1.01
    assert statuses(store, jobs) == ["completed"] * 2 + ["in_progress"] * 3
    assert other.status == "completed"
    clock.t += 1.0
    assert statuses(store, jobs) == ["completed"] * 4 + ["in_progress"]
    clock.t += 1.0
    assert statuses(store, jobs) == ["completed"] * 5


def test_stuck_jobs_never_finish_and_hold_their_slot() -> None:
    store, clock = writer_store(latency=(0.1, 0.1), capacity=1)
    stuck = store.create("app", one("stuck here"))
    behind = store.create("app", one("fine"))
    clock.t += 10**6
    assert statuses(store, [stuck, behind]) == ["in_progress", "in_progress"]
    rated, clock = writer_store(latency=(0.1, 0.1), stuck_rate=1.0)
    job = rated.create("app", one("fine"))
    clock.t += 10**6
    assert statuses(rated, [job]) == ["in_progress"]
