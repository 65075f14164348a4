"""The emulator serves both APIs as documented, refuses what breaks the spec, and injects faults."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from jobwise_emulator import EmulatorConfig, EmulatorServer, run_emulator
from jobwise_emulator.cli import build_parser, config_from_args
from jobwise_emulator.clock import Clock
from jobwise_emulator.osapi_store import OsapiStore
from jobwise_emulator.writer_store import WriterStore

from ..conftest import TOKEN
from ..virtual import emulated, in_virtual_time

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def inputs(*values: str) -> dict[str, Any]:
    return {"inputs": [{"id": "Product", "value": list(values)}]}


def wait_final(http: httpx.Client, path: str, final: set[str]) -> dict[str, Any]:
    for _ in range(200):
        body: dict[str, Any] = http.get(path).json()
        if body["status"] in final:
            return body
        time.sleep(0.02)
    raise AssertionError(f"{path} never reached {final}")


WRITER_KINDS = {"BadRequest", "Unauthorized", "NotFound", "Conflict", "UnprocessableEntity"}
WRITER_KINDS |= {"TooManyRequests", "InternalServerError", "ServiceUnavailable"}
MISSING = "00000000-0000-4000-8000-000000000000"


def is_writer_error(body: Any) -> bool:
    """Writer's documented shape: a named kind, extras objects (never null)."""
    return (
        body["tpe"] in WRITER_KINDS
        and body["extras"] == {}
        and body["errors"][0]["extras"] == {}
        and bool(body["errors"][0]["description"] and body["errors"][0]["key"])
    )


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


@pytest.mark.parametrize(
    ("method", "path", "body", "params"),
    [
        ("POST", "/v1/applications/app/jobs", {"inputs": []}, None),
        ("POST", "/v1/applications/app/jobs", {"inputs": [{"id": "x", "value": "no list"}]}, None),
        ("POST", "/v1/applications/app/jobs", {"nothing": 1}, None),
        ("POST", "/v1/applications/app/jobs", None, None),
        ("GET", "/v1/applications/app/jobs", None, {"status": "queued"}),
        ("GET", "/v1/applications/app/jobs", None, {"offset": "-1"}),
        ("GET", "/v1/applications/app/jobs", None, {"limit": "abc"}),
        ("GET", "/v1/applications/app/jobs", None, {"limit": "101"}),
    ],
)
def test_writer_bad_requests_answer_400_in_writer_shape(
    http: httpx.Client, method: str, path: str, body: Any, params: Any
) -> None:
    response = http.request(method, path, json=body, params=params)
    assert response.status_code == 400
    assert is_writer_error(response.json()) and response.json()["tpe"] == "BadRequest"


def test_writer_pages_hold_50_by_default_and_100_at_most(http: httpx.Client) -> None:
    http.post("/_emulator/writer/seed", json={"application_id": "pages", "count": 500})
    default = http.get("/v1/applications/pages/jobs").json()
    assert len(default["result"]) == 50 and default["pagination"] == {"offset": 0, "limit": 50}
    assert (
        len(http.get("/v1/applications/pages/jobs", params={"limit": 100}).json()["result"]) == 100
    )


def test_unknown_jobs_answer_404(http: httpx.Client) -> None:
    assert http.get("/v1/applications/jobs/nope").json()["tpe"] == "NotFound"
    assert is_writer_error(http.post("/v1/applications/jobs/nope/retry").json())
    assert http.get(f"/job/{MISSING}").json() == {"error": f"job not found: {MISSING}"}
    assert http.delete(f"/job/{MISSING}").status_code == 404


@pytest.mark.parametrize(
    ("params", "field", "tag"),
    [
        ({"limit": "0"}, "Limit", "min"),
        ({"limit": "101"}, "Limit", "max"),
        ({"offset": "-1"}, "Offset", "min"),
        ({"status": "queued"}, "Status", "oneof"),
    ],
)
def test_osapi_list_out_of_range_answers_the_handlers_400(
    http: httpx.Client, params: dict[str, str], field: str, tag: str
) -> None:
    response = http.get("/job", params=params)
    assert response.status_code == 400
    assert response.json() == {
        "error": f"Key: 'GetJobsParams.{field}' Error:Field validation for '{field}' "
        f"failed on the '{tag}' tag"
    }


