"""Contract checks: cassettes hold no secret and match openapi.yaml; schemathesis finds no
server error and no answer that breaks the spec in the emulator."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from .contract import SPEC_PATH, operation, problems, request_schema, response_schema, spec
from .recording import TOKEN, secrets

CASSETTES = sorted((Path(__file__).parent / "cassettes").rglob("*.yaml"))


def test_there_are_cassettes_for_every_operation() -> None:
    seen = set()
    for cassette in CASSETTES:
        for interaction in yaml.safe_load(cassette.read_text())["interactions"]:
            request = interaction["request"]
            op = operation(request["method"], urlsplit(request["uri"]).path)
            if op is not None:
                seen.add(op["operationId"])
    assert seen == {
        "createJob",
        "listJobs",
        "retrieveJob",
        "retryJob",
        "listOsapiJobs",
        "getOsapiJob",
        "retryOsapiJob",
        "deleteOsapiJob",
    }


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda p: p.stem)
def test_no_secret_in_cassette(cassette: Path) -> None:
    text = cassette.read_text()
    for secret in secrets():
        assert secret not in text, f"{cassette.name} holds a credential"
    assert "bearer" not in text.lower(), f"{cassette.name} holds a bearer token"
    for interaction in yaml.safe_load(text)["interactions"]:
        names = {name.lower() for name in interaction["request"]["headers"]}
        assert "authorization" not in names, f"{cassette.name} records an Authorization header"


def _body(raw: Any) -> Any:
    if isinstance(raw, dict):
        raw = raw.get("string", "")
    if isinstance(raw, bytes):
        raw = raw.decode()
    return json.loads(raw) if raw else None


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda p: p.stem)
def test_cassette_matches_openapi(cassette: Path) -> None:
    stale: list[str] = []
    for n, interaction in enumerate(yaml.safe_load(cassette.read_text())["interactions"]):
        request, response = interaction["request"], interaction["response"]
        path = urlsplit(request["uri"]).path
        op = operation(request["method"], path)
        if op is None:
            continue
        where = f"#{n} {request['method']} {path}"
        schema = request_schema(op)
        body = _body(request["body"])
        if schema is not None and body is not None:
            stale += [f"{where} request {p}" for p in problems(schema, body)]
        status = response["status"]["code"]
        try:
            schema = response_schema(op, status)
        except KeyError as exc:
            stale.append(f"{where} answer: {exc}")
            continue
        if schema is not None:
            stale += [
                f"{where} answer {status} {p}" for p in problems(schema, _body(response["body"]))
            ]
    assert not stale, (
        f"cassette {cassette.name} no longer matches {SPEC_PATH.name}; it is stale: run "
        "`make record` to record it again.\n" + "\n".join(stale[:10])
    )


def test_a_changed_shape_is_reported_as_stale() -> None:
    op = operation("GET", "/v1/applications/jobs/abc")
    assert op is not None
    schema = response_schema(op, 200)
    assert schema is not None
    assert problems(schema, {"id": "x", "status": "completed"})  # application_id, created_at gone
    assert not problems(
        schema,
        {
            "id": "x",
            "status": "new-status",
            "application_id": "a",
            "created_at": "2025-01-01T00:00:00Z",
            "error": None,
            "data": None,
        },
    )


# -- the emulator's own answers, both APIs, against openapi.yaml -------------------------------


def _check(response: httpx.Response) -> list[str]:
    """Why an answer breaks the spec: an undocumented status or a body off its schema."""
    path = urlsplit(str(response.request.url)).path
    for prefix in ("/api",):
        if path.startswith(prefix + "/job"):
            path = path.removeprefix(prefix)
    op = operation(response.request.method, path)
    assert op is not None, f"{response.request.method} {path} is not in the spec"
    where = f"{response.request.method} {path} {response.status_code}"
    try:
        schema = response_schema(op, response.status_code)
    except KeyError as exc:
        return [f"{where}: {exc}"]
    if schema is None:
        return [] if not response.content else [f"{where}: a body where the spec has none"]
    return [f"{where} {p}" for p in problems(schema, response.json())]


def _drive_writer(http: httpx.Client) -> list[httpx.Response]:
    app = "/v1/applications/contract/jobs"
    ok = http.post(app, json={"inputs": [{"id": "Product", "value": ["shoe"]}]})
    bad = http.post(app, json={"inputs": [{"id": "Product", "value": ["please fail"]}]})
    answers = [ok, bad, http.post(app, json={"inputs": []}), http.get(app, params={"limit": 101})]
    for _ in range(200):
        if http.get(f"/v1/applications/jobs/{bad.json()['id']}").json()["status"] == "failed":
            break
        time.sleep(0.01)
    answers += [
        http.get(app, params={"limit": 1}),
        http.get(f"/v1/applications/jobs/{ok.json()['id']}"),
        http.get(f"/v1/applications/jobs/{bad.json()['id']}"),
        http.get("/v1/applications/jobs/nope"),
        http.post(f"/v1/applications/jobs/{bad.json()['id']}/retry"),
        http.post(f"/v1/applications/jobs/{ok.json()['id']}/retry"),
        http.get(app, headers={"Authorization": ""}),
    ]
    return answers


def _drive_osapi(http: httpx.Client, job: str) -> list[httpx.Response]:
    make = "/_emulator/osapi/jobs"
    single = http.post(make).json()["job_ids"][0]
    broadcast = http.post(make, json={"hosts": ["a", "b"], "failing_hosts": ["b"]}).json()
    (other,) = broadcast["job_ids"]
    time.sleep(0.05)
    reader = {"Authorization": "Bearer read-only"}
    return [
        http.get(job, params={"limit": 2, "unknown": "x"}),
        http.get(job, params={"limit": "abc"}),
        http.get(job, params={"status": "queued"}),
        http.get(f"{job}/{single}"),
        http.get(f"{job}/{other}"),
        http.get(f"{job}/not-a-uuid"),
        http.get(f"{job}/00000000-0000-4000-8000-000000000000"),
        http.get(job, headers={"Authorization": ""}),
        http.post(f"{job}/{other}/retry", json={"target_hostname": "a"}),
        http.post(f"{job}/{other}/retry", json={"target_hostname": "nowhere"}),
        http.post(f"{job}/{other}/retry", headers=reader),
        http.delete(f"{job}/{single}"),
        http.delete(f"{job}/{single}"),
    ]


@pytest.mark.parametrize("prefix", ["", "/api"])
def test_emulator_answers_match_openapi_for_both_apis(prefix: str) -> None:
    from jobwise_emulator import run_emulator

    with (
        run_emulator(profile="fast", latency=(0.01, 0.02), seed=41, osapi_prefix=prefix) as server,
        httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        ) as http,
    ):
        answers = _drive_writer(http) + _drive_osapi(http, f"{prefix}/job")
    statuses = {a.status_code for a in answers}
    assert {200, 201, 202, 204, 400, 401, 403, 404, 409} <= statuses
    broken = [p for answer in answers for p in _check(answer)]
    assert not broken, "\n".join(broken[:20])


# -- the spec's osapi part against osapi's own document ----------------------------------------

REFERENCES = Path("/work/shared/reference/osapi")
# osapi-io/osapi internal/controller/api/job/gen/api.yaml before and after the /api prefix.
REFERENCE_DOCUMENTS = {"job": "/job", "job-api-prefix": "/api/job"}
# Where the spec deliberately differs from osapi's document, and why.
DEVIATIONS = {
    ("JobDetailResponse", "id", "format"): "ids stay strings so a malformed one still parses",
}
COMPARED = ("type", "nullable", "enum", "minimum", "maximum", "default", "format")


def _fields(schema: dict[str, Any], name: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every property of a schema, nested objects included, keyed by (schema, dotted path)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}

    def walk(node: dict[str, Any], path: str) -> None:
        node = node.get("additionalProperties") if "properties" not in node else node
        if not isinstance(node, dict):
            return
        for key, sub in node.get("properties", {}).items():
            here = f"{path}.{key}" if path else key
            out[(name, here)] = sub
            inner = sub.get("items", sub)
            if isinstance(inner, dict) and (
                "properties" in inner or "additionalProperties" in inner
            ):
                walk(inner, here)

    walk(schema, "")
    return out


def _types(node: dict[str, Any]) -> set[Any]:
    """The types a schema allows; an open enum (anyOf) allows each alternative's."""
    return {node.get("type")} | {alt.get("type") for alt in node.get("anyOf", [])}


