"""A batch's files checked before the first request: input, results and state."""

from __future__ import annotations

import contextlib
import os

from jobwise.cli.errors import UsageError
from jobwise.cli.results import temporary_path
from jobwise.validation import unencodable


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _folder(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))


def _check_folder(flag: str, path: str, probe: str) -> None:
    """The folder of ``path`` exists and takes a new file (tried for real with ``probe``)."""
    folder = _folder(path)
    if not os.path.isdir(folder):
        raise UsageError(f"{flag} {path}: folder {folder} does not exist")
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path}: is a directory; give a file name")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot write in {folder} ({exc.strerror})") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(probe)
    if os.path.exists(path) and not os.access(path, os.R_OK | os.W_OK):
        raise UsageError(f"{flag} {path}: cannot write it (permission denied)")


RESULT_EXTENSIONS = (".jsonl", ".ndjson", ".csv")
"""What a results file may be named: the formats it is written in (a .txt or .json name held
JSON lines, and overwrote whatever file had it, another batch's inputs too)."""


def check_batch_paths(file: str, out: str, state: str) -> None:
    """Refuse, before anything is sent, files that would fail or clobber one another."""
    if file != "-":
        if not os.path.exists(file):
            raise UsageError(f"FILE {file}: no such file")
        if os.path.isdir(file):
            raise UsageError(f"FILE {file}: is a directory, not a file of inputs")
        if not os.access(file, os.R_OK):
            raise UsageError(f"FILE {file}: cannot read it (permission denied)")
        if _same(out, file):
            raise UsageError(f"--out {out} is the input file; give another results file")
        if _same(state, file):
            raise UsageError(f"--state {state} is the input file; give another state file")
    if _same(out, state):
        raise UsageError(f"--out {out} is the state file; give another results file")
    _check_folder("--out", out, temporary_path(out))
    if not out.lower().endswith(RESULT_EXTENSIONS):
        raise UsageError(
            f"--out {out}: a results file is JSON lines (name it .jsonl or .ndjson) or CSV "
            "(.csv); give it one of those extensions"
        )
    _check_folder("--state", state, state + ".jobwise-probe")
    if (char := unencodable(state)) is not None:  # a name's byte the locale could not decode
        flag = "--state" if state != f"{out}.state.sqlite" else "--out (the state file's name)"
        raise UsageError(
            f"{flag} {state}: holds {char!a}, a byte that is not UTF-8, and SQLite opens UTF-8 "
            "names only; give it a UTF-8 name"
        )
