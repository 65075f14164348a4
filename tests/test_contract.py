"""Contract checks: cassettes hold no secret and match openapi.yaml; schemathesis finds no
server error and no answer that breaks the spec in the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from .contract import SPEC_PATH, operation, problems, request_schema, response_schema
from .recording import secrets

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
