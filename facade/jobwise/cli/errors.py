"""The command line's exit codes, and every error reported as one line (or one JSON object)."""

from __future__ import annotations

import errno
import json
import sqlite3
import sys
from enum import IntEnum

from jobwise.errors import (
    AmbiguousRetryError,
    APIConnectionError,
    APIError,
    AuthenticationError,
    InvalidArgumentError,
    InvalidResponseError,
    JobwiseError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    WaitTimeoutError,
)


class ExitCode(IntEnum):
    """What the ``jobwise`` command exits with (``jobwise --help`` lists them)."""

    OK = 0
    JOB_FAILED = 1
    USAGE = 2
    AUTH = 3
    NOT_FOUND = 4
    WAIT_TIMEOUT = 5
    UNREACHABLE = 6
    NEEDS_DECISION = 7
    REFUSED = 8
    LOCAL_FILE = 9
    INTERRUPTED = 130


EXIT_CODES = (
    (ExitCode.OK, "success"),
    (ExitCode.JOB_FAILED, "a job failed (batch: some input did not complete)"),
    (ExitCode.USAGE, "bad usage or input, refused before any request"),
    (ExitCode.AUTH, "the key or token was refused (401/403)"),
    (ExitCode.NOT_FOUND, "no such job or application (404)"),
    (ExitCode.WAIT_TIMEOUT, "a wait ran out of time"),
    (ExitCode.UNREACHABLE, "the server could not be reached or kept failing (5xx)"),
    (
        ExitCode.NEEDS_DECISION,
        "a decision is needed: batch items ambiguous or timed out, or an "
        "unanswered osapi retry that may have made one of several jobs",
    ),
    (ExitCode.REFUSED, "the server refused the request (400/409/422/429) or answered off the spec"),
    (ExitCode.LOCAL_FILE, "a local file failed: state file in use or of another batch, disk full"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C or SIGTERM)"),
)


def exit_codes_text() -> str:
    """The table of exit codes, for ``--help`` epilogs."""
    return "exit codes:\n" + "\n".join(f"  {code:<4} {text}" for code, text in EXIT_CODES)


class CliError(Exception):
    """An error the command line reports as it is: ``exit_code`` and a one-line message."""

    exit_code: int = ExitCode.USAGE

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(CliError):
    """Bad arguments or input, found before any request (exit 2)."""


class LocalFileError(CliError):
    """A local file could not be written or used (exit 9)."""

    exit_code = ExitCode.LOCAL_FILE


class Interrupted(CliError):
    """Ctrl-C: the message says how to come back (exit 130)."""

    exit_code = ExitCode.INTERRUPTED


# The library's advice, as the command line's: flags and variables instead of arguments.
_LIBRARY_TO_CLI = (
    (
        "api_key: missing: pass api_key= or set WRITER_API_KEY",
        "no Writer API key: set WRITER_API_KEY",
    ),
    ("token: missing: pass token= or set OSAPI_TOKEN", "no osapi token: set OSAPI_TOKEN"),
    ("pass base_url= or set OSAPI_URL", "pass --base-url or set OSAPI_URL"),
    ("allow_insecure=True, --allow-insecure or", "--allow-insecure or"),
)


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines too) as one space."""
    return " ".join(text.split())


def os_error_text(exc: OSError) -> str:
    """An OSError as ``path: problem``, with a hint for a full disk."""
    where = exc.filename if exc.filename is not None else "file"
    if exc.errno == errno.ENOSPC:
        return f"{where}: disk full (no space left on device); free some space and run again"
    return f"{where}: {exc.strerror or exc}"


def _credential_hint(exc: AuthenticationError | PermissionDeniedError) -> str:
    """The fix of a refused key or token: the variable the command read it from."""
    osapi = "/v1/applications" not in exc.request.url.path
    name = "OSAPI_TOKEN" if osapi else "WRITER_API_KEY"
    if isinstance(exc, AuthenticationError):
        return f"; the server refused the key: check {name}"
    return f"; the key in {name} may not do this"


def _application_hint(exc: NotFoundError) -> str:
    """The fix of a 404 to a create: an application id (or base URL) that does not exist."""
    parts = exc.request.url.path.split("/")
    if exc.request.method != "POST" or parts[-3:-2] != ["applications"] or parts[-1] != "jobs":
        return ""
    return (
        f"; no application {parts[-2]!r} at this base URL: check APP_ID, and --base-url "
        "(or WRITER_BASE_URL)"
    )


def _connect_hint(exc: APIError) -> str:
    """The fix of a connection that never opened (refused, unknown host): the base URL. Both
    transports name httpx's ``ConnectError`` in the message, a stalled batch's last error too."""
    if "ConnectError" not in str(exc):
        return ""
    osapi = exc.request is not None and "/v1/applications" not in exc.request.url.path
    where = "OSAPI_URL" if osapi else "WRITER_BASE_URL"
    return f"; could not connect: check that a server runs there (--base-url, or {where})"


def classify(exc: BaseException) -> tuple[int, str]:
    """The exit code and one-line message of an error."""
    if isinstance(exc, CliError):
        return exc.exit_code, str(exc)
    if isinstance(exc, InvalidArgumentError):
        message = str(exc)
        for library, command_line in _LIBRARY_TO_CLI:
            message = message.replace(library, command_line)
        return ExitCode.USAGE, message
    if isinstance(exc, AuthenticationError | PermissionDeniedError):
        return ExitCode.AUTH, str(exc) + _credential_hint(exc)
    if isinstance(exc, NotFoundError):
        return ExitCode.NOT_FOUND, str(exc) + _application_hint(exc)
    if isinstance(exc, WaitTimeoutError):
        return ExitCode.WAIT_TIMEOUT, str(exc)
    if isinstance(exc, AmbiguousRetryError):
        return ExitCode.NEEDS_DECISION, str(exc)
    if isinstance(exc, APIConnectionError | ServerError):
        return ExitCode.UNREACHABLE, str(exc) + _connect_hint(exc)
    if isinstance(exc, APIError | InvalidResponseError):
        return ExitCode.REFUSED, str(exc)
    if isinstance(exc, JobwiseError):  # the state file's errors: locked, another batch
        return ExitCode.LOCAL_FILE, str(exc)
    if isinstance(exc, OSError):
        return ExitCode.LOCAL_FILE, os_error_text(exc)
    if isinstance(exc, sqlite3.Error):
        full = "full" in str(exc)
        text = "disk full (no space left on device)" if full else str(exc)
        return ExitCode.LOCAL_FILE, f"state file: {text}"
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED, "interrupted"
    raise exc


def report(exc: BaseException, as_json: bool) -> int:
    """Print ``exc`` on stderr as one line (or one JSON object), its notes after the message
    (what the command line did about it); returns its exit code."""
    code, message = classify(exc)
    message = one_line("; ".join([message, *getattr(exc, "__notes__", ())]))
    # A path or argument holding a byte the locale could not decode, escaped: it fails a
    # stderr that encodes strictly (one put in place by a caller or a test).
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    if as_json:
        error = {"type": type(exc).__name__, "message": message, "exit_code": code}
        sys.stderr.write(json.dumps({"error": error}) + "\n")
    elif code == ExitCode.INTERRUPTED:
        sys.stderr.write(f"jobwise: {message}\n")
    else:
        sys.stderr.write(f"jobwise: error: {message}\n")
    return code