@pytest.mark.parametrize("document", sorted(REFERENCE_DOCUMENTS))
def test_osapi_part_agrees_with_osapis_own_document(document: str) -> None:
    reference = REFERENCES / document / "gen" / "api.yaml"
    if not reference.exists():
        pytest.skip(f"osapi's own document is not on this machine ({reference}); not in the repo")
    theirs_root = yaml.safe_load(reference.read_text())
    ours = spec()
    disagree = []
    for name in ("ListJobsResponse", "JobDetailResponse"):
        theirs = _fields(theirs_root["components"]["schemas"][name], name)
        mine = _fields(ours["components"]["schemas"][name], name)
        for key, field in theirs.items():
            if key not in mine:
                disagree.append(f"{key}: missing")
                continue
            for attr in COMPARED:
                if (key[0], key[1].split(".")[-1], attr) in DEVIATIONS and "." not in key[1]:
                    continue
                if attr == "type" and field.get("type") in _types(mine[key]):
                    continue
                if field.get(attr) != mine[key].get(attr):
                    disagree.append(f"{key} {attr}: {mine[key].get(attr)!r} != {field.get(attr)!r}")
    their_list = theirs_root["paths"][REFERENCE_DOCUMENTS[document]]["get"]
    their_params = {p["name"]: p["schema"] for p in their_list["parameters"]}
    our_params = {p["name"]: p["schema"] for p in ours["paths"]["/job"]["get"]["parameters"]}
    for param, schema in their_params.items():
        for attr in ("type", "enum", "minimum", "maximum", "default"):
            if schema.get(attr) != our_params[param].get(attr):
                disagree.append(f"GET /job {param} {attr}: {our_params[param].get(attr)!r}")
    assert not disagree, "\n".join(disagree)
