"""Writer's jobs API as documented: create, retrieve, list in pages, retry only what failed; the
official SDK works against it unchanged."""

from __future__ import annotations

import time

import httpx
import pytest
from jobwise_emulator import EmulatorServer

from ..conftest import TOKEN
from .support import inputs, is_writer_error, wait_final


def test_writer_create_retrieve_complete_with_inputs_verbatim(http: httpx.Client) -> None:
    created = http.post("/v1/applications/app-a/jobs", json=inputs("Terra running shoe"))
    assert created.status_code == 202
    assert set(created.json()) == {"id", "status", "created_at"}
    assert created.json()["status"] == "in_progress"
    job = wait_final(http, f"/v1/applications/jobs/{created.json()['id']}", {"completed"})
    assert "Terra running shoe" in job["data"]["suggestion"]
    assert job["application_id"] == "app-a"
    assert job["error"] is None and job["completed_at"]


def test_writer_input_with_fail_fails_and_retry_is_only_for_failed(http: httpx.Client) -> None:
    ok = http.post("/v1/applications/app-b/jobs", json=inputs("fine")).json()
    bad = http.post("/v1/applications/app-b/jobs", json=inputs("please fail")).json()
    failed = wait_final(http, f"/v1/applications/jobs/{bad['id']}", {"failed", "completed"})
    assert failed["status"] == "failed" and "please fail" in failed["error"]
    wait_final(http, f"/v1/applications/jobs/{ok['id']}", {"completed"})
    refused = http.post(f"/v1/applications/jobs/{ok['id']}/retry")
    assert refused.status_code == 409 and is_writer_error(refused.json())
    assert refused.json()["tpe"] == "Conflict"
    retried = http.post(f"/v1/applications/jobs/{bad['id']}/retry")
    assert retried.status_code == 202
    assert retried.json()["id"] == bad["id"] and retried.json()["status"] == "in_progress"


def test_writer_list_is_newest_first_with_total_and_pagination(http: httpx.Client) -> None:
    ids = [
        http.post("/v1/applications/app-c/jobs", json=inputs(f"p{n}")).json()["id"]
        for n in range(5)
    ]
    page = http.get("/v1/applications/app-c/jobs", params={"limit": 2, "offset": 1}).json()
    assert [job["id"] for job in page["result"]] == [ids[3], ids[2]]
    assert page["totalCount"] == 5
    assert page["pagination"] == {"offset": 1, "limit": 2}
    past_end = http.get("/v1/applications/app-c/jobs", params={"offset": 50}).json()
    assert past_end["result"] == [] and past_end["totalCount"] == 5
    for job in page["result"]:
        wait_final(http, f"/v1/applications/jobs/{job['id']}", {"completed"})
    done = http.get("/v1/applications/app-c/jobs", params={"status": "completed"}).json()
    assert {job["id"] for job in done["result"]} >= {ids[3], ids[2]}


def test_writer_pages_hold_50_by_default_and_100_at_most(http: httpx.Client) -> None:
    http.post("/_emulator/writer/seed", json={"application_id": "pages", "count": 500})
    default = http.get("/v1/applications/pages/jobs").json()
    assert len(default["result"]) == 50 and default["pagination"] == {"offset": 0, "limit": 50}
    assert (
        len(http.get("/v1/applications/pages/jobs", params={"limit": 100}).json()["result"]) == 100
    )


def test_official_writer_sdk_works_unchanged(emulator: EmulatorServer) -> None:
    writerai = pytest.importorskip("writerai")
    sdk = writerai.Writer(api_key=TOKEN, base_url=emulator.base_url, max_retries=0)
    created = [
        sdk.applications.jobs.create(
            application_id="sdk", inputs=[{"id": "Product", "value": [f"item {n}"]}]
        )
        for n in range(3)
    ]
    got = sdk.applications.jobs.retrieve(created[0].id)
    assert got.id == created[0].id
    seen = [job.id for job in sdk.applications.jobs.list(application_id="sdk", limit=1)]
    assert sorted(seen) == sorted(job.id for job in created)
    failing = sdk.applications.jobs.create(
        application_id="sdk", inputs=[{"id": "Product", "value": ["fail"]}]
    )
    for _ in range(100):
        if sdk.applications.jobs.retrieve(failing.id).status == "failed":
            break
        time.sleep(0.02)
    assert sdk.applications.jobs.retry(failing.id).id == failing.id
