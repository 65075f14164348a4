"""The Writer commands' arguments: submit, get, retry, wait, list, retry-failed."""

from __future__ import annotations

import typing

from jobwise.cli.arguments import CommandBuilder, _common, _pair, _seconds

WRITER_STATUSES = ("in_progress", "completed", "failed")


class WriterArgs(CommandBuilder):
    """Adds the Writer commands, each at the top level."""

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
