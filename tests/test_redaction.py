"""Credentials a server sends back are redacted from errors, jobs, CLI output and batch files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import jobwise
import pytest
from jobwise import AsyncWriterJobs, WriterJobs
from jobwise.redaction import redacted

from .cli_support import jobwise as run_jobwise
from .fakes import Recorder, job_body
from .misbehaving import echo_credentials, header, serving
from .recording import TOKEN

KEY = "caller-chosen-key-123"


def echoing(request: httpx.Request) -> httpx.Response:
    key, auth = request.headers.get("idempotency-key", ""), request.headers["authorization"]
    if request.method == "GET":
        return httpx.Response(200, json=job_body(status="failed", error=f"{auth} made it"))
    body = {"error": f"key {key} was used before", "details": f"you sent {auth}"}
    return httpx.Response(400, json=body, headers={"idempotency-key": key, "x-seen": auth})


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert KEY not in text and TOKEN not in text, text


def test_an_error_echoing_the_key_and_token_shows_neither() -> None:
    jobs = WriterJobs(TOKEN, "https://x.test", http_client=Recorder(echoing).sync_client())
    with pytest.raises(jobwise.BadRequestError) as caught:
        jobs.create("app", {"P": "x"}, idempotency_key=KEY)
    exc = caught.value
    assert_clean(str(exc), repr(exc), json.dumps(exc.body), repr(list(exc.headers.items())))
    assert exc.body["error"] == "key [redacted] was used before"
    assert exc.headers["idempotency-key"] == "[redacted]"
    assert exc.headers["x-seen"] == "Bearer [redacted]"


async def test_a_job_echoing_the_token_shows_it_redacted() -> None:
    async with AsyncWriterJobs(
        TOKEN, "https://x.test", http_client=Recorder(echoing).async_client()
    ) as jobs:
        job = await jobs.retrieve("job-1")
    assert job.error == "Bearer [redacted] made it"


def test_short_values_are_not_taken_for_credentials() -> None:
    jobs = WriterJobs("k", "https://x.test", http_client=Recorder(echoing).sync_client())
    with pytest.raises(jobwise.BadRequestError) as caught:
        jobs.create("app", {"P": "x"}, idempotency_key="k1")
    assert caught.value.body["error"] == "key k1 was used before"


def test_cli_stderr_and_batch_files_hold_no_credential(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.txt"
    inputs.write_text("one\ntwo\n")
    out, state = tmp_path / "results.jsonl", tmp_path / "state.sqlite"
    with serving(echo_credentials) as server:
        submitted = run_jobwise("submit", "app", "--input", "P=x", base_url=server.base_url)
        batch = run_jobwise(
            "batch", "app", str(inputs), "--input-name", "P", "--out", str(out),
            "--state", str(state), "--quiet", base_url=server.base_url,
        )  # fmt: skip
        keys = [header(r, "idempotency-key") for r in server.requests if r.startswith(b"POST")]
    assert submitted.returncode != 0 and "[redacted]" in submitted.stderr
    assert len(keys) == 3 and all(keys)
    with sqlite3.connect(state) as db:
        errors = [row[0] for row in db.execute("SELECT error FROM items")]
    assert len(errors) == 2 and all("[redacted]" in error for error in errors)
    for text in (submitted.stderr, submitted.stdout, batch.stderr, out.read_text(), *errors):
        assert TOKEN not in text and not any(key in text for key in keys), text


TOK = "tok-12345678"


@pytest.mark.parametrize(
    ("sent", "hidden", "kept"),
    [
        ([("Authorization", f"Bearer {TOK}"), ("Idempotency-Key", KEY)], [TOK, KEY], []),
        ([("authorization", "Basic dXNlcjpwYXNz")], [], ["dXNlcjpwYXNz"]),
        ([("Idempotency-Key", "short"), ("Authorization", f"bearer {TOK}")], [TOK], ["short"]),
        ([("Idempotency-Key", "key-a"), ("idempotency-key", "key-b")], ["key-a, key-b"], []),
        ([("Idempotency-Key", "clé-12345678")], ["clé-12345678"], []),
    ],
)  # fmt: skip
def test_each_credential_a_request_carries_is_hidden(
    sent: list[tuple[str, str]], hidden: list[str], kept: list[str]
) -> None:
    request = httpx.Request(
        "POST", "https://x.test/jobs", headers=[(k.encode(), v.encode()) for k, v in sent]
    )
    echoed = ("you sent " + " and ".join(hidden + kept)).encode()
    shown = redacted(httpx.Response(400, content=echoed), request).content.decode()
    assert shown.count("[redacted]") == len(hidden), shown
    assert all(value in shown for value in kept), shown
