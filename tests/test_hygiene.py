"""Hostile and mistaken input from the command line; secrets kept out of files; TLS kept on."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import jobwise
import pytest
from jobwise import AsyncWriterJobs, WriterJobs
from jobwise.cli import main
from jobwise.transports import AiohttpTransport
from jobwise_emulator import EmulatorServer, run_emulator

from .conftest import TOKEN

UUID = "550e8400-e29b-41d4-a716-446655440000"


def api_requests(base_url: str) -> int:
    by_route = httpx.get(f"{base_url}/_emulator/stats").json()["requests"]
    return sum(sum(codes.values()) for route, codes in by_route.items() if "_emulator" not in route)


CLI_CASES = [
    (["get", ""], "job_id"),
    (["get", "../etc/passwd"], "job_id"),
    (["get", "a/b"], "job_id"),
    (["get", "%2F"], "job_id"),
    (["retry", ".."], "job_id"),
    (["wait", "job", "--timeout", "0"], "--timeout"),
    (["wait", "job", "--timeout", "-5"], "--timeout"),
    (["wait", "job", "--timeout", "soon"], "--timeout"),
    (["list", "app", "--status", "queued"], "--status"),
    (["list", "app", "--limit", "0"], "--limit"),
    (["list", "app", "--limit", "-1"], "--limit"),
    (["list", ".."], "application_id"),
    (["submit", "app", "--input", "novalue"], "--input"),
    (["submit", "app", "--input", "=x"], "--input"),
    (["submit", "a/b", "--input", "P=x"], "application_id"),
    (["submit", "app", "--input", "P=" + "x" * 1_000_001], "inputs"),
    (["batch", "app", "FILE", "--input-name", "P", "--concurrency", "0"], "--concurrency"),
    (["batch", "app", "FILE", "--input-name", "P", "--concurrency", "many"], "--concurrency"),
    (["batch", "app", "FILE", "--input-name", "P", "--retry-failed", "-1"], "--retry-failed"),
    (["batch", "a/b", "FILE", "--input-name", "P"], "application_id"),
    (["batch", "app", "FILE"], "--input-name"),
    (["osapi", "get", "not-a-uuid"], "job_id"),
    (["osapi", "delete", "../" + UUID], "job_id"),
    (["osapi", "list", "--limit", "0"], "--limit"),
    (["osapi", "list", "--status", "skipped"], "--status"),
    (["osapi", "retry", UUID, "--target-hostname", " "], "target_hostname"),
    # A byte the locale could not decode (os.fsdecode's surrogate): a traceback before.
    (["osapi", "retry", UUID, "--target-hostname", "web-\udcff"], "target_hostname"),
    (["batch", "app", "FILE", "--input-name", "P", "--out", "\udcff.jsonl"], "--out"),
    (["batch", "app", "FILE", "--input-name", "P", "--state", "s\udcff"], "--state"),
]


@pytest.mark.parametrize(("args", "argument"), CLI_CASES, ids=lambda v: str(v)[:40])
def test_cli_refuses_bad_input_in_one_line_without_a_request(
    args: list[str],
    argument: str,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    (tmp_path / "in.txt").write_text("one\n")
    args = [str(tmp_path / "in.txt") if a == "FILE" else a for a in args]
    for name, value in (
        ("WRITER_BASE_URL", emulator.base_url),
        ("OSAPI_URL", emulator.base_url),
        ("WRITER_API_KEY", TOKEN),
        ("OSAPI_TOKEN", TOKEN),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    before = api_requests(emulator.base_url)
    try:
        status = main(args)
    except SystemExit as exc:
        status = int(exc.code or 0)
    err = capsys.readouterr().err
    assert status == 2
    assert argument in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert api_requests(emulator.base_url) == before


def test_huge_inputs_are_refused_before_sending() -> None:
    jobs = WriterJobs(TOKEN, "http://127.0.0.1:9")
    with pytest.raises(jobwise.InvalidArgumentError, match="1,000,000 characters"):
        jobs.create("app", {"P": "x" * 1_000_001})


def test_state_file_never_holds_the_key(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"
    with run_emulator(profile="fast", latency=(0.01, 0.02)) as server:
        run = WriterJobs(TOKEN, server.base_url).run_batch("h", [{"P": "x"}], state=str(state))
        assert [item.status for item in run] == ["completed"]
    for path in tmp_path.iterdir():
        assert TOKEN.encode() not in path.read_bytes(), path.name


def test_tls_verification_stays_on() -> None:
    sync = WriterJobs(TOKEN)._connection.network
    asynchronous = AsyncWriterJobs(TOKEN)._connection.network
    for transport in (sync, asynchronous):
        if isinstance(transport, AiohttpTransport):  # httpx-aiohttp, when installed
            context = transport.inner.ssl_context
        else:
            context = transport._pool._ssl_context  # type: ignore[attr-defined]
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_cli_never_prints_the_key_in_errors() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jobwise.cli", "get", "job-1"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "WRITER_API_KEY": "sk-live-very-secret",
            "WRITER_BASE_URL": "http://127.0.0.1:9",
            "PATH": "/usr/bin:/bin",
        },
    )
    assert done.returncode == 6
    assert "sk-live-very-secret" not in done.stderr + done.stdout
    assert done.stderr.startswith("jobwise: error:") and done.stderr.count("\n") == 1
