"""``jobwise batch`` as a user runs it: input files, stdin, paths, results files, Ctrl-C.

Each bad-input case runs the real command and checks the exit code, the one line naming the
problem, and that no request reached the emulator.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jobwise import AsyncWriterJobs
from jobwise.batch.state import BatchState
from jobwise.cli import inputs as cli_inputs
from jobwise.cli import main
from jobwise.cli import results as cli_results
from jobwise.cli.inputs import InputFile
from jobwise_emulator import EmulatorServer, run_emulator

from ..cli_support import (
    JOBWISE,
    TOKEN,
    api_requests,
    cli,
    jobwise,
    one_error_line,
    read_results,
)


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with run_emulator(profile="fast", latency=(0.02, 0.05), seed=3) as found:
        yield found


def results(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def batch(
    server: EmulatorServer, file: object, out: object, *extra: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``jobwise batch app FILE --input-name P --out OUT EXTRA...``."""
    args = ("batch", "app", str(file), "--input-name", "P", "--out", str(out), *extra)
    return jobwise(*args, base_url=server.base_url, stdin=stdin)


def refused(
    server: EmulatorServer,
    file: object,
    out: object,
    *extra: str,
    words: tuple[str, ...],
    stdin: str | None = None,
) -> str:
    """Run a batch that must be refused before any request; returns its error line."""
    before = api_requests(server.base_url)
    done = batch(server, file, out, *extra, stdin=stdin)
    assert done.returncode == 2, done.stderr
    line = one_error_line(done, *words)
    assert api_requests(server.base_url) == before
    return line


# CSV ----------------------------------------------------------------------------------------


def test_csv_without_the_input_column_is_refused_naming_the_columns(
    server: EmulatorServer, tmp_path: Path
) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("Name,Colour\nTerra shoe,red\n")
    out = tmp_path / "r.jsonl"
    words = (str(sheet), "'P'", "'Name', 'Colour'", "--column", "--no-header")
    assert refused(server, sheet, out, words=words).startswith("jobwise: error:")
    assert not out.exists()


