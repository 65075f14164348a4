"""Faults inside handlers: 200 answers that are not JSON, and held create answers."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from jobwise_emulator import run_emulator

from .support import AUTH, inputs


def test_garbage_inputs_make_a_get_or_a_list_page_answer_html(http: httpx.Client) -> None:
    get_id = http.post("/v1/applications/junk/jobs", json=inputs("garbage")).json()["id"]
    page = http.get("/v1/applications/junk/jobs")
    assert page.status_code == 200 and page.json()["result"][0]["id"] == get_id
    garbled = http.get(f"/v1/applications/jobs/{get_id}")
    assert garbled.status_code == 200 and garbled.headers["content-type"].startswith("text/html")
    page_id = http.post("/v1/applications/junk/jobs", json=inputs("garbage-page")).json()["id"]
    assert http.get(f"/v1/applications/jobs/{page_id}").json()["id"] == page_id
    bad_page = http.get("/v1/applications/junk/jobs")
    assert bad_page.status_code == 200 and bad_page.text.startswith("<!DOCTYPE html>")
    osapi_id = http.post("/_emulator/osapi/jobs", json={"garbage": "get"}).json()["job_ids"][0]
    assert http.get(f"/job/{osapi_id}").text.startswith("<!DOCTYPE html>")


def test_garbage_rates_are_separate_for_gets_and_pages() -> None:
    with (
        run_emulator(profile="fast", garbage_get_rate=1.0, latency=(0, 0)) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH) as http,
    ):
        job_id = http.post("/v1/applications/g/jobs", json=inputs("a")).json()["id"]
        assert http.get(f"/v1/applications/jobs/{job_id}").text.startswith("<!DOCTYPE")
        assert http.get("/v1/applications/g/jobs").json()["totalCount"] == 1
    with (
        run_emulator(profile="fast", garbage_list_rate=1.0, latency=(0, 0)) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH) as http,
    ):
        job_id = http.post("/v1/applications/g/jobs", json=inputs("a")).json()["id"]
        assert http.get(f"/v1/applications/jobs/{job_id}").json()["id"] == job_id
        assert http.get("/v1/applications/g/jobs").text.startswith("<!DOCTYPE")
        assert http.get("/job").text.startswith("<!DOCTYPE")
        stats = http.get("/_emulator/stats").json()
    assert stats["faults"]["garbage_list"] == 2


def test_hold_create_answers_late_with_the_job_already_stored() -> None:
    with run_emulator(profile="fast", hold_create=0.5, latency=(5, 5)) as server:
        url = server.base_url
        holder = ThreadPoolExecutor(1)
        started = time.monotonic()
        pending = holder.submit(
            httpx.post, f"{url}/v1/applications/held/jobs", json=inputs("a"), headers=AUTH
        )
        seen: list[Any] = []
        for _ in range(40):
            seen = httpx.get(f"{url}/v1/applications/held/jobs", headers=AUTH).json()["result"]
            if seen:
                break
            time.sleep(0.01)
        assert seen and not pending.done(), "the job is stored while its answer is held"
        created = pending.result(timeout=10)
        holder.shutdown()
        stats = httpx.get(f"{url}/_emulator/stats").json()
    assert time.monotonic() - started >= 0.5
    assert created.json()["id"] == seen[0]["id"]
    assert stats["faults"]["held_create"] == 1 and stats["jobs_created"] == 1
