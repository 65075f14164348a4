"""The ``jobwise`` command line: batches, single jobs, osapi, and the emulator.

Configuration comes from the same environment variables as the library: WRITER_API_KEY,
WRITER_BASE_URL, OSAPI_URL, OSAPI_TOKEN. Errors print as one line; the exit status is
0 on success, 1 when something failed, 2 for bad usage, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import typing
from collections.abc import Callable, Sequence

EXAMPLES = """\
examples:
  jobwise batch my-app products.txt --input-name "Product name" --out results.jsonl
  jobwise submit my-app --input "Product name=Terra running shoe" --wait
  jobwise list my-app --status failed
  jobwise retry-failed my-app
  jobwise osapi list --status failed
  jobwise emulator --port 8080

environment: WRITER_API_KEY, WRITER_BASE_URL, OSAPI_URL, OSAPI_TOKEN
"""


EXIT_NEEDS_DECISION = 7
"""Some items are ambiguous or timed out: decide, or run again (see the README)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line and a pointer to ``--help``."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def _whole(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}; got {value}")
        return value

    return parse


_positive, _non_negative = _whole(1), _whole(0)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds; got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected seconds > 0; got {text}")
    return value


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE; got {text!r}")
    return name, value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def _writer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="API base URL (default: WRITER_BASE_URL or Writer's)")
    _common(parser)