def test_csv_column_by_name_and_no_header_by_number(server: EmulatorServer, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("Name,Colour\nTerra shoe,red\n\nAqua goggles,blue\n")
    out = tmp_path / "r.jsonl"
    done = batch(server, sheet, out, "--column", "Name", "--quiet")
    assert done.returncode == 0, done.stderr
    found = results(out)
    assert [(r["index"], r["line"]) for r in found] == [(0, 2), (1, 4)]
    assert found[0]["inputs"] == {"P": ["Terra shoe"]}

    headless = tmp_path / "headless.csv"
    headless.write_text("red,Terra shoe\nblue,Aqua goggles\n")
    done = batch(server, headless, out, "--no-header", "--column", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    found = results(out)
    assert [r["inputs"]["P"] for r in found] == [["Terra shoe"], ["Aqua goggles"]]
    assert [r["line"] for r in found] == [1, 2]  # the first row is data, not a lost header


def test_csv_field_over_the_default_limit_is_read(server: EmulatorServer, tmp_path: Path) -> None:
    sheet = tmp_path / "long.csv"
    long_text = "x" * 200_000
    sheet.write_text(f"P\n{long_text}\n")
    out = tmp_path / "r.jsonl"
    done = batch(server, sheet, out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert results(out)[0]["inputs"]["P"] == [long_text]


def test_csv_field_over_our_limit_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_inputs, "CSV_FIELD_LIMIT", 1000)
    sheet = tmp_path / "long.csv"
    sheet.write_text("P\nshort\n" + "y" * 2000 + "\n")
    with pytest.raises(cli_inputs.UsageError) as caught, InputFile(str(sheet), "csv", "P") as f:
        list(f)
    assert f"{sheet}:3: a field is longer than 1,000 characters" in str(caught.value)


def test_a_line_too_long_to_be_an_input_is_refused_without_reading_it_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /dev/zero as input filled the machine's memory before (one endless line).
    monkeypatch.setattr(cli_inputs, "MAX_LINE_BYTES", 1000)
    endless = tmp_path / "zero.txt"
    endless.write_bytes(b"ok\n" + b"\0" * 5000)
    with pytest.raises(cli_inputs.UsageError) as caught, InputFile(str(endless), "txt", "P") as f:
        list(f)
    assert f"{endless}:2: a line longer than 1,000 bytes" in str(caught.value)


def test_a_closed_stdin_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `jobwise batch app - <&-` was an AttributeError traceback.
    monkeypatch.setattr("sys.stdin", None)
    monkeypatch.setenv("WRITER_API_KEY", TOKEN)
    assert main(["batch", "app", "-", "--input-name", "P", "--out", str(tmp_path / "r.jsonl")]) == 2
    err = capsys.readouterr().err
    assert (
        err == "jobwise: error: FILE -: stdin is closed; give a file of inputs, or pipe them in\n"
    )


def test_results_as_csv_put_the_input_columns_first(server: EmulatorServer, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("P,Colour\nTerra shoe,red\nfail me,blue\n")
    out = tmp_path / "results.csv"
    done = batch(server, sheet, out, "--quiet")
    assert done.returncode == 1, done.stderr
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0] == ["P", "Colour", "line", "status", "job_id", "suggestion", "error"]
    assert rows[1][:4] == ["Terra shoe", "red", "2", "completed"] and "Terra shoe" in rows[1][5]
    assert rows[2][:4] == ["fail me", "blue", "3", "failed"] and rows[2][6]


# stdin ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["-", "/dev/stdin"])
def test_stdin_is_read_once_and_counted(server: EmulatorServer, tmp_path: Path, name: str) -> None:
    out = tmp_path / "r.jsonl"
    done = batch(server, name, out, "--json", stdin="alpha\n\nbeta\ngamma\n")
    assert done.returncode == 0, done.stderr
    found = results(out)
    assert [r["inputs"]["P"] for r in found] == [["alpha"], ["beta"], ["gamma"]]
    assert [r["line"] for r in found] == [1, 3, 4]
    assert json.loads(done.stdout)["summary"]["total"] == 3


def test_a_bad_line_on_stdin_is_refused_naming_it_before_anything_is_sent(
    server: EmulatorServer, tmp_path: Path
) -> None:
    # Before: the lines above it were sent as they were read, and the run then stopped.
    out = tmp_path / "r.jsonl"
    lines = '{"P": "a"}\n{"P": "b"}\nnope\n{"P": "c"}\n'
    refused(server, "-", out, "--format", "jsonl", words=("stdin:3", "JSON"), stdin=lines)
    lone = '{"P": "a"}\n\n{"P": "lone \\udc80"}\n'
    refused(server, "-", out, "--format", "jsonl", words=("stdin:3", "surrogate"), stdin=lone)
    assert not out.exists()


def test_stdin_csv_header_is_checked_before_any_request(
    server: EmulatorServer, tmp_path: Path
) -> None:
    words = ("stdin", "'A', 'B'")
    refused(server, "-", tmp_path / "r.jsonl", "--format", "csv", words=words, stdin="A,B\n1,2\n")


@pytest.mark.parametrize(
    ("data", "where", "fmt"),
    [
        ("P,Colour\nshoe,red\n", "stdin:1", "csv"),
        ('"Colour", "P"\nred,shoe\n', "stdin:1", "csv"),
        ('\n  {"P": "shoe"}\n{"P": "hat"}\n', "stdin:2", "jsonl"),
        ('["shoe", "hat"]\n', "stdin:1", "jsonl"),
    ],
)
def test_stdin_of_csv_or_json_lines_without_format_is_refused(
    server: EmulatorServer, tmp_path: Path, data: str, where: str, fmt: str
) -> None:
    """Read as text, each line went out whole as a job's input (the CSV header too), exit 0."""
    words = (where, f"--format {fmt}", "--format txt")
    refused(server, "-", tmp_path / "r.jsonl", words=words, stdin=data)


def test_stdin_text_is_peeked_without_losing_a_line(server: EmulatorServer, tmp_path: Path) -> None:
    """The first line read to check it is sent too; --format txt sends a header as it is."""
    out = tmp_path / "r.jsonl"
    done = batch(server, "-", out, "--quiet", stdin="\nName,Colour\nshoe, red\n")
    assert done.returncode == 0, done.stderr
    assert [(r["line"], r["inputs"]["P"]) for r in results(out)] == [
        (2, ["Name,Colour"]),
        (3, ["shoe, red"]),
    ]
    out = tmp_path / "as-is.jsonl"
    done = batch(server, "-", out, "--quiet", "--format", "txt", stdin="P,Colour\nshoe,red\n")
    assert done.returncode == 0, done.stderr
    assert [r["inputs"]["P"] for r in results(out)] == [["P,Colour"], ["shoe,red"]]


# files and paths ------------------------------------------------------------------------------


def test_out_equal_to_input_or_state_is_refused(server: EmulatorServer, tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("alpha\n")
    refused(server, names, names, words=("--out", str(names), "input file"))
    assert names.read_text() == "alpha\n"
    state = tmp_path / "s.sqlite"
    refused(server, names, state, "--state", str(state), words=("--out", "state file"))
    other = tmp_path / "other.txt"  # another batch's inputs: it was overwritten as JSON lines
    other.write_text("beta\n")
    refused(server, names, other, words=("--out", str(other), ".jsonl", ".csv"))
    assert other.read_text() == "beta\n"


def test_out_in_a_missing_folder_or_on_a_directory_is_refused(
    server: EmulatorServer, tmp_path: Path
) -> None:
    names = tmp_path / "names.txt"
    names.write_text("alpha\n")
    state = ("--state", str(tmp_path / "s.sqlite"))
    missing = tmp_path / "no" / "such" / "r.jsonl"
    line = refused(server, names, missing, *state, words=(str(missing), "does not exist"))
    assert ".tmp" not in line and ".writing" not in line
    refused(server, names, tmp_path, *state, words=(str(tmp_path), "is a directory"))


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="jobwise-cli-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in (folder, *folder.rglob("*")):
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def _unprivileged() -> list[str]:
    """Run as nobody when the tests run as root (root may write in a read-only folder)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv: cannot test a read-only folder")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.mark.parametrize("which", ["--out", "--state"])
def test_read_only_folder_is_refused_before_any_request(
    server: EmulatorServer, shared_dir: Path, which: str
) -> None:
    names = shared_dir / "names.txt"
    names.write_text("alpha\n")
    names.chmod(0o644)
    locked = shared_dir / "locked"
    locked.mkdir()
    writable = shared_dir / "open"
    writable.mkdir(mode=0o777)
    writable.chmod(0o777)
    locked.chmod(0o555)
    paths = {"--out": str(writable / "r.jsonl"), "--state": str(writable / "s.sqlite")}
    paths[which] = str(locked / ("r.jsonl" if which == "--out" else "s.sqlite"))
    before = api_requests(server.base_url)
    done = jobwise(
        "batch",
        "app",
        str(names),
        "--input-name",
        "P",
        "--out",
        paths["--out"],
        "--state",
        paths["--state"],
        base_url=server.base_url,
        user=_unprivileged(),
    )
    assert done.returncode == 2, done.stderr
    one_error_line(done, which, paths[which], "cannot write")
    assert api_requests(server.base_url) == before
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize("name", ["", "  "])
def test_a_blank_input_name_is_refused_before_anything_is_read(
    server: EmulatorServer, tmp_path: Path, name: str
) -> None:
    """It was taken: every input was sent under no name and ended invalid, exit 1."""
    names = tmp_path / "in.txt"
    names.write_text("alpha\n")
    out = tmp_path / "r.jsonl"
    refused(server, names, out, "--input-name", name, words=("--input-name", "field name"))
    assert not out.exists() and not Path(f"{out}.state.sqlite").exists()


def test_a_state_file_of_other_inputs_says_which_line_and_how_to_start_over(
    server: EmulatorServer, tmp_path: Path
) -> None:
    """It said "input 0 differs; pass another state file": zero-based, and no hint of what
    changed or how to start over."""
    names = tmp_path / "in.txt"
    names.write_text("alpha\nbeta\n")
    out = tmp_path / "r.jsonl"
    assert batch(server, names, out, "--quiet").returncode == 0
    kept = out.read_text()
    state = f"{out}.state.sqlite"
    names.write_text("alpha\n\ngamma\n")
    done = batch(server, names, out, "--quiet")
    assert done.returncode == 9, done.stderr
    words = ("input 2 (line 3 of", "--input-name", f"--state with a new path or delete {state}")
    one_error_line(done, *words)
    assert out.read_text() == kept  # the earlier run's results are not replaced by a refusal
    done = batch(server, names, out, "--quiet", "--input-name", "Q")
    assert done.returncode == 9, done.stderr
    one_error_line(done, "input 1 (line 1 of", "--input-name", "--state")
    names.write_text("alpha\n")
    done = batch(server, names, out, "--quiet")
    assert done.returncode == 9, done.stderr
    one_error_line(done, "holds 2 inputs", "has 1", "--input-name", "--state")


def test_non_utf8_input_directory_and_bad_json_are_one_line(
    server: EmulatorServer, tmp_path: Path
) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("ok\ncaf\xe9\n".encode("latin-1"))
    out = tmp_path / "r.jsonl"
    refused(server, latin, out, words=(f"{latin}:2", "not UTF-8", "0xe9"))
    refused(server, tmp_path, out, words=(str(tmp_path), "is a directory"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"P": "a"}\n{"P": \n')
    refused(server, bad, out, words=(f"{bad}:2", "JSON"))
    refused(server, tmp_path / "none.txt", out, words=("none.txt", "no such file"))


def test_a_lone_surrogate_is_refused_naming_its_line_before_anything_is_sent(
    server: EmulatorServer, tmp_path: Path
) -> None:
    # Before (issue 28): a traceback (UnicodeEncodeError), exit 1, no results file, one job
    # already made; every re-run crashed the same way.
    out = tmp_path / "r.jsonl"
    lone = tmp_path / "lone.jsonl"
    lone.write_text('{"P": "ok"}\n{"P": "a pair \\ud83d\\ude00 is fine"}\n{"P": "lone \\udc80"}\n')
    refused(server, lone, out, words=(f"{lone}:3", "'\\udc80'", "lone surrogate"))
    refused(server, lone, out, words=(f"{lone}:3", "lone surrogate"))  # and again, the same
    nested = tmp_path / "nested.jsonl"
    nested.write_text('["ok", "\\ud800"]\n')
    refused(server, nested, out, words=(f"{nested}:1", "'\\ud800'"))
    encoded = tmp_path / "encoded.csv"  # a surrogate in UTF-8's form: not UTF-8 at all
    encoded.write_bytes(b"P\nok\nlone \xed\xb2\x80\n")
    refused(server, encoded, out, words=(f"{encoded}:3", "not UTF-8"))
    done = jobwise(
        "batch",
        "app",
        str(lone),
        "--input-name",
        "P\udcff",
        "--out",
        str(out),
        base_url=server.base_url,
    )
    assert done.returncode == 2, done.stderr
    one_error_line(done, "--input-name", "'\\udcff'")
    assert not out.exists()


def test_a_file_that_is_not_what_it_claims_is_one_line(
    server: EmulatorServer, tmp_path: Path
) -> None:
    """A stray CSV quote merged every later row into one input; a .json array or a .tsv sheet
    went out one whole line a job."""
    out = tmp_path / "r.jsonl"
    quote = tmp_path / "quote.csv"
    quote.write_text('P,Price\n"shoe 12 inch,3\nhat,4\nscarf,5\n')
    refused(server, quote, out, words=(f"{quote}:2", "never closed"))
    after = tmp_path / "after.csv"
    after.write_text('P\nhat\n"x"y\n')
    refused(server, after, out, words=(f"{after}:3", "not valid CSV"))
    array = tmp_path / "arr.json"
    array.write_text('[{"P": "a"}, {"P": "b"}]\n')
    refused(server, array, out, words=(str(array), "'.json'", ".jsonl", "--format"))
    refused(server, tmp_path / "sheet.tsv", out, words=("'.tsv'", "--format txt or csv or jsonl"))
    sheet = tmp_path / "sheet"  # no extension: read as text, and this is no text list
    sheet.write_text("P,Colour\nshoe,red\n")
    refused(server, sheet, out, words=(f"{sheet}:1", "CSV header", "--format csv"))
    plain = tmp_path / "products"
    plain.write_text("alpha\n")
    done = batch(server, plain, out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert results(out)[0]["inputs"] == {"P": ["alpha"]}
    multiline = tmp_path / "multi.csv"
    multiline.write_text('P\n"two\nlines"\n')
    out = tmp_path / "multi.jsonl"
    done = batch(server, multiline, out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert results(out)[0]["inputs"] == {"P": ["two\nlines"]}


def test_an_empty_file_and_jsonl_without_the_input_name_are_warned_of(
    server: EmulatorServer, tmp_path: Path
) -> None:
    """Both ran silently: an empty file exited 0 with "total 0", and JSONL objects went out
    under their own keys though --input-name named another."""
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    done = batch(server, empty, tmp_path / "e.jsonl", "--quiet")
    assert done.returncode == 0, done.stderr
    assert f"FILE {empty} holds no inputs" in done.stderr
    objects = tmp_path / "objects.jsonl"
    objects.write_text('{"Name": "a"}\n{"Name": "b"}\n')
    out = tmp_path / "o.jsonl"
    done = batch(server, objects, out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("has no 'P' key (--input-name)") == 1
    assert f"{objects}:1:" in done.stderr and "'Name'" in done.stderr
    assert [r["inputs"] for r in results(out)] == [{"Name": ["a"]}, {"Name": ["b"]}]


def test_an_invalid_input_keeps_its_own_shape_in_the_results(
    server: EmulatorServer, tmp_path: Path
) -> None:
    """It came back as {"(invalid input)": ["{'P': [42]}"]}, the batch's stand-in for it."""
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"P": "fine"}\n{"P": [42]}\n')
    out = tmp_path / "o.jsonl"
    done = batch(server, mixed, out, "--quiet")
    assert done.returncode == 1, done.stderr
    found = results(out)
    assert found[1]["status"] == "invalid" and found[1]["line"] == 2
    assert found[1]["inputs"] == {"P": [42]}


def test_bom_is_stripped_and_lines_are_numbered(server: EmulatorServer, tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_bytes("\ufeffalpha\n\n\nbeta\n".encode())
    out = tmp_path / "r.jsonl"
    stale = tmp_path / ".r.jsonl.writing"
    stale.write_text("left by a kill")
    done = batch(server, names, out, "--quiet")
    assert done.returncode == 0, done.stderr
    found = results(out)
    assert [(r["index"], r["line"], r["inputs"]["P"]) for r in found] == [
        (0, 1, ["alpha"]),
        (1, 4, ["beta"]),
    ]
    assert not stale.exists()
    assert not list(tmp_path.glob(".jobwise-*")) and not list(tmp_path.glob(".*.writing"))
    state = Path(f"{out}.state.sqlite")
    assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE(state.stat().st_mode)


def test_full_disk_is_one_line_naming_the_results_file(
    server: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def full(*args: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(cli_results, "_write", full)
    monkeypatch.setenv("WRITER_API_KEY", TOKEN)
    monkeypatch.setenv("WRITER_BASE_URL", server.base_url)
    names = tmp_path / "names.txt"
    names.write_text("alpha\n")
    out = tmp_path / "r.jsonl"
    code = main(
        ["batch", "app-full", str(names), "--input-name", "P", "--out", str(out), "--quiet"]
    )
    assert code == 9
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(out) in err and "disk full" in err, err
    assert ".writing" not in err and not list(tmp_path.glob(".*.writing"))


def test_emulator_port_out_of_range_is_one_line() -> None:
    done = subprocess.run(
        [JOBWISE, "emulator", "--port", "99999"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "--port" in errors[0] and "99999" in errors[0]


# Ctrl-C ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signum", "sigint_ignored"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGTERM, True)],
    ids=["SIGINT", "SIGTERM", "SIGTERM, SIGINT ignored"],
)
def test_ctrl_c_writes_partial_results_and_says_so(
    tmp_path: Path, signum: int, sigint_ignored: bool
) -> None:
    # SIGTERM (timeout, docker stop) killed the batch silently, with no results file. Started
    # with SIGINT ignored, as a POSIX shell starts a script's `cmd &` job, SIGTERM was ignored
    # too: the handler re-raised SIGINT (issue 28), and the batch ran to its end.
    names = tmp_path / "names.txt"
    names.write_text("".join(f"item {n}\n" for n in range(40)))
    out = tmp_path / "r.jsonl"
    with run_emulator(profile="fast", latency=(30, 30), seed=4) as slow:
        env = {**os.environ, "WRITER_API_KEY": TOKEN, "WRITER_BASE_URL": slow.base_url}
        proc = subprocess.Popen(
            [
                JOBWISE,
                "batch",
                "app-int",
                str(names),
                "--input-name",
                "P",
                "--out",
                str(out),
                "--quiet",
                "--concurrency",
                "4",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Either way on purpose: a runner started as a script's `cmd &` job (CI launched in
            # the background) has SIGINT ignored, and its children inherit that.
            preexec_fn=lambda: signal.signal(
                signal.SIGINT, signal.SIG_IGN if sigint_ignored else signal.SIG_DFL
            ),
        )
        deadline = time.monotonic() + 30
        while api_requests(slow.base_url) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        sent = api_requests(slow.base_url)
        proc.send_signal(signum)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"still running 30 s after the signal ({sent} requests before it): {err}")
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "partial results" in err and str(out) in err
    found = results(out)
    # Jobs already made keep their ids (without them, a user who deleted the state file and
    # ran again would have made each job twice); the rest were not sent.
    running = [r for r in found if r["status"] == "submitted"]
    assert running and all(r["job_id"] and "runs on" in r["error"] for r in running)
    assert all(r["status"] == "pending" and not r["job_id"] for r in found if r not in running)
    assert all(r["error"].startswith("interrupted") for r in found)
    assert f"{len(running)} more are submitted" in err
    waiting = [r for r in found if r["status"] == "pending"]  # the message left them out
    said = f"{len(waiting)} wait to be sent" if waiting else "wait to be sent"
    assert (said in err) == bool(waiting), err  # all 40 may be sent before the signal lands


def test_a_batch_stopped_by_a_silent_server_says_it_wrote_partial_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 6 wrote the results of the items that finished but did not say so."""
    names = tmp_path / "in.txt"
    names.write_text("alpha\n")
    out = tmp_path / "r.jsonl"
    with run_emulator(profile="fast", latency=(0.01, 0.02)) as gone:
        assert batch(gone, names, out, "--quiet").returncode == 0
    names.write_text("alpha\nbeta\n")  # the server is gone: beta gets no answer
    run_batch = AsyncWriterJobs.run_batch

    def impatient(self: Any, *args: Any, **kwargs: Any) -> Any:
        return run_batch(self, *args, **kwargs, stall_timeout=1)

    monkeypatch.setattr(AsyncWriterJobs, "run_batch", impatient)
    monkeypatch.setenv("WRITER_API_KEY", TOKEN)
    monkeypatch.setenv("WRITER_BASE_URL", gone.base_url)
    args = ["batch", "app", str(names), "--input-name", "P", "--out", str(out), "--quiet"]
    assert main(args) == 6
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no usable answer" in err, err
    assert f"wrote partial results to {out} (1 of the 2 inputs read have one" in err, err
    assert [r["status"] for r in results(out)] == ["completed", "pending"]


def test_a_stuck_job_ends_timed_out_under_timeout_and_exits_7(
    server: EmulatorServer, tmp_path: Path
) -> None:
    names = tmp_path / "in.txt"
    names.write_text("stuck forever\nfine\n")
    out = tmp_path / "out.jsonl"
    done = batch(server, names, out, "--timeout", "2", "--idempotency", "server", "--quiet")
    assert done.returncode == 7, done.stderr
    statuses = [(r["status"], bool(r["job_id"])) for r in results(out)]
    assert statuses == [("timed_out", True), ("completed", True)]
    assert "(run the same command to keep waiting for the 1 item that timed out)" in done.stderr
    assert "--resend-ambiguous" not in done.stderr


def test_ambiguous_items_left_say_to_pass_resend_ambiguous(
    server: EmulatorServer, tmp_path: Path
) -> None:
    """The state line said "run the same command to resume", which only repeated exit 7."""
    names = tmp_path / "in.txt"
    names.write_text("alpha\n")
    out = tmp_path / "out.jsonl"
    saved = BatchState(f"{out}.state.sqlite", "app", server.base_url)
    saved.ambiguous(saved.add(0, {"P": ["alpha"]}, "pending", None), ["job-a", "job-b"], True)
    saved.close()
    before = api_requests(server.base_url)
    done = batch(server, names, out, "--quiet")
    assert done.returncode == 7, done.stderr
    assert [r["status"] for r in results(out)] == ["ambiguous"]
    assert api_requests(server.base_url) == before  # nothing was sent: still ambiguous
    advice = " ".join(done.stderr.split())
    assert "1 item ambiguous" in advice and "--resend-ambiguous" in advice, advice
    assert "may duplicate a job" in advice and "run the same command to resume" not in advice


def test_an_unknown_idempotency_mode_is_refused_before_any_request(
    server: EmulatorServer, tmp_path: Path
) -> None:
    names = tmp_path / "in.txt"
    names.write_text("one\n")
    line = refused(
        server, names, tmp_path / "out.jsonl", "--idempotency", "always", words=("--idempotency",)
    )
    assert "server" in line


def test_retry_failed_on_a_finished_batch_retries_its_failed_items(tmp_path: Path) -> None:
    names = tmp_path / "in.txt"
    names.write_text("one\ntwo fail\nthree\n")
    out = tmp_path / "out.jsonl"
    with run_emulator(profile="fast", latency=(0.01, 0.02)) as emulator:
        first = batch(emulator, names, out, "--quiet")
        assert first.returncode == 1, first.stderr
        assert [r["status"] for r in results(out)] == ["completed", "failed", "completed"]
        again = batch(emulator, names, out, "--quiet", "--retry-failed", "1", "--json")
        retries = httpx.get(f"{emulator.base_url}/_emulator/stats").json()["requests"]
    assert again.returncode == 1, again.stderr  # "fail" inputs fail every time
    assert json.loads(again.stdout)["summary"]["retries"] == 1
    assert sum(retries["POST /v1/applications/jobs/{job_id}/retry"].values()) == 1
    assert [r["status"] for r in results(out)] == ["completed", "failed", "completed"]


@pytest.mark.parametrize("rpm", ["0", "-5", "fast", "inf"])
def test_a_bad_rpm_is_refused_before_any_request(
    server: EmulatorServer, tmp_path: Path, rpm: str
) -> None:
    names = tmp_path / "in.txt"
    names.write_text("one\n")
    line = refused(server, names, tmp_path / "out.jsonl", "--rpm", rpm, words=("--rpm",))
    assert "requests per minute" in line


def test_rpm_paces_the_batch_below_the_servers_limit(tmp_path: Path) -> None:
    names = tmp_path / "in.txt"
    names.write_text("".join(f"p{n}\n" for n in range(30)))
    with run_emulator(profile="fast", latency=(0.01, 0.05), rate_limit=20, seed=33) as limited:
        done = batch(limited, names, tmp_path / "out.jsonl", "--rpm", "900", "--quiet")
        faults = httpx.get(f"{limited.base_url}/_emulator/stats").json()["faults"]
    assert done.returncode == 0, done.stderr
    assert [r["status"] for r in results(tmp_path / "out.jsonl")] == ["completed"] * 30
    assert faults.get("rate_limited", 0) == 0  # 15 a second against the emulator's 20


def test_cli_batch_reads_csv_and_jsonl(tmp_path: Path) -> None:
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("sku,Product\n1,Terra shoe\n2,Flex mat\n")
    jsonl_file = tmp_path / "in.jsonl"
    jsonl_file.write_text('{"Product": ["Aqua goggles"], "Color": "blue"}\n"Orbit lamp"\n')
    with run_emulator(profile="fast", latency=(0.01, 0.05)) as server:
        env = {"WRITER_API_KEY": TOKEN, "WRITER_BASE_URL": server.base_url}
        for source, expected in (
            (csv_file, ["Terra shoe", "Flex mat"]),
            (jsonl_file, ["Aqua goggles", "Orbit lamp"]),
        ):
            out = tmp_path / f"{source.name}.out.jsonl"
            done = cli(
                "batch",
                "app-c",
                str(source),
                "--input-name",
                "Product",
                "--out",
                str(out),
                "--quiet",
                env=env,
            )
            assert done.returncode == 0, done.stderr
            suggestions = [r["suggestion"] for r in read_results(out)]
            assert all(name in text for name, text in zip(expected, suggestions, strict=True))
            assert "completed" in done.stderr


def test_cli_batch_exits_non_zero_when_items_fail(tmp_path: Path) -> None:
    names = tmp_path / "n.txt"
    names.write_text("good\nplease fail\n")
    with run_emulator(profile="fast", latency=(0.01, 0.05)) as server:
        env = {"WRITER_API_KEY": TOKEN, "WRITER_BASE_URL": server.base_url}
        done = cli(
            "batch",
            "app-f",
            str(names),
            "--input-name",
            "P",
            "--out",
            str(tmp_path / "o.jsonl"),
            "--quiet",
            env=env,
        )
    assert done.returncode == 1
    assert "1 of 2 inputs did not complete" in done.stderr
    failed = [r for r in read_results(tmp_path / "o.jsonl") if r["status"] == "failed"]
    assert len(failed) == 1 and "please fail" in failed[0]["error"]
