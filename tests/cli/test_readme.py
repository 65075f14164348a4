"""README's examples run as written, against an emulator; its exit codes are the CLI's."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from jobwise import OsapiJobs
from jobwise.cli.errors import EXIT_CODES
from jobwise_emulator import EmulatorServer, run_emulator

from ..cli_support import JOBWISE, TOKEN

ROOT = Path(__file__).resolve().parent.parent.parent
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with run_emulator(profile="fast", latency=(0.01, 0.03), seed=5) as found:
        yield found


@pytest.fixture
def user_env(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("WRITER_API_KEY", TOKEN)
    monkeypatch.setenv("WRITER_BASE_URL", server.base_url)
    monkeypatch.setenv("OSAPI_URL", server.base_url)
    monkeypatch.setenv("OSAPI_TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_python_example_runs_as_written(
    user_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, async_code = blocks(section("Use"), "python")
    assert "create_and_wait" in code and "names = [" in code
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "completed" in printed and "'total': 3" in printed
    assert (user_env / "run.sqlite").exists()
    assert "AsyncWriterJobs" in async_code and "async for" in async_code
    exec(compile(async_code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert printed.startswith("completed\n")
    assert "\n0 completed # Generated" in printed and "\n1 completed # Generated" in printed
    assert (user_env / "async-run.sqlite").exists()


def test_the_osapi_example_runs_as_written(
    user_env: Path, server: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    make = f"{server.base_url}/_emulator/osapi/jobs"
    (job_id,) = httpx.post(make, json={"hosts": ["a"], "failing_hosts": ["a"]}).json()["job_ids"]
    with OsapiJobs(server.base_url, TOKEN) as jobs:
        assert jobs.wait(job_id, timeout=10).status == "failed"
    (code,) = blocks(section("osapi"), "python")
    exec(compile(code, "README.md", "exec"), {})
    old, arrow, new_id, status = capsys.readouterr().out.split("\n")[0].split()
    assert arrow == "->" and old == job_id and new_id != job_id and status == "completed"
    exec(compile(code, "README.md", "exec"), {})  # run again: that job is not retried twice
    assert job_id not in capsys.readouterr().out


def test_the_batch_commands_run_as_written(
    user_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (script,) = blocks(section("Batches"), "sh")
    (user_env / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "products.txt", user_env / "examples")
    commands = [
        line
        for line in script.replace("\\\n", " ").splitlines()
        if line.startswith(("jobwise ", "cat "))
    ]
    assert len(commands) == 3
    env = {**os.environ, "PATH": f"{Path(JOBWISE).parent}:{os.environ['PATH']}"}
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, env=env, timeout=180
        )
        assert done.returncode == 1, done.stderr  # two products fail on purpose
        assert "inputs did not complete" in done.stderr
    lines = (user_env / "results.jsonl").read_text().splitlines()
    assert len(lines) == 200 and json.loads(lines[0])["line"] == 1
    assert (user_env / "results.csv").read_text().startswith("Product name,line,status,")
    assert len((user_env / "piped.jsonl").read_text().splitlines()) == 200
    assert (user_env / "products.state").exists()
    (code,) = blocks(section("Batches"), "python")
    exec(compile(code, "README.md", "exec"), {})
    printed = re.findall(r"^(\d+) (\w+) ", capsys.readouterr().out, re.M)  # suggestions span lines
    assert [int(index) for index, _ in printed] == list(range(200))
    assert [status for _, status in printed].count("failed") == 2


def test_readme_lists_the_exit_codes_of_the_cli() -> None:
    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README, re.M))
    assert table == {str(code): meaning for code, meaning in EXIT_CODES}
