"""The ``jobwise`` command line's arguments: every command, its help, and helpful usage errors."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import typing
from collections.abc import Callable, Sequence

from jobwise.cli.errors import UsageError, exit_codes_text

EXAMPLES = """\
examples:
  jobwise batch my-app products.txt --input-name "Product name" --out results.jsonl
  jobwise batch my-app sheet.csv --input-name "Product name" --column Name --out results.csv
  cat products.txt | jobwise batch my-app - --input-name "Product name"
  jobwise submit my-app --input "Product name=Terra running shoe" --wait
  jobwise list my-app --status failed
  jobwise retry-failed my-app
  jobwise osapi list --status failed
  jobwise osapi retry-failed
  jobwise status results.jsonl.state.sqlite --watch
  jobwise emulator --port 8080

environment: WRITER_API_KEY, WRITER_BASE_URL, WRITER_RPM, OSAPI_URL, OSAPI_TOKEN,
  JOBWISE_ALLOW_INSECURE;
  JOBWISE_LOG=info|debug (or WRITER_LOG) logs retries and backoffs, as -v and -vv do
"""

WRITER_STATUSES = ("in_progress", "completed", "failed")
OSAPI_STATUSES = ("submitted", "processing", "completed", "failed", "partial_failure")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps epilogs as written and shows each option's default (when it has one)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and action.nargs != 0
            and default is not None
            and default is not False
            and default != argparse.SUPPRESS
            and "%(default)" not in text
            and "default" not in text
        ):
            text += " (default: %(default)s)"
        return text


_PYTHON_NAMES = {"--deadline": "--timeout", "--rate-limit": "--rpm"}
"""run_batch's and the clients' argument names that the command line spells otherwise."""


def _suggestion(word: str, choices: Sequence[str]) -> str:
    meant = _PYTHON_NAMES.get(word.replace("_", "-"))
    if meant in choices:
        return f"; did you mean {meant!r}?"
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are raised as :class:`UsageError`, one line each, with a
    "did you mean" for a misspelt choice and a pointer to this command's ``--help``."""

    given: tuple[str, ...] = ()
    """The arguments this parser was last given (for a hint on a missing required option)."""

    def parse_known_args(  # type: ignore[override]
        self, args: typing.Any = None, namespace: typing.Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self.given = tuple(str(arg) for arg in (sys.argv[1:] if args is None else args))
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> typing.NoReturn:
        found = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if found:
            choices = re.findall(r"'([^']*)'", found.group(2)) or found.group(2).split(", ")
            message += _suggestion(found.group(1), choices)
        elif message.startswith("the following arguments are required"):
            # argparse names the missing option before the misspelt one that was meant.
            options = [s for a in self._actions for s in a.option_strings if s.startswith("--")]
            for arg in self.given:
                flag = arg.split("=", 1)[0]
                if flag.startswith("--") and flag not in options:
                    hint = _suggestion(flag, options)
                    if hint:
                        message += f"; {flag!r} is not an option{hint}"
                        break
        raise UsageError(f"{message} (see: {self.prog} --help)")

    def unknown(self, extras: list[str]) -> typing.NoReturn:
        """Refuse arguments this command does not take, suggesting a close option."""
        flags = [arg for arg in extras if arg.startswith("-")]
        word = (flags or extras)[0].split("=", 1)[0]
        options = [s for a in self._actions for s in a.option_strings if s.startswith("--")]
        what = "unknown option" if flags else "unexpected argument"
        self.error(f"{what} {word!r}{_suggestion(word, options) if flags else ''}")


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


def _positive_number(unit: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {unit}; got {text!r}") from None
        if not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(f"expected {unit} > 0; got {text}")
        return value

    return parse


_seconds, _per_minute = _positive_number("seconds"), _positive_number("requests per minute")


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE; got {text!r}")
    return name, value


def _field_name(text: str) -> str:
    """An input field's name: refused when blank (every input was sent under it, and failed)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"expected the agent's input field name (e.g. Product name); got {text!r}"
        )
    return text


def _common(parser: argparse.ArgumentParser, api: str) -> None:
    if api == "writer":
        parser.add_argument(
            "--base-url", help="API base URL (default: WRITER_BASE_URL, else Writer's)"
        )
        parser.add_argument(
            "--rpm",
            type=_per_minute,
            metavar="N",
            help="requests per minute at most, creates first (default: WRITER_RPM, else the "
            "limit the server's headers and 429s show; Writer documents 400)",
        )
    else:
        parser.add_argument(
            "--base-url", "--url", dest="base_url", help="osapi base URL (default: OSAPI_URL)"
        )
    parser.add_argument(
        "--allow-insecure",
        action="store_true",
        help="send the token over plain http to a host other than loopback "
        "(or JOBWISE_ALLOW_INSECURE=1)",
    )
    parser.add_argument(
        "--request-timeout",
        type=_seconds,
        default=60.0,
        metavar="S",
        help="seconds one HTTP attempt may take (a call retries within 120 s at most)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log retries, backoffs and pacing (-vv: every request too)",
    )


class Parsers:
    """The top-level parser and each command's, by command path (``("osapi", "list")``)."""

    def __init__(self) -> None:
        self.top = _Parser(
            prog="jobwise",
            description="Submit, wait for, list and retry jobs of Writer's async agents and "
            "osapi; run a whole file of inputs as a resumable batch.",
            epilog=f"{EXAMPLES}\n{exit_codes_text()}",
            formatter_class=_Formatter,
        )
        self.by_path: dict[tuple[str, ...], _Parser] = {}
        self._build()

    def _add(
        self,
        group: typing.Any,
        path: tuple[str, ...],
        help: str,
        description: str,
        epilog: str | None = None,
    ) -> _Parser:
        parser: _Parser = group.add_parser(
            path[-1],
            help=help,
            description=description,
            epilog=epilog,
            formatter_class=_Formatter,
        )
        self.by_path[path] = parser
        return parser

    def _build(self) -> None:
        from jobwise import __version__

        top = self.top
        top.add_argument("--version", action="version", version=f"jobwise {__version__}")
        commands = top.add_subparsers(dest="command", metavar="COMMAND")
        commands.required = True
        self._batch(commands)
        self._writer(commands)
        self._osapi(commands)
        self._status(commands)
        commands.add_parser(
            "emulator",
            help="serve both job APIs on loopback (see `jobwise emulator --help`)",
            add_help=False,
        )

    def _job(
        self, group: typing.Any, path: tuple[str, ...], help: str, description: str, api: str
    ) -> _Parser:
        """A command on one job: JOB_ID and the common options."""
        parser = self._add(group, path, help, description)
        what = "the job's id (a UUID)" if api == "osapi" else "the job's id"
        parser.add_argument("job_id", metavar="JOB_ID", help=what)
        _common(parser, api)
        return parser

    def _listing(
        self,
        group: typing.Any,
        path: tuple[str, ...],
        help: str,
        description: str,
        statuses: tuple[str, ...],
        api: str,
    ) -> _Parser:
        """A list command: --status, --limit and the common options."""
        parser = self._add(group, path, help, description)
        parser.add_argument("--status", choices=statuses, help="only jobs in this status")
        parser.add_argument(
            "--limit",
            type=_positive,
            help="at most this many jobs; says so on stderr when there are more (default: all)",
        )
        _common(parser, api)
        return parser

    def _batch(self, commands: typing.Any) -> None:
        batch = self._add(
            commands,
            ("batch",),
            "run every input of a file as a job; resumable",
            "Run one job per input of FILE, wait for all, and write every result to --out in "
            "input order (each with its line number). Run the same command again to resume: "
            "nothing finished is sent twice. Files are UTF-8; blank lines are skipped.",
            'example: jobwise batch my-app products.txt --input-name "Product name"',
        )
        batch.add_argument("app_id", metavar="APP_ID", help="the no-code agent's application id")
        batch.add_argument(
            "file",
            metavar="FILE",
            help="inputs: .txt (one per line), .csv or .jsonl (objects of input name to "
            "value(s), or strings); - reads stdin",
        )
        batch.add_argument(
            "--input-name",
            type=_field_name,
            required=True,
            help="the agent's input field name (and, for CSV, the column to read)",
        )
        batch.add_argument(
            "--column",
            metavar="NAME",
            help="CSV: the column to read, by header name or 1-based number "
            "(default: the --input-name column; with --no-header, column 1)",
        )
        batch.add_argument(
            "--no-header", action="store_true", help="CSV: row 1 is data, not column names"
        )
        batch.add_argument(
            "--format",
            choices=("txt", "csv", "jsonl"),
            help="input format (default: by extension: .txt or none, .csv, .jsonl/.ndjson; "
            "any other is refused, as is stdin or no extension with JSON or a CSV header on "
            "its first line)",
        )
        batch.add_argument(
            "--out",
            default="results.jsonl",
            help="results file: JSON lines (.jsonl, .ndjson) or CSV (.csv), by its extension",
        )
        batch.add_argument("--state", help="state file, for resuming (default: OUT.state.sqlite)")
        batch.add_argument(
            "--concurrency",
            type=_positive,
            default=16,
            metavar="N",
            help="requests in flight at most; lowered on 503",
        )
        batch.add_argument(
            "--retry-failed",
            type=_non_negative,
            default=0,
            metavar="N",
            help="retry a failed job up to N times",
        )
        batch.add_argument(
            "--timeout",
            type=_seconds,
            metavar="S",
            help="seconds the batch may run; then unfinished items end timed_out (default: none)",
        )
        batch.add_argument(
            "--idempotency",
            choices=("auto", "server"),
            default="auto",
            help="auto: trust Idempotency-Key once the server echoes it; server: the server is "
            "known to honour it (lost creates are re-sent, creates run concurrently)",
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
        _common(batch, "writer")

    def _status(self, commands: typing.Any) -> None:
        status = self._add(
            commands,
            ("status",),
            "show where a batch stands, from its state file; while it runs too",
            "Read a batch's state file (while its batch runs, from another terminal, or after "
            "it ended) and show its items by status, requests sent, the pace and the rate limit "
            "in force, elapsed time, the ETA, the last error and what to do next. The file is "
            "only read, without its lock: the batch runs on as it was.",
            "example: jobwise status results.jsonl.state.sqlite --watch",
        )
        status.add_argument(
            "state_file", metavar="STATE_FILE", help="the batch's state file (its --state)"
        )
        status.add_argument(
            "--watch",
            type=_seconds,
            nargs="?",
            const=2.0,
            metavar="S",
            help="show it again every S seconds (2 if not given) until the batch ends; "
            "Ctrl-C stops watching",
        )
        status.add_argument("--json", action="store_true", help="print JSON for scripts")
        status.set_defaults(verbose=0)

    def _writer(self, commands: typing.Any) -> None:
        submit = self._add(
            commands,
            ("submit",),
            "create one job",
            "Create one job of the application with the given inputs; print it (with --wait, "
            "its final state).",
            'example: jobwise submit my-app --input "Product name=Flex yoga mat" --wait',
        )
        submit.add_argument("app_id", metavar="APP_ID", help="the no-code agent's application id")
        submit.add_argument(
            "--input",
            type=_pair,
            action="append",
            required=True,
            metavar="NAME=VALUE",
            help="an input value (repeat for more, or for several values of one name)",
        )
        submit.add_argument("--wait", action="store_true", help="wait for the final state")
        submit.add_argument("--timeout", type=_seconds, default=600.0, help="seconds to wait")
        _common(submit, "writer")

        for name, text, description in (
            ("get", "show one job", "Show one job as it is now."),
            ("retry", "retry a failed job", "Run a failed job again (same job id)."),
        ):
            self._job(commands, (name,), text, description, "writer")
        wait = self._job(
            commands,
            ("wait",),
            "wait until a job is completed or failed",
            "Wait until a job is completed or failed and print it; a 404 is reported at once.",
            "writer",
        )
        wait.add_argument("--timeout", type=_seconds, default=600.0, help="seconds to wait")
        listing = self._listing(
            commands,
            ("list",),
            "list an application's jobs, newest first",
            "List every job of an application, newest first, page after page as they come.",
            WRITER_STATUSES,
            "writer",
        )
        listing.add_argument("app_id", metavar="APP_ID", help="the no-code agent's application id")

        retry_failed = self._add(
            commands,
            ("retry-failed",),
            "retry every failed job of an app",
            "Retry every failed job of an application (to retry a batch's failed items only, "
            "run the batch again with --retry-failed N).",
        )
        retry_failed.add_argument(
            "app_id", metavar="APP_ID", help="the no-code agent's application id"
        )
        _common(retry_failed, "writer")

    def _osapi(self, commands: typing.Any) -> None:
        osapi = self._add(
            commands,
            ("osapi",),
            "osapi's job queue: list, get, wait, retry, retry-failed, delete",
            "osapi's job queue (OSAPI_URL, OSAPI_TOKEN).",
        )
        group = osapi.add_subparsers(dest="osapi_command", metavar="COMMAND")
        group.required = True
        path = ("osapi",)
        self._listing(
            group,
            (*path, "list"),
            "list jobs, newest first",
            "List every job, newest first (osapi filters by any status but skipped).",
            OSAPI_STATUSES,
            "osapi",
        )
        for name, text, description in (
            (
                "get",
                "show one job",
                "Show one job: its id and status (with --json, its responses and timeline too).",
            ),
            ("delete", "delete a job", "Delete a job."),
        ):
            self._job(group, (*path, name), text, description, "osapi")
        o_wait = self._job(
            group,
            (*path, "wait"),
            "wait until a job is final",
            "Wait until a job is final (completed, failed, partial_failure, skipped).",
            "osapi",
        )
        o_wait.add_argument("--timeout", type=_seconds, default=600.0, help="seconds to wait")
        o_retry = self._job(
            group,
            (*path, "retry"),
            "run a job's operation again, as a new job",
            "Run a job's operation again: osapi makes a NEW job (a new id) and keeps the old "
            "one; prints the new job's id (with --wait, the new job's final state).",
            "osapi",
        )
        o_retry.add_argument("--target-hostname", help="run it on this agent")
        o_retry.add_argument("--wait", action="store_true", help="wait for the new job")
        o_retry.add_argument("--timeout", type=_seconds, default=600.0, help="seconds to wait")
        o_failed = self._add(
            group,
            (*path, "retry-failed"),
            "retry every failed job once and wait for the new jobs",
            "Retry each failed job of the listing once and wait for the new jobs; prints each "
            "new job's final state and the job it retried (exit 1 when one of them did not "
            "complete). A retry whose answer was lost and that may have made one of several "
            "jobs is printed as ambiguous with its candidates, the others go on (exit 7). "
            "osapi keeps a retried job failed and marks it with a retried event: "
            "such a job is skipped (the count goes to stderr), so a second run retries only the "
            "failed jobs not retried yet, the new jobs that failed among them.",
        )
        o_failed.add_argument(
            "--timeout", type=_seconds, default=600.0, help="seconds to wait for each new job"
        )
        _common(o_failed, "osapi")

    def parse(self, argv: Sequence[str]) -> argparse.Namespace:
        """Parse ``argv``; usage errors raise :class:`UsageError` naming the command's help."""
        args, extras = self.top.parse_known_args(list(argv))
        if extras:
            path = tuple(
                p for p in (args.command, getattr(args, "osapi_command", None)) if p is not None
            )
            self.by_path.get(path, self.top).unknown(extras)
        return args


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each has its own ``--help``."""
    return Parsers().top
