"""The command line as a user meets it: help, every command, one-line errors, exit codes."""

from __future__ import annotations

import argparse
import io
import json
import logging
import re
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import jobwise
import pytest
from jobwise.cli import main
from jobwise.cli.errors import EXIT_CODES, classify
from jobwise.cli.output import progress_line
from jobwise.cli.parser import Parsers
from jobwise.cli.verbosity import configure_logging, log_level
from jobwise_emulator import EmulatorServer, run_emulator
from rich.console import Console

from ..cli_support import TOKEN
from ..cli_support import jobwise as run_jobwise
from ..misbehaving import never_answers


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


def usage_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


# help -----------------------------------------------------------------------------------------


def test_help_lists_commands_examples_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    text = capsys.readouterr().out
    for word in ("batch", "submit", "retry-failed", "osapi", "emulator", "WRITER_API_KEY"):
        assert word in text
    assert "examples:" in text and "JOBWISE_LOG" in text and "exit codes:" in text
    for code, meaning in EXIT_CODES:
        assert f"  {code:<4} {meaning}" in text
    assert len({code for code, _ in EXIT_CODES}) == len(EXIT_CODES)


def test_every_command_has_a_description_and_every_positional_a_help() -> None:
    parsers = Parsers()
    assert len(parsers.by_path) >= 13
    for path, parser in parsers.by_path.items():
        assert parser.description, path
        for action in parser._actions:
            if not action.option_strings and not isinstance(action, argparse._SubParsersAction):
                assert action.help, (path, action.dest)


