"""The ``jobwise`` command line: batches, single jobs, osapi, and the emulator.

Configuration comes from the same environment variables as the library: WRITER_API_KEY,
WRITER_BASE_URL, OSAPI_URL, OSAPI_TOKEN. Every error prints as one line (with ``--json``, one
JSON object) on stderr; exit codes are in :mod:`jobwise.cli.errors` and ``jobwise --help``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import FrameType
from typing import Any

from jobwise.batch.items import ItemStatus
from jobwise.cli.errors import ExitCode, Interrupted, report
from jobwise.cli.parser import Parsers, build_parser

__all__ = ["build_parser", "emulator_main", "main"]


def _final(job: Any) -> int:
    return (
        ExitCode.OK
        if str(getattr(job.status, "value", job.status)) == "completed"
        else ExitCode.JOB_FAILED
    )


def _wait_for(
    jobs: Any, job_id: str, timeout: float, as_json: bool, come_back: str, known: Any = None
) -> int:
    """Wait for one job with a status line on a terminal; Ctrl-C says how to come back, a
    timeout with ``--json`` prints the last job seen."""
    from jobwise.cli.output import StatusLine, show
    from jobwise.errors import WaitTimeoutError

    try:
        with StatusLine(job_id) as line:
            if known is not None:
                line.update(known)
            job = jobs.wait(job_id, timeout=timeout, on_status=line.update)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted; job {job_id} goes on: come back with `{come_back} {job_id}`"
        ) from None
    except WaitTimeoutError as exc:
        if as_json and exc.job is not None:
            show(exc.job, True)
        raise
    show(job, as_json)
    return _final(job)


def _writer(args: argparse.Namespace) -> int:
    from jobwise import WriterJobs
    from jobwise.cli.output import show, show_each

    with WriterJobs(
        base_url=args.base_url,
        allow_insecure=args.allow_insecure,
        rate_limit=args.rpm,
        timeout=args.request_timeout,
    ) as jobs:
        command = args.command
        if command == "submit":
            inputs: dict[str, list[str]] = {}
            for name, value in args.input:
                inputs.setdefault(name, []).append(value)
            created = jobs.create(args.app_id, inputs)
            if args.wait:
                return _wait_for(jobs, created.id, args.timeout, args.json, "jobwise wait")
            show(created, args.json)
        elif command == "get":
            show(jobs.retrieve(args.job_id), args.json)
        elif command == "wait":
            job = jobs.retrieve(args.job_id)  # an unknown id fails now, not after a long wait
            if str(getattr(job.status, "value", job.status)) in ("completed", "failed"):
                show(job, args.json)
                return _final(job)
            return _wait_for(jobs, args.job_id, args.timeout, args.json, "jobwise wait", job)
        elif command == "list":
            _list(jobs.list(args.app_id, status=args.status, page_size=_page(args.limit)), args)
        elif command == "retry":
            show(jobs.retry(args.job_id), args.json)
        elif command == "retry-failed":
            failed = [job.id for job in jobs.list(args.app_id, status="failed", page_size=100)]
            show_each((jobs.retry(job_id) for job_id in failed), args.json)
    return ExitCode.OK


def _page(limit: int | None) -> int:
    return 100 if limit is None else min(limit + 1, 100)


def _list(pager: Iterable[Any], args: argparse.Namespace) -> None:
    """Print every job as pages come, or the first ``--limit`` and say when there are more."""
    from jobwise.cli.output import show_each

    if args.limit is None:
        show_each(pager, args.json)
        return
    first = list(itertools.islice(pager, args.limit + 1))
    show_each(first[: args.limit], args.json)
    if len(first) > args.limit:
        sys.stderr.write(
            f"jobwise: showing the first {args.limit} of more jobs "
            "(raise --limit, or drop it to list all)\n"
        )


def _osapi(args: argparse.Namespace) -> int:
    from jobwise import OsapiJobs
    from jobwise.cli.output import show

    with OsapiJobs(
        args.base_url, allow_insecure=args.allow_insecure, timeout=args.request_timeout
    ) as jobs:
        command = args.osapi_command
        come_back = "jobwise osapi wait"
        if command == "list":
            _list(jobs.list(status=args.status, page_size=_page(args.limit)), args)
        elif command == "get":
            show(jobs.retrieve(args.job_id), args.json)
        elif command == "wait":
            job = jobs.retrieve(args.job_id)
            return _wait_for(jobs, args.job_id, args.timeout, args.json, come_back, job)
        elif command == "retry":
            new_id = jobs.retry(args.job_id, args.target_hostname)
            if args.wait:  # the new job: osapi keeps the old one as it was
                return _wait_for(jobs, new_id, args.timeout, args.json, come_back)
            show({"id": new_id, "status": "created", "retried": args.job_id}, args.json)
        elif command == "retry-failed":
            return _osapi_retry_failed(jobs, args)
        elif command == "delete":
            jobs.delete(args.job_id)
            show({"id": args.job_id, "status": "deleted"}, args.json)
    return ExitCode.OK


def _osapi_retry_failed(jobs: Any, args: argparse.Namespace) -> int:
    """Retry each failed job not retried before (the listing read first: retries add jobs to
    it), then wait for every new job and print it with the original it replaced. A retry left
    ambiguous is printed with its candidates and the others go on; exit 7 then, else 1 when
    one did not complete. Ctrl-C prints the new jobs not waited for as created."""
    from jobwise.cli.output import show_each

    failed = [job.id for job in jobs.list(status="failed")]
    originals = _not_yet_retried(jobs, failed)
    if skipped := len(failed) - len(originals):
        sys.stderr.write(
            f"jobwise: skipped {skipped} failed job{'s' if skipped != 1 else ''} already "
            "retried (to run one again: jobwise osapi retry JOB_ID)\n"
        )
    retries, stopped = _retry_each(jobs, originals)
    codes: list[int] = []
    unwaited: list[str] = []  # after Ctrl-C: printed as created, left to go on

    def finals() -> Iterator[dict[str, Any]]:
        nonlocal stopped
        for new_id, entry in retries:
            if new_id is None:
                codes.append(ExitCode.NEEDS_DECISION)
            elif not isinstance(stopped, KeyboardInterrupt):
                try:
                    job = jobs.wait(new_id, timeout=args.timeout)
                    entry = {**job.to_dict(), **entry}
                    codes.append(_final(job))
                except KeyboardInterrupt as exc:
                    stopped = exc
            if new_id is not None and isinstance(stopped, KeyboardInterrupt):
                unwaited.append(new_id)
                entry = {"id": new_id, "status": "created", **entry}
            yield entry

    show_each(finals(), args.json)
    if isinstance(stopped, KeyboardInterrupt):
        jobs_left = f"{len(unwaited)} new job{'s' if len(unwaited) != 1 else ''}"
        what = f"the {jobs_left} printed as created go on: come back with `jobwise osapi wait`"
        notes = getattr(stopped, "__notes__", [])
        raise Interrupted("; ".join(["interrupted", what, *notes])) from None
    if stopped is not None:
        raise stopped
    return max(codes, default=ExitCode.OK)


def _retry_each(
    jobs: Any, originals: list[str]
) -> tuple[list[tuple[str | None, dict[str, Any]]], Exception | KeyboardInterrupt | None]:
    """Retry each of ``originals`` in turn (see :func:`_retry_or_ambiguous`), until one fails
    otherwise or Ctrl-C: the retries made, and that error, noted with what was left."""
    retries: list[tuple[str | None, dict[str, Any]]] = []
    for job_id in originals:
        try:
            retries.append(_retry_or_ambiguous(jobs, job_id))
        except (Exception, KeyboardInterrupt) as exc:  # the server failing, the job gone
            left = len(originals) - len(retries)
            exc.add_note(
                f"{len(retries)} retr{'y' if len(retries) == 1 else 'ies'} made (printed), "
                f"{left} failed job{'s' if left != 1 else ''} not retried: run the same "
                "command again for them"
            )
            return retries, exc
    return retries, None


def _retry_or_ambiguous(jobs: Any, job_id: str) -> tuple[str | None, dict[str, Any]]:
    """Retry ``job_id``: the new job's id and what to print with it, or None and the entry of
    a retry that may have made one of several jobs (check them before retrying it again)."""
    from jobwise.errors import AmbiguousRetryError

    try:
        return jobs.retry(job_id), {"retried": job_id}
    except AmbiguousRetryError as exc:
        entry = {"id": None, "status": ItemStatus.AMBIGUOUS, "retried": job_id, "error": str(exc)}
        return None, {**entry, "candidates": exc.candidates}


def _not_yet_retried(jobs: Any, job_ids: list[str]) -> list[str]:
    """The jobs of ``job_ids`` osapi has made no new job from. A retried job stays failed and
    listed as such, so without this every run would run its operation again; the mark is in
    its timeline, read from the job retrieved (list items are not relied on to carry it)."""
    from jobwise._api.osapi import was_retried

    return [job_id for job_id in job_ids if not was_retried(jobs.retrieve(job_id))]


def _batch(args: argparse.Namespace) -> int:
    from jobwise.cli.batch import run_batch_command

    return run_batch_command(args)


def _status(args: argparse.Namespace) -> int:
    from jobwise.cli.status import run_status_command

    return run_status_command(args)


def _emulator(argv: list[str], prog: str = "jobwise emulator") -> int:
    try:
        from jobwise_emulator.cli import main as emulator_main
    except ImportError:
        print(
            "jobwise: the emulator needs its extra: pip install 'jobwise[emulator]'",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    return emulator_main(argv, prog=prog)


def emulator_main() -> int:
    """Run the ``jobwise-emulator`` command (``jobwise emulator``; without the emulator's extra
    installed, a one-line hint)."""
    return _emulator(sys.argv[1:], "jobwise-emulator")


def _dispatch(args: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "batch": _batch,
        "osapi": _osapi,
        "status": _status,
    }
    return handlers.get(args.command, _writer)(args)


def _as_ctrl_c(signum: int, frame: FrameType | None) -> None:
    """What Ctrl-C would do, even where SIGINT is ignored (a script's ``cmd &`` job): raising
    SIGINT there did nothing, and the command ran on to its end."""
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
        return
    raise KeyboardInterrupt


@contextlib.contextmanager
def _terminate_as_ctrl_c() -> Iterator[None]:
    """SIGTERM (``timeout``, ``docker stop``, a CI's cancel) stops a command as Ctrl-C does: a
    batch writes its partial results and says so (it was killed silently, no results file)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _as_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``jobwise`` command; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "emulator":
        return _emulator(args_list[1:])
    as_json = "--json" in args_list
    try:
        args = Parsers().parse(args_list)
        try:
            import rich  # noqa: F401
        except ImportError:
            print(
                "jobwise: the command line needs its extra: pip install 'jobwise[cli]'",
                file=sys.stderr,
            )
            return ExitCode.USAGE
        from jobwise.cli.verbosity import configure_logging

        configure_logging(args.verbose, os.environ)
        with _terminate_as_ctrl_c():
            return _dispatch(args)
    except BrokenPipeError:  # `jobwise list APP | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except Exception as exc:
        return report(exc, as_json)
    except KeyboardInterrupt as exc:
        return report(exc, as_json)