def test_osapi_malformed_parameters_get_the_framework_message_before_auth() -> None:
    with (
        run_emulator(profile="fast", latency=(0, 0)) as server,
        httpx.Client(base_url=server.base_url) as bare,
    ):
        limit = bare.get("/job", params={"limit": "abc"})
        job_id = bare.get("/job/not-a-uuid")
        body = bare.post(
            f"/job/{MISSING}/retry", content=b"{", headers={"Content-Type": "application/json"}
        )
        unauthenticated = bare.get("/job", params={"limit": "5"})
    assert limit.status_code == 400
    assert limit.json()["message"].startswith("Invalid format for parameter limit:")
    assert job_id.status_code == 400
    assert job_id.json()["message"].startswith("Invalid format for parameter id:")
    assert body.status_code == 400 and body.json()["message"].startswith("Syntax error")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json() == {"error": "Bearer token required"}


def test_osapi_ignores_unknown_query_parameters(http: httpx.Client) -> None:
    assert http.get("/job", params={"colour": "blue", "limit": 1}).status_code == 200


def test_osapi_scopes_answer_403_naming_the_permission() -> None:
    with run_emulator(profile="fast", latency=(0, 0)) as server:
        url = server.base_url
        job_id = httpx.post(f"{url}/_emulator/osapi/jobs").json()["job_ids"][0]
        reader = {"Authorization": "Bearer read-only-token"}
        nobody = {"Authorization": "Bearer no-perm-token"}
        read = httpx.get(f"{url}/job/{job_id}", headers=reader)
        write = httpx.delete(f"{url}/job/{job_id}", headers=reader)
        retry = httpx.post(f"{url}/job/{job_id}/retry", headers=reader)
        none = httpx.get(f"{url}/job", headers=nobody)
    assert read.status_code == 200
    assert write.status_code == 403 and retry.status_code == 403
    assert write.json()["error"].startswith("Insufficient permissions. Required: [job:write]")
    assert none.status_code == 403
    assert none.json()["error"].startswith("Insufficient permissions. Required: [job:read]")


def test_osapi_lifecycle_list_get_retry_delete(http: httpx.Client) -> None:
    created = http.post(
        "/_emulator/osapi/jobs", json={"hosts": ["web-01", "web-02"], "failing_hosts": ["web-02"]}
    )
    job_id = created.json()["job_ids"][0]
    first = http.get(f"/job/{job_id}").json()
    assert first["status"] in {"submitted", "processing"}
    done = wait_final(http, f"/job/{job_id}", {"partial_failure"})
    assert done["responses"]["web-02"]["status"] == "failed"
    assert done["agent_states"]["web-01"]["status"] == "completed"
    assert done["timeline"][0] == {
        "timestamp": done["created"],
        "event": "submitted",
        "hostname": "_api",
        "message": "Job submitted to queue",
    }
    assert "result" not in done and done["changed"] is None and "error" not in done
    listed = http.get("/job", params={"limit": 100}).json()
    item = listed["items"][0]
    assert item["id"] == job_id
    assert set(item) <= {"id", "status", "created", "operation", "error", "hostname"} | {
        "updated_at",
        "result",
        "changed",
    }
    assert item["changed"] is None
    assert listed["status_counts"]["partial_failure"] >= 1
    assert listed["total_items"] >= 1
    retried = http.post(f"/job/{job_id}/retry", json={"target_hostname": "web-01"})
    assert retried.status_code == 201
    new_id = retried.json()["job_id"]
    assert new_id != job_id and retried.json()["status"] == "created"
    assert set(retried.json()) == {"job_id", "status", "revision", "timestamp"}
    original = http.get(f"/job/{job_id}").json()
    assert original["status"] == "partial_failure"
    assert original["timeline"][-1]["event"] == "retried"
    assert original["timeline"][-1]["hostname"] == "_api"
    assert original["timeline"][-1]["message"] == f"Job retried as {new_id}"
    again = wait_final(http, f"/job/{new_id}", {"completed"})
    assert list(again["responses"]) == ["web-01"]
    assert again["operation"] == done["operation"]
    assert again["result"] == {"hostname": "web-01"} and again["hostname"] == "web-01"
    assert http.delete(f"/job/{job_id}").status_code == 204
    assert http.get(f"/job/{job_id}").status_code == 404
    assert http.post(f"/job/{job_id}/retry").status_code == 404


