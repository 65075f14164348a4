"""The ``batch`` command's arguments, and ``status``'s, which reads a batch's state file."""

from __future__ import annotations

import typing

from jobwise.batch.options import BatchOptions
from jobwise.cli.arguments import (
    CommandBuilder,
    _common,
    _field_name,
    _non_negative,
    _positive,
    _seconds,
)


class BatchArgs(CommandBuilder):
    """Adds ``batch`` and ``status``."""

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
            default=BatchOptions.concurrency,
            metavar="N",
            help="requests in flight at most; lowered on 503",
        )
        batch.add_argument(
            "--retry-failed",
            type=_non_negative,
            default=BatchOptions.retry_failed,
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
