"""JOBWISE_LOG / WRITER_LOG in a plain script, as writer-sdk honours WRITER_LOG; the CLI's own
lines unchanged."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from jobwise.logs import env_level

from .cli_support import jobwise as run_jobwise

SCRIPT = """
import logging, httpx, jobwise
from tests.fakes import job_body
transport = httpx.MockTransport(lambda request: httpx.Response(200, json=job_body()))
with jobwise.WriterJobs("k", "https://api.example.test", transport=transport) as jobs:
    jobs.retrieve("job-1")
print(len(logging.getLogger().handlers), logging.getLogger("jobwise").level)
"""


def run_script(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("WRITER_LOG", "JOBWISE_LOG")}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=environment | env,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        timeout=60,
        check=True,
    )


@pytest.mark.parametrize("variable", ["WRITER_LOG", "JOBWISE_LOG"])
def test_debug_logs_a_request_line_from_a_plain_script(variable: str) -> None:
    done = run_script(**{variable: "debug"})
    (line,) = [line for line in done.stderr.splitlines() if "HTTP Request" in line]
    assert "DEBUG] HTTP Request: GET https://api.example.test/v1/applications/jobs/job-1" in line
    assert '"HTTP/1.1 200 OK"' in line and line.startswith("[")
    assert done.stdout.split() == ["1", "10"]


def test_unset_adds_no_handler_and_logs_nothing() -> None:
    done = run_script()
    assert done.stderr == ""
    assert done.stdout.split() == ["0", "0"]  # no handler, the level not set


def test_levels_read_from_the_environment() -> None:
    assert env_level({}) is None
    assert env_level({"WRITER_LOG": "info"}) == 20
    assert env_level({"WRITER_LOG": "info", "JOBWISE_LOG": "debug"}) == 10
    assert env_level({"WRITER_LOG": "loud"}) is None


def test_the_cli_prints_its_own_lines_once() -> None:
    done = run_jobwise("get", "job-1", env={"WRITER_LOG": "debug"}, timeout=60)
    assert done.returncode == 6
    lines = done.stderr.splitlines()
    retries = [line for line in lines if "got ConnectError; retry" in line]
    assert len(retries) == 4 and all(line.startswith("INFO jobwise: GET ") for line in retries)
    assert not any(line.startswith("[") for line in lines), done.stderr  # no second handler