def test_osapi_any_job_can_be_retried_and_targets_are_checked(http: httpx.Client) -> None:
    job_id = http.post("/_emulator/osapi/jobs", json={"stuck": True}).json()["job_ids"][0]
    assert http.get(f"/job/{job_id}").json()["status"] in {"submitted", "processing"}
    assert http.post(f"/job/{job_id}/retry").status_code == 201
    empty = http.post(f"/job/{job_id}/retry", json={"target_hostname": ""})
    unknown = http.post(f"/job/{job_id}/retry", json={"target_hostname": "nowhere"})
    assert empty.status_code == 400 and "'min' tag" in empty.json()["error"]
    assert unknown.status_code == 400
    assert unknown.json()["error"].endswith('target agent "nowhere" not found')
    assert http.post(f"/job/{job_id}/retry", json={"target_hostname": "_any"}).status_code == 201
    bare = http.post("/_emulator/osapi/jobs", json={"operation": None}).json()["job_ids"][0]
    no_data = http.post(f"/job/{bare}/retry")
    assert no_data.status_code == 400
    assert no_data.json() == {"error": f"job has no operation data: {bare}"}


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


def test_osapi_prefix_serves_under_api_only() -> None:
    with (
        run_emulator(profile="fast", latency=(0, 0), osapi_prefix="/api") as server,
        httpx.Client(base_url=server.base_url, headers=AUTH) as http,
    ):
        job_id = http.post("/_emulator/osapi/jobs").json()["job_ids"][0]
        assert http.get("/api/job").json()["items"][0]["id"] == job_id
        assert http.get(f"/api/job/{job_id}").status_code == 200
        assert http.post(f"/api/job/{job_id}/retry").status_code == 201
        assert http.get("/job").status_code == 404


def test_osapi_never_answers_429() -> None:
    with run_emulator(profile="fast", latency=(0, 0), throttle_rate=1.0, rate_limit=1) as server:
        answers = [httpx.get(f"{server.base_url}/job", headers=AUTH) for _ in range(5)]
    assert {a.status_code for a in answers} == {200}


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


def test_honour_mode_echoes_the_key_on_faults_too() -> None:
    headers = {**AUTH, "Idempotency-Key": "k-9"}
    with run_emulator(
        profile="fast", latency=(0, 0), error_rate=1.0, idempotency="honour"
    ) as server:
        answer = httpx.post(
            f"{server.base_url}/v1/applications/e/jobs", json=inputs("a"), headers=headers
        )
    assert answer.status_code in {500, 503} and answer.headers["Idempotency-Key"] == "k-9"


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


def run_requests(server: EmulatorServer, n: int) -> list[httpx.Response | Exception]:
    out: list[httpx.Response | Exception] = []
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=10) as client:
        for i in range(n):
            try:
                out.append(client.post("/v1/applications/f/jobs", json=inputs(f"x{i}")))
            except httpx.HTTPError as exc:
                out.append(exc)
    return out


def test_error_rate_answers_500_and_503() -> None:
    with run_emulator(profile="fast", error_rate=1.0, latency=(0, 0)) as server:
        answers = run_requests(server, 20)
    statuses = {r.status_code for r in answers if isinstance(r, httpx.Response)}
    assert statuses == {500, 503}


def test_rate_limit_answers_429_with_retry_after() -> None:
    with run_emulator(profile="fast", rate_limit=5, latency=(0, 0)) as server:
        answers = run_requests(server, 20)
    limited = [r for r in answers if isinstance(r, httpx.Response) and r.status_code == 429]
    assert limited, "20 requests in a burst above 5 rps must be limited"
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert int(limited[0].headers["retry-after-ms"]) >= 1


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


def test_fail_rate_fails_jobs() -> None:
    with (
        run_emulator(profile="fast", fail_rate=1.0, latency=(0, 0)) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH) as client,
    ):
        job = client.post("/v1/applications/f/jobs", json=inputs("fine")).json()
        final = wait_final(client, f"/v1/applications/jobs/{job['id']}", {"failed"})
    assert final["error"]


def test_faults_are_reproducible_with_a_seed() -> None:
    def statuses(seed: int) -> list[int]:
        with run_emulator(profile="fast", error_rate=0.5, latency=(0, 0), seed=seed) as server:
            return [
                r.status_code for r in run_requests(server, 30) if isinstance(r, httpx.Response)
            ]

    assert statuses(7) == statuses(7)
    assert statuses(7) != statuses(8)


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