def _osapi_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="osapi base URL (default: OSAPI_URL)")
    _common(parser)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each has its own ``--help``."""
    parser = _Parser(
        prog="jobwise",
        description="Submit, wait for, list and retry jobs of Writer's async agents and osapi.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from jobwise import __version__

    parser.add_argument("--version", action="version", version=f"jobwise {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    batch = commands.add_parser(
        "batch",
        help="run every input of a file as a job; resumable",
        description="Run one job per input of FILE (text: one per line; CSV; JSONL), wait for "
        "all, and write every result to --out. Run the same command again to resume.",
        epilog='example: jobwise batch my-app products.txt --input-name "Product name"',
    )
    batch.add_argument("app_id", metavar="APP_ID", help="the no-code agent's application id")
    batch.add_argument("file", metavar="FILE", help="inputs: .txt, .csv or .jsonl")
    batch.add_argument("--input-name", required=True, help="the agent's input field name")
    batch.add_argument("--out", default="results.jsonl", help="results file (JSON lines)")
    batch.add_argument("--state", help="state file (default: OUT.state.sqlite)")
    batch.add_argument(
        "--concurrency",
        type=_positive,
        default=16,
        metavar="N",
        help="requests in flight at most (default 16; lowered on 429/503)",
    )
    batch.add_argument(
        "--retry-failed",
        type=_non_negative,
        default=0,
        metavar="N",
        help="retry a failed job up to N times",
    )
    batch.add_argument(
        "--format", choices=("txt", "csv", "jsonl"), help="input format (default: by extension)"
    )
    batch.add_argument(
        "--request-timeout",
        type=_seconds,
        default=60.0,
        metavar="S",
        help="seconds one HTTP attempt may take (default 60)",
    )
    batch.add_argument(
        "--timeout",
        type=_seconds,
        metavar="S",
        help="seconds the batch may run; then unfinished items end timed_out (default: none)",
    )
    batch.add_argument(
        "--resend-ambiguous",
        action="store_true",
        help="send ambiguous items of an earlier run again (each may duplicate a job)",
    )
    batch.add_argument(
        "--no-adopt",
        action="store_true",
        help="never adopt the one job a lost create may have made: mark it ambiguous",
    )
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    _writer_options(batch)

    submit = commands.add_parser(
        "submit",
        help="create one job",
        epilog='example: jobwise submit my-app --input "Product=Mat"',
    )
    submit.add_argument("app_id", metavar="APP_ID")
    submit.add_argument(
        "--input",
        type=_pair,
        action="append",
        required=True,
        metavar="NAME=VALUE",
        help="an input value (repeat for more)",
    )
    submit.add_argument("--wait", action="store_true", help="wait for the final state")
    submit.add_argument("--timeout", type=_seconds, default=600.0, help="seconds to wait")
    _writer_options(submit)

    get = commands.add_parser("get", help="show one job")
    get.add_argument("job_id", metavar="JOB_ID")
    _writer_options(get)

    wait = commands.add_parser("wait", help="wait until a job is completed or failed")
    wait.add_argument("job_id", metavar="JOB_ID")
    wait.add_argument("--timeout", type=_seconds, default=600.0, help="seconds to wait")
    _writer_options(wait)

    listing = commands.add_parser("list", help="list an application's jobs, newest first")
    listing.add_argument("app_id", metavar="APP_ID")
    listing.add_argument("--status", choices=("in_progress", "completed", "failed"))
    listing.add_argument("--limit", type=_positive, default=20, help="at most this many jobs")
    _writer_options(listing)

    retry = commands.add_parser("retry", help="retry a failed job")
    retry.add_argument("job_id", metavar="JOB_ID")
    _writer_options(retry)

    retry_failed = commands.add_parser("retry-failed", help="retry every failed job of an app")
    retry_failed.add_argument("app_id", metavar="APP_ID")
    _writer_options(retry_failed)

    osapi = commands.add_parser("osapi", help="osapi's job queue: list, get, wait, retry, delete")
    osapi_commands = osapi.add_subparsers(dest="osapi_command", metavar="COMMAND")
    osapi_commands.required = True
    o_list = osapi_commands.add_parser("list", help="list jobs, newest first")
    o_list.add_argument(
        "--status", choices=("submitted", "processing", "completed", "failed", "partial_failure")
    )
    o_list.add_argument("--limit", type=_positive, default=20, help="at most this many jobs")
    _osapi_options(o_list)
    for name, text in (("get", "show one job"), ("delete", "delete a job")):
        sub = osapi_commands.add_parser(name, help=text)
        sub.add_argument("job_id", metavar="JOB_ID")
        _osapi_options(sub)
    o_wait = osapi_commands.add_parser("wait", help="wait until a job is final")
    o_wait.add_argument("job_id", metavar="JOB_ID")
    o_wait.add_argument("--timeout", type=_seconds, default=600.0, help="seconds to wait")
    _osapi_options(o_wait)
    o_retry = osapi_commands.add_parser("retry", help="queue a job again")
    o_retry.add_argument("job_id", metavar="JOB_ID")
    o_retry.add_argument("--target-hostname", help="run it on this agent")
    _osapi_options(o_retry)

    commands.add_parser(
        "emulator",
        help="serve both job APIs on loopback (see `jobwise emulator --help`)",
        add_help=False,
    )
    return parser


def _batch(args: argparse.Namespace) -> int:
    from jobwise import WriterJobs
    from jobwise.batch_files import count_inputs, file_format, read_inputs, write_results
    from jobwise.batch_state import BatchState
    from jobwise.cli_output import batch_bar, err, show, summary_table
    from jobwise.validation import check_id

    check_id(args.app_id, "application_id")
    fmt = file_format(args.file, args.format)
    state_path = args.state or f"{args.out}.state.sqlite"
    total = count_inputs(args.file, args.input_name, fmt)
    jobs = WriterJobs(base_url=args.base_url, timeout=args.request_timeout)
    with batch_bar(total, args.quiet or args.json) as on_progress:
        run = jobs.run_batch(
            args.app_id,
            read_inputs(args.file, args.input_name, fmt),
            concurrency=args.concurrency,
            state=state_path,
            retry_failed=args.retry_failed,
            on_progress=on_progress,
            deadline=args.timeout,
            resend_ambiguous=args.resend_ambiguous,
            adopt=not args.no_adopt,
        )
        summary = run.wait()
    state = BatchState(state_path, args.app_id, jobs.base_url)
    try:
        write_results(args.out, state.rows())
    finally:
        state.close()
    if args.json:
        show({"summary": summary, "out": args.out, "state": state_path}, as_json=True)
    else:
        summary_table(summary, args.out, state_path)
    unfinished = summary["total"] - summary["counts"].get("completed", 0)
    if unfinished:
        err.print(f"[red]{unfinished} of {summary['total']} inputs did not complete[/]")
    if summary["counts"].get("failed") or summary["counts"].get("invalid"):
        return 1
    return EXIT_NEEDS_DECISION if summary["needs_decision"] else 0


def _writer(args: argparse.Namespace) -> int:
    from jobwise import WriterJobs
    from jobwise.cli_output import show

    with WriterJobs(base_url=args.base_url) as jobs:
        command = args.command
        if command == "submit":
            inputs: dict[str, list[str]] = {}
            for name, value in args.input:
                inputs.setdefault(name, []).append(value)
            if args.wait:
                job = jobs.create_and_wait(args.app_id, inputs, timeout=args.timeout)
                show(job, args.json)
                return 0 if str(job.status) == "completed" else 1
            show(jobs.create(args.app_id, inputs), args.json)
        elif command == "get":
            show(jobs.retrieve(args.job_id), args.json)
        elif command == "wait":
            job = jobs.wait(args.job_id, timeout=args.timeout)
            show(job, args.json)
            return 0 if str(job.status) == "completed" else 1
        elif command == "list":
            pager = jobs.list(args.app_id, status=args.status, page_size=min(args.limit, 100))
            show(list(itertools.islice(pager, args.limit)), args.json)
        elif command == "retry":
            show(jobs.retry(args.job_id), args.json)
        elif command == "retry-failed":
            retried = [jobs.retry(job.id) for job in list(jobs.list(args.app_id, status="failed"))]
            show(retried, args.json)
    return 0


def _osapi(args: argparse.Namespace) -> int:
    from jobwise import OsapiJobs
    from jobwise.cli_output import show

    with OsapiJobs(args.url) as jobs:
        command = args.osapi_command
        if command == "list":
            pager = jobs.list(status=args.status, page_size=min(args.limit, 100))
            show(list(itertools.islice(pager, args.limit)), args.json)
        elif command == "get":
            show(jobs.retrieve(args.job_id), args.json)
        elif command == "wait":
            job = jobs.wait(args.job_id, timeout=args.timeout)
            show(job, args.json)
            return 0 if str(job.status) == "completed" else 1
        elif command == "retry":
            show(jobs.retry(args.job_id, args.target_hostname), args.json)
        elif command == "delete":
            jobs.delete(args.job_id)
            show({"id": args.job_id, "status": "deleted"}, args.json)
    return 0


def _emulator(argv: list[str]) -> int:
    try:
        from jobwise_emulator.cli import main as emulator_main
    except ImportError:
        print(
            "jobwise: the emulator needs its extra: pip install 'jobwise[emulator]'",
            file=sys.stderr,
        )
        return 2
    return emulator_main(argv, prog="jobwise emulator")


# The library's advice, as the command line's: flags and variables instead of arguments.
_LIBRARY_TO_CLI = (
    (
        "api_key: missing: pass api_key= or set WRITER_API_KEY",
        "no Writer API key: set WRITER_API_KEY",
    ),
    ("token: missing: pass token= or set OSAPI_TOKEN", "no osapi token: set OSAPI_TOKEN"),
    ("pass base_url= or set OSAPI_URL", "pass --url or set OSAPI_URL"),
    ("or pass allow_insecure=True if you really mean it", "or use a loopback address"),
)


def _dispatch(args: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "batch": _batch,
        "osapi": _osapi,
    }
    return handlers.get(args.command, _writer)(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``jobwise`` command; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "emulator":
        return _emulator(args_list[1:])
    parser = build_parser()
    args = parser.parse_args(args_list)
    try:
        import rich  # noqa: F401
    except ImportError:
        print(
            "jobwise: the command line needs its extra: pip install 'jobwise[cli]'", file=sys.stderr
        )
        return 2
    from jobwise.errors import InvalidArgumentError, JobwiseError

    try:
        return _dispatch(args)
    except InvalidArgumentError as exc:
        message = str(exc)
        for library, command_line in _LIBRARY_TO_CLI:
            message = message.replace(library, command_line)
        print(f"jobwise: error: {message}", file=sys.stderr)
        return 2
    except JobwiseError as exc:
        print(f"jobwise: error: {exc}", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"jobwise: error: no such file: {exc.filename}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jobwise: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
