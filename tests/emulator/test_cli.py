"""``python -m jobwise_emulator``: the URL printed, stopped by a signal, bad flags in one line,
flags made into the config."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest
from jobwise_emulator.cli import build_parser, config_from_args

from .support import AUTH

EMULATOR = [sys.executable, "-m", "jobwise_emulator"]


def emulator(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m jobwise_emulator ARGS``, run to its end."""
    return subprocess.run([*EMULATOR, *args], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_command_line_prints_url_and_stops_on_a_signal(signum: int) -> None:
    proc = subprocess.Popen(
        [*EMULATOR, "--port", "0", "--profile", "fast", "--latency", "0-0"],
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
    result = emulator("--fail-rate", "2")
    assert result.returncode == 2
    assert "--fail-rate" in result.stderr and "probability" in result.stderr


def test_command_line_errors_are_one_line_and_loopback_only() -> None:
    """They printed the whole usage first; a typo got no hint; --host 0.0.0.0 served the
    network though the help says loopback; a port in use said only [Errno 98]."""

    def error(*args: str) -> str:
        done = emulator(*args)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "(see: python -m jobwise_emulator --help)" in done.stderr
        return done.stderr

    assert "did you mean '--port'?" in error("--prot", "8080")
    assert "not loopback; pass --public" in error("--host", "0.0.0.0")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        assert f"cannot serve on 127.0.0.1 port {port}: " in error("--port", port)


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