def test_generated_client_drives_every_operation(emulator: EmulatorServer) -> None:
    from jobwise_api import AuthenticatedClient
    from jobwise_api.api.osapi import (
        delete_osapi_job,
        get_osapi_job,
        list_osapi_jobs,
        retry_osapi_job,
    )
    from jobwise_api.api.writer import create_job, list_jobs, retrieve_job, retry_job
    from jobwise_api.models import (
        Job,
        JobCreated,
        JobCreateRequest,
        JobInput,
        JobList,
        OsapiJob,
        OsapiJobList,
        OsapiRetryRequest,
        OsapiRetryResult,
    )

    client = AuthenticatedClient(base_url=emulator.base_url, token=TOKEN)
    body = JobCreateRequest(inputs=[JobInput(id="Product", value=["Flex yoga mat", "fail"])])
    created = create_job.sync(application_id="gen", client=client, body=body)
    assert isinstance(created, JobCreated)
    job = retrieve_job.sync(job_id=created.id, client=client)
    assert isinstance(job, Job) and job.id == created.id
    for _ in range(100):
        job = retrieve_job.sync(job_id=created.id, client=client)
        assert isinstance(job, Job)
        if job.status == "failed":
            break
        time.sleep(0.02)
    page = list_jobs.sync(application_id="gen", client=client)
    assert isinstance(page, JobList) and page.result[0].id == created.id
    again = retry_job.sync(job_id=created.id, client=client)
    assert isinstance(again, JobCreated)
    job_id = httpx.post(f"{emulator.base_url}/_emulator/osapi/jobs").json()["job_ids"][0]
    listed = list_osapi_jobs.sync(client=client, limit=100)
    assert isinstance(listed, OsapiJobList)
    from uuid import UUID

    detail = get_osapi_job.sync(id=UUID(job_id), client=client)
    assert isinstance(detail, OsapiJob)
    time.sleep(0.2)
    retried = retry_osapi_job.sync(id=UUID(job_id), client=client, body=OsapiRetryRequest())
    assert isinstance(retried, OsapiRetryResult) and retried.status == "created"
    assert retried.job_id != job_id
    assert delete_osapi_job.sync_detailed(id=UUID(job_id), client=client).status_code == 204


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


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_command_line_prints_url_and_stops_on_a_signal(signum: int) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobwise_emulator",
            "--port",
            "0",
            "--profile",
            "fast",
            "--latency",
            "0-0",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line
        url = line.split()[-1]
        assert httpx.get(f"{url}/job", headers=AUTH).status_code == 200
        proc.send_signal(signum)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()


def test_command_line_rejects_bad_flag_values() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "jobwise_emulator", "--fail-rate", "2"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "--fail-rate" in result.stderr and "probability" in result.stderr


