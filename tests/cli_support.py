"""Helpers of the CLI tests: run the real ``jobwise`` command, count what reached the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from .recording import TOKEN

JOBWISE = str(Path(sys.executable).parent / "jobwise")


def api_requests(base_url: str) -> int:
    """Requests the emulator answered on its API routes (its /_emulator routes left out)."""
    stats = httpx.get(f"{base_url}/_emulator/stats", timeout=10).json()
    return sum(
        count
        for route, by_status in stats["requests"].items()
        if "/_emulator" not in route
        for count in by_status.values()
    )


def jobwise(
    *args: str,
    base_url: str = "http://127.0.0.1:9",
    stdin: str | bytes | None = None,
    cwd: Path | None = None,
    user: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``jobwise ARGS`` as a user would (optionally as another user: ``user`` prefix)."""
    environment = {
        **os.environ,
        "WRITER_API_KEY": TOKEN,
        "WRITER_BASE_URL": base_url,
        "OSAPI_URL": base_url,
        "OSAPI_TOKEN": TOKEN,
        **(env or {}),
    }
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(
        [*(user or []), JOBWISE, *args],
        input=data,
        capture_output=True,
        env=environment,
        cwd=cwd,
        timeout=timeout,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def one_error_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """The single line a failed command printed, checked to name each of ``words``."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobwise.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=timeout,
    )


def read_results(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]
