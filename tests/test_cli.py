"""The command line as a user meets it: help, every command, one-line errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from jobwise.cli import main
from jobwise_emulator import EmulatorServer, run_emulator

from .conftest import TOKEN


@pytest.fixture
def env(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("WRITER_API_KEY", TOKEN)
    monkeypatch.setenv("WRITER_BASE_URL", emulator.base_url)
    monkeypatch.setenv("OSAPI_URL", emulator.base_url)
    monkeypatch.setenv("OSAPI_TOKEN", TOKEN)
    yield emulator.base_url


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_help_lists_commands_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    text = capsys.readouterr().out
    for word in (
        "batch",
        "submit",
        "get",
        "wait",
        "list",
        "retry-failed",
        "osapi",
        "emulator",
        "examples:",
        "WRITER_API_KEY",
    ):
        assert word in text


def test_batch_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["batch", "--help"])
    assert "example: jobwise batch" in capsys.readouterr().out


def test_typo_in_a_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["sumbit", "app"])
    assert caught.value.code == 2
    assert "invalid choice: 'sumbit'" in capsys.readouterr().err


def test_bad_flag_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["batch", "app", "f.txt", "--input-name", "P", "--concurrency", "0"])
    assert caught.value.code == 2
    assert "--concurrency" in capsys.readouterr().err


def test_missing_key_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WRITER_API_KEY", raising=False)
    assert main(["get", "job-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "WRITER_API_KEY" in err and "Traceback" not in err


def test_wrong_key_is_one_line_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with run_emulator(api_key="right", latency=(0, 0)) as server:
        import os

        os.environ["WRITER_BASE_URL"] = server.base_url
        os.environ["WRITER_API_KEY"] = "wrong"
        try:
            assert main(["list", "app"]) == 1
        finally:
            del os.environ["WRITER_BASE_URL"], os.environ["WRITER_API_KEY"]
    err = capsys.readouterr().err
    assert err.startswith("jobwise: error:") and "401" in err and "Traceback" not in err
    assert "wrong" not in err


def test_missing_input_file(capsys: pytest.CaptureFixture[str], env: str) -> None:
    assert main(["batch", "app", "/no/such/file.txt", "--input-name", "P"]) == 2
    assert "no such file: /no/such/file.txt" in capsys.readouterr().err


def test_writer_commands(capsys: pytest.CaptureFixture[str], env: str) -> None:
    created = run_json(capsys, "submit", "cli-app", "--input", "Product=Terra shoe")
    assert created["status"] == "in_progress"
    waited = run_json(capsys, "wait", created["id"], "--timeout", "30")
    assert waited["status"] == "completed" and "Terra shoe" in waited["data"]["suggestion"]
    assert run_json(capsys, "get", created["id"])["id"] == created["id"]
    assert main(["submit", "cli-app", "--input", "Product=fail now", "--wait"]) == 1
    capsys.readouterr()
    failed = run_json(capsys, "list", "cli-app", "--status", "failed")
    assert len(failed) == 1 and failed[0]["status"] == "failed"
    assert len(run_json(capsys, "list", "cli-app", "--limit", "1")) == 1
    again = run_json(capsys, "retry-failed", "cli-app")
    assert [job["id"] for job in again] == [failed[0]["id"]]
    assert main(["retry", created["id"]]) == 1
    assert "409" in capsys.readouterr().err


def test_plain_output_is_readable(capsys: pytest.CaptureFixture[str], env: str) -> None:
    assert main(["submit", "cli-plain", "--input", "Product=Aqua", "--wait"]) == 0
    text = capsys.readouterr().out
    assert "completed" in text and "Aqua" in text


def test_osapi_commands(capsys: pytest.CaptureFixture[str], env: str) -> None:
    (job_id,) = httpx.post(f"{env}/_emulator/osapi/jobs").json()["job_ids"]
    assert run_json(capsys, "osapi", "get", job_id)["id"] == job_id
    assert run_json(capsys, "osapi", "wait", job_id)["status"] == "completed"
    assert any(job["id"] == job_id for job in run_json(capsys, "osapi", "list"))
    assert run_json(capsys, "osapi", "retry", job_id, "--target-hostname", "a")["status"] == (
        "unprocessed"
    )
    assert run_json(capsys, "osapi", "delete", job_id)["status"] == "deleted"
    assert main(["osapi", "get", "not-a-uuid"]) == 2
    assert "job_id" in capsys.readouterr().err


def test_emulator_subcommand_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["emulator", "--help"])
    assert caught.value.code == 0
    assert "--fail-rate" in capsys.readouterr().out
