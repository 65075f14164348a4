"""The ``osapi`` command group's arguments: list, get, delete, wait, retry, retry-failed."""

from __future__ import annotations

import typing

from jobwise.cli.arguments import CommandBuilder, _common, _seconds

OSAPI_STATUSES = ("submitted", "processing", "completed", "failed", "partial_failure")


class OsapiArgs(CommandBuilder):
    """Adds ``osapi`` and its commands."""

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