def test_defaults_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["batch", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for shown in ("(default: 16)", "(default: 0)", "(default: results.jsonl)", "OUT.state.sqlite"):
        assert shown in text
    assert "example: jobwise batch" in text


def test_typo_in_a_command_gets_a_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(capsys, "sumbit", "app")
    assert "did you mean 'submit'?" in err and "jobwise --help" in err
    assert "did you mean 'list'" in usage_error(capsys, "osapi", "lsit")


def test_unknown_flag_points_at_the_commands_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(capsys, "list", "--stauts", "failed")
    assert "'--stauts'" in err and "did you mean '--status'?" in err
    assert "(see: jobwise list --help)" in err
    err = usage_error(capsys, "list", "app", "--status", "faild")
    assert "did you mean 'failed'?" in err


def test_a_misspelt_required_option_gets_a_did_you_mean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """argparse names the missing option first, and hid the hint for the misspelt one."""
    err = usage_error(capsys, "batch", "app", "in.txt", "--input-nme", "x")
    assert "required: --input-name" in err
    assert "'--input-nme' is not an option; did you mean '--input-name'?" in err


def test_a_python_argument_name_points_at_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    # run_batch(deadline=...) is --timeout here; difflib found nothing close to suggest.
    err = usage_error(capsys, "batch", "app", "in.txt", "--input-name", "P", "--deadline", "5")
    assert "unknown option '--deadline'; did you mean '--timeout'?" in err
    err = usage_error(capsys, "batch", "app", "in.txt", "--input-name", "P", "--rate_limit", "5")
    assert "did you mean '--rpm'?" in err


def test_bad_flag_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(capsys, "batch", "app", "f.txt", "--input-name", "P", "--concurrency", "0")
    assert "--concurrency" in err and "jobwise batch --help" in err


def test_usage_error_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--stauts", "x", "--json"]) == 2
    error = json.loads(capsys.readouterr().err)["error"]
    assert error["type"] == "UsageError" and error["exit_code"] == 2
    assert "--status" in error["message"]


# errors and exit codes ------------------------------------------------------------------------


def test_missing_key_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WRITER_API_KEY", raising=False)
    assert main(["get", "job-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "WRITER_API_KEY" in err and "Traceback" not in err


def test_wrong_key_exits_3_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with run_emulator(profile="fast", api_key="right", latency=(0, 0)) as server:
        monkeypatch.setenv("WRITER_BASE_URL", server.base_url)
        monkeypatch.setenv("WRITER_API_KEY", "wrong")
        assert main(["list", "app"]) == 3
        err = capsys.readouterr().err
        assert main(["get", "job-1", "--json"]) == 3
        error = json.loads(capsys.readouterr().err)["error"]
        monkeypatch.setenv("OSAPI_URL", server.base_url)
        monkeypatch.setenv("OSAPI_TOKEN", "wrong")
        assert main(["osapi", "list"]) == 3
        osapi_err = capsys.readouterr().err
    assert err.startswith("jobwise: error:") and "401" in err and "Traceback" not in err
    assert "wrong" not in err
    # The line names the fix: the variable the key came from (it named only the 401 before).
    assert err.rstrip().endswith("the server refused the key: check WRITER_API_KEY"), err
    assert osapi_err.rstrip().endswith("check OSAPI_TOKEN"), osapi_err
    assert error["type"] == "AuthenticationError" and error["exit_code"] == 3


def test_missing_input_file(capsys: pytest.CaptureFixture[str], env: str) -> None:
    assert main(["batch", "app", "/no/such/file.txt", "--input-name", "P"]) == 2
    assert "FILE /no/such/file.txt: no such file" in capsys.readouterr().err


def test_not_found_exits_4_at_once_even_for_wait(
    capsys: pytest.CaptureFixture[str], env: str
) -> None:
    started = time.monotonic()
    assert main(["wait", "no-such-job"]) == 4
    assert time.monotonic() - started < 3
    assert "404" in capsys.readouterr().err
    assert main(["get", "no-such-job", "--json"]) == 4
    error = json.loads(capsys.readouterr().err)["error"]
    assert error == {"type": "NotFoundError", "message": error["message"], "exit_code": 4}


def test_an_application_that_does_not_exist_is_named_with_the_fix(
    capsys: pytest.CaptureFixture[str], env: str
) -> None:
    """A create's 404 said only "answered 404": the line now names the application id."""
    httpx.post(f"{env}/_emulator/script", json={"answers": [{"status": 404}]}, timeout=10)
    assert main(["submit", "no-such-app", "--input", "P=x"]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "404" in err
    assert "no application 'no-such-app' at this base URL: check APP_ID" in err, err


def test_wait_timeout_exits_5_and_prints_the_last_job_seen(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with run_emulator(profile="fast", latency=(30, 30)) as server:
        monkeypatch.setenv("WRITER_API_KEY", TOKEN)
        monkeypatch.setenv("WRITER_BASE_URL", server.base_url)
        created = run_json(capsys, "submit", "slow-app", "--input", "P=slow")
        assert main(["wait", created["id"], "--timeout", "0.5", "--json"]) == 5
    captured = capsys.readouterr()
    assert json.loads(captured.out) | {"status": "in_progress"} == json.loads(captured.out)
    assert json.loads(captured.out)["id"] == created["id"]
    assert json.loads(captured.err)["error"]["type"] == "WaitTimeoutError"


def test_ctrl_c_while_waiting_says_how_to_come_back(
    capsys: pytest.CaptureFixture[str], env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(jobwise.WriterJobs, "wait", interrupted)
    assert main(["submit", "cli-int", "--input", "P=Aqua", "--wait"]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "come back with `jobwise wait " in err


def test_unreachable_server_exits_6() -> None:
    done = run_jobwise("osapi", "list", "--base-url", "http://127.0.0.1:9", "--json")
    assert done.returncode == 6, done.stderr
    error = json.loads(done.stderr)["error"]
    assert error["type"] == "APIConnectionError"
    # It named only httpx's ConnectError before: now the fix, the base URL and its variable.
    assert error["message"].endswith("check that a server runs there (--base-url, or OSAPI_URL)")


def test_a_batch_stopped_by_a_server_it_never_reached_names_the_base_url() -> None:
    """A stalled batch's error holds no request: its hint names the Writer variable."""
    stalled = jobwise.ServerUnavailableError(
        "no usable answer from http://127.0.0.1:1 for 60 s (last: POST http://127.0.0.1:1/v1/"
        "applications/app/jobs failed: ConnectError: Cannot connect to host 127.0.0.1:1)",
        None,
    )
    code, message = classify(stalled)
    assert code == 6 and message.endswith("(--base-url, or WRITER_BASE_URL)")
    timed_out = jobwise.ServerUnavailableError("no usable answer (last: ReadTimeout)", None)
    assert "could not connect" not in classify(timed_out)[1]


@pytest.mark.parametrize("command", [("get", "abc"), ("osapi", "list")])
def test_every_command_takes_a_request_timeout(
    command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only `batch` had it: a `get` from a server that never answers took 120 s to fail."""
    monkeypatch.setenv("WRITER_API_KEY", TOKEN)
    monkeypatch.setenv("OSAPI_TOKEN", TOKEN)
    with never_answers() as url:
        started = time.monotonic()
        done = run_jobwise(*command, "--base-url", url, "--request-timeout", "0.3")
        took = time.monotonic() - started
    assert done.returncode == 6, done.stderr
    assert "timed out" in done.stderr
    # Its retries' jittered backoff alone may take 7.5 s, and a process starting on a loaded
    # machine a few more (15.3 s seen beside the simulator): the bound is what was wrong, 120 s.
    assert took < 60


# commands -------------------------------------------------------------------------------------


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
    again = run_json(capsys, "retry-failed", "cli-app")
    assert [job["id"] for job in again] == [failed[0]["id"]]
    assert main(["retry", created["id"]]) == 8
    assert "409" in capsys.readouterr().err


def test_list_streams_every_job_and_a_limit_says_there_are_more(
    capsys: pytest.CaptureFixture[str], env: str
) -> None:
    with jobwise.WriterJobs(TOKEN, env) as jobs:
        for n in range(25):
            jobs.create("cli-many", {"P": f"item {n}"})
    assert len(run_json(capsys, "list", "cli-many")) == 25
    assert main(["list", "cli-many", "--limit", "3", "--json"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 3
    assert "first 3" in captured.err and "--limit" in captured.err
    assert len(run_json(capsys, "list", "cli-many", "--limit", "25")) == 25
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", [("list", "app"), ("osapi", "list")])
def test_list_json_prints_nothing_when_the_first_page_is_refused(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """stdout held a lone `[`: a script piping it into jq got a parse error, not the 401."""
    with run_emulator(profile="fast", api_key="right", latency=(0, 0)) as server:
        for name in ("WRITER_BASE_URL", "OSAPI_URL"):
            monkeypatch.setenv(name, server.base_url)
        for name in ("WRITER_API_KEY", "OSAPI_TOKEN"):
            monkeypatch.setenv(name, "wrong")
        assert main([*command, "--json"]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert json.loads(captured.err)["error"]["exit_code"] == 3


@pytest.mark.parametrize("api", ["writer", "osapi"])
def test_list_json_cut_short_by_an_error_is_still_one_json_array(api: str) -> None:
    """A page that fails after the first has been printed ends the array, exits non-zero."""
    with run_emulator(profile="fast", latency=(0, 0)) as server:
        if api == "writer":  # newest first: the unreadable page is the second
            with jobwise.WriterJobs(TOKEN, server.base_url) as jobs:
                jobs.create("cut", {"P": "garbage-page"})
                for n in range(100):
                    jobs.create("cut", {"P": f"item {n}"})
            command: tuple[str, ...] = ("list", "cut")
        else:
            httpx.post(f"{server.base_url}/_emulator/osapi/jobs", json={"garbage": "page"})
            httpx.post(f"{server.base_url}/_emulator/osapi/jobs", json={"count": 100})
            command = ("osapi", "list")
        done = run_jobwise(*command, "--json", base_url=server.base_url)
    assert done.returncode == 8, done.stderr
    assert len(json.loads(done.stdout)) == 100
    assert json.loads(done.stderr)["error"]["type"] == "InvalidResponseError"


def test_plain_output_is_readable_and_quiet_off_a_terminal(
    capsys: pytest.CaptureFixture[str], env: str
) -> None:
    assert main(["submit", "cli-plain", "--input", "Product=Aqua", "--wait"]) == 0
    captured = capsys.readouterr()
    assert "completed" in captured.out and "Aqua" in captured.out
    assert captured.err == ""  # the status line shows on a terminal only


def test_osapi_commands(capsys: pytest.CaptureFixture[str], env: str) -> None:
    (job_id,) = httpx.post(f"{env}/_emulator/osapi/jobs").json()["job_ids"]
    assert run_json(capsys, "osapi", "get", job_id)["id"] == job_id
    assert run_json(capsys, "osapi", "wait", job_id)["status"] == "completed"
    assert any(job["id"] == job_id for job in run_json(capsys, "osapi", "list"))
    for flag in ("--url", "--base-url"):
        listed = run_json(capsys, "osapi", "list", flag, env, "--limit", "100")
        assert any(job["id"] == job_id for job in listed)
    retried = run_json(capsys, "osapi", "retry", job_id, "--target-hostname", "agent-01")
    assert retried["status"] == "created" and retried["id"] != job_id
    assert run_json(capsys, "osapi", "delete", job_id)["status"] == "deleted"
    assert main(["osapi", "get", "not-a-uuid"]) == 2
    assert "job_id" in capsys.readouterr().err


def test_base_url_works_on_writer_commands(
    capsys: pytest.CaptureFixture[str], env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WRITER_BASE_URL", "http://127.0.0.1:9")
    assert isinstance(run_json(capsys, "list", "cli-app", "--base-url", env), list)


def test_emulator_subcommand_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["emulator", "--help"])
    assert caught.value.code == 0
    assert "--fail-rate" in capsys.readouterr().out


# progress and logging -------------------------------------------------------------------------


def test_progress_line_reads_at_40_and_80_columns() -> None:
    from jobwise.cli.output import batch_bar

    # run_batch's Progress, by its public fields only (its module is moving)
    progress = SimpleNamespace(done=1237, failed=3, in_flight=40, rate=12.37, elapsed=100.0)
    for width in (40, 80):
        line = progress_line(progress, 2000, width)
        assert line.startswith("1,237/2,000 61%") and len(line) <= width
        assert "3 failed" in line and "ETA 1:" in line
        assert "in flight" not in line
    assert "40 jobs waiting" in progress_line(progress, 2000, 80)
    assert progress_line(progress, None, 80).startswith("1,237 done")
    for width in (40, 80):
        screen = io.StringIO()
        console = Console(file=screen, width=width, force_terminal=True, color_system=None)
        with batch_bar(2000, quiet=False, console=console) as on_progress:
            on_progress(progress)
        shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())
        last = shown.replace("\r", "\n").strip().splitlines()[-1]
        assert last.startswith("1,237/2,000 61%") and len(last) <= width, last


def test_logging_levels_and_httpx_lines() -> None:
    assert log_level(0, {}) == logging.WARNING
    assert log_level(1, {}) == logging.INFO
    assert log_level(2, {}) == logging.DEBUG
    assert log_level(0, {"JOBWISE_LOG": "debug"}) == logging.DEBUG
    assert log_level(0, {"WRITER_LOG": "info"}) == logging.INFO
    jobwise_logger, httpx_logger = logging.getLogger("jobwise"), logging.getLogger("httpx")
    saved = jobwise_logger.level, httpx_logger.level
    try:
        configure_logging(1, {})
        assert jobwise_logger.getEffectiveLevel() == logging.INFO
        assert httpx_logger.getEffectiveLevel() == logging.WARNING
        configure_logging(2, {})
        assert httpx_logger.getEffectiveLevel() == logging.INFO
        configure_logging(0, {})
        assert not jobwise_logger.handlers and not httpx_logger.handlers
    finally:
        jobwise_logger.setLevel(saved[0])
        httpx_logger.setLevel(saved[1])


def test_verbose_logs_retries_to_stderr() -> None:
    with run_emulator(profile="fast", latency=(0, 0), error_rate=1.0, seed=2) as server:
        done = run_jobwise("get", "job-1", base_url=server.base_url, env={"JOBWISE_LOG": "info"})
    assert done.returncode == 6
    assert "retry 1 of" in done.stderr and "HTTP Request" not in done.stderr