def test_command_line_errors_are_one_line_and_loopback_only() -> None:
    """They printed the whole usage first; a typo got no hint; --host 0.0.0.0 served the
    network though the help says loopback; a port in use said only [Errno 98]."""

    def error(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "jobwise_emulator", *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "(see: python -m jobwise_emulator --help)" in done.stderr
        return done.stderr

    assert "did you mean '--port'?" in error("--prot", "8080")
    assert "not loopback; pass --public" in error("--host", "0.0.0.0")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        assert f"cannot serve on 127.0.0.1 port {port}: " in error("--port", port)


def test_throttle_rate_answers_429_at_random() -> None:
    with run_emulator(profile="fast", throttle_rate=1.0, latency=(0, 0)) as server:
        answers = run_requests(server, 5)
    assert all(isinstance(a, httpx.Response) and a.status_code == 429 for a in answers)
    first = answers[0]
    assert isinstance(first, httpx.Response) and first.headers["Retry-After"] == "1"


def test_seeded_app_lists_made_up_jobs_in_constant_memory(http: httpx.Client) -> None:
    seeded = http.post(
        "/_emulator/writer/seed", json={"application_id": "many", "count": 1_000_000}
    )
    assert seeded.status_code == 201
    page = http.get("/v1/applications/many/jobs", params={"offset": 999_998, "limit": 5}).json()
    assert page["totalCount"] == 1_000_000
    assert [job["id"] for job in page["result"]] == ["many-000000001", "many-000000000"]
    assert (
        http.get("/v1/applications/many/jobs", params={"status": "failed"}).json()["result"] == []
    )


# -- options of issues 12 and 13: faults, profile, capacity, speed ----------------------------


class FakeClock(Clock):
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.t = 1000.0

    def now(self) -> float:
        return self.t


def writer_store(**options: Any) -> tuple[WriterStore, FakeClock]:
    clock = FakeClock()
    return WriterStore(EmulatorConfig(profile="fast", seed=5, **options), clock), clock


def statuses(store: WriterStore, jobs: list[Any]) -> list[str]:
    store.advance()
    return [job.status for job in jobs]


def one(value: str) -> list[dict[str, Any]]:
    return [{"id": "Product", "value": [value]}]


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


def test_speed_divides_durations_and_multiplies_rates() -> None:
    store, clock = writer_store(latency=(10.0, 10.0), speed=100)
    job = store.create("app", one("fast"))
    clock.t += 0.099
    assert statuses(store, [job]) == ["in_progress"]
    clock.t += 0.002
    assert statuses(store, [job]) == ["completed"]
    config = EmulatorConfig(profile="fast", speed=60, rate_limit=5, hold_create=6, slow_seconds=3)
    assert config.per_second(5) == 300 and config.seconds(6) == 0.1


def test_writer_profile_has_writers_limits_and_a_long_tailed_latency() -> None:
    config = EmulatorConfig(profile="writer")
    assert config.writer_rpm == 400 and config.latency_kind == "lognormal"
    tail = config.job_latency
    assert tail.quantile(0.5) == pytest.approx(20) and tail.quantile(0.99) == pytest.approx(180)
    rng = random.Random(1)
    draws = sorted(tail.draw(rng) for _ in range(20000))
    assert draws[10000] == pytest.approx(20, rel=0.05)
    assert draws[19800] == pytest.approx(180, rel=0.15)
    assert draws[-1] <= tail.percentiles()["max"]
    fast = EmulatorConfig(profile="writer", speed=60).job_latency.percentiles()
    assert fast["p50"] == pytest.approx(20 / 60) and fast["p99"] == pytest.approx(3.0)
    assert EmulatorConfig(profile="writer", latency=(0, 0)).job_latency.high == 0


def test_stats_expose_the_latency_percentiles_and_limits() -> None:
    with run_emulator(profile="writer", speed=60) as server:
        profile = httpx.get(f"{server.base_url}/_emulator/stats").json()["profile"]
    assert profile["name"] == "writer" and profile["speed"] == 60
    assert profile["writer_rpm"] == 400 * 60
    assert profile["latency"]["seconds"]["p99"] == pytest.approx(3.0)


def test_requests_per_minute_per_key_answer_429_with_retry_after() -> None:
    with run_emulator(profile="fast", writer_rpm=5, latency=(0, 0)) as server:
        url = f"{server.base_url}/v1/applications/rl/jobs"
        mine = [httpx.get(url, headers=AUTH) for _ in range(6)]
        theirs = httpx.get(url, headers={"Authorization": "Bearer another-key"})
        osapi = httpx.get(f"{server.base_url}/job", headers=AUTH)
    assert [r.status_code for r in mine] == [200] * 5 + [429]
    assert 55 <= int(mine[-1].headers["Retry-After"]) <= 60
    assert mine[-1].json()["tpe"] == "TooManyRequests"
    assert theirs.status_code == 200 and osapi.status_code == 200


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


# -- the defaults of issue 30: the public facts -------------------------------------------------


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


def test_command_line_flags_make_the_config() -> None:
    args = build_parser().parse_args(
        [
            "--profile", "writer", "--speed", "60", "--capacity", "4", "--idempotency", "honour",
            "--osapi-prefix", "/api", "--ttl", "3600", "--stuck-rate", "0.1",
            "--garbage-get-rate", "0.2", "--garbage-list-rate", "0.3", "--hold-create", "2",
            "--hold-create-rate", "0.5", "--latency", "lognormal:10:100", "--rpm", "100",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert (config.profile, config.speed, config.capacity) == ("writer", 60, 4)
    assert (config.idempotency, config.osapi_prefix, config.ttl) == ("honour", "/api", 3600)
    assert (config.stuck_rate, config.garbage_get_rate, config.garbage_list_rate) == (
        0.1,
        0.2,
        0.3,
    )
    assert (config.hold_create, config.hold_create_rate, config.writer_rpm) == (2, 0.5, 100)
    assert (config.latency_kind, config.latency) == ("lognormal", (10, 100))
    assert config_from_args(build_parser().parse_args([])).idempotency == "ignore"
