"""osapi's job API as its server answers: framework checks, then the token and its scope, then
the handler's own."""

from __future__ import annotations

import httpx
import pytest
from jobwise_emulator import run_emulator

from .support import MISSING, wait_final


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
