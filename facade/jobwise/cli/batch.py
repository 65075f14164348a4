"""``jobwise batch``: every input checked first (stdin too), results written in input order."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from jobwise.batch.items import BatchSummary, ItemStatus
from jobwise.batch.schema import OtherInputsError, StateFileError
from jobwise.cli.errors import CliError, ExitCode, Interrupted, LocalFileError, UsageError, report
from jobwise.cli.inputs import InputFile, count_inputs, file_format, format_guessed, is_stream
from jobwise.cli.paths import check_batch_paths
from jobwise.cli.results import InputSpool, write_results

if TYPE_CHECKING:
    from jobwise.batch.run import AsyncBatchRun


class _Counted:
    """Inputs of a known number: the batch records it, so that ``jobwise status`` has an ETA."""

    def __init__(self, inputs: Iterable[Any], count: int) -> None:
        self._inputs, self._count = inputs, count

    def __iter__(self) -> Iterator[Any]:
        return iter(self._inputs)

    def __len__(self) -> int:
        return self._count


def _exit_code(summary: BatchSummary) -> int:
    """7 when some items are ambiguous or timed out (the user decides), else 1 when some did
    not complete."""
    counts: dict[str, int] = summary["counts"]
    if summary["needs_decision"]:
        return ExitCode.NEEDS_DECISION
    return (
        ExitCode.JOB_FAILED
        if summary["total"] - counts.get(ItemStatus.COMPLETED, 0)
        else ExitCode.OK
    )


async def _consume(
    args: argparse.Namespace,
    inputs: Iterable[Any],
    spool: InputSpool,
    state_path: str,
    total: int | None,
    runs: list[AsyncBatchRun],
) -> None:
    """Run the batch on the async client (httpx-aiohttp's transport when installed), counting
    each item in ``spool``; ``runs`` receives the run, for its summary."""
    from jobwise import AsyncWriterJobs
    from jobwise.cli.output import batch_bar

    async with AsyncWriterJobs(
        base_url=args.base_url,
        rate_limit=args.rpm,
        timeout=args.request_timeout,
        allow_insecure=args.allow_insecure,
        idempotency=args.idempotency,
    ) as jobs:
        shown: list[Callable[[Any], None]] = []  # the bar, once the run is accepted
        run = jobs.run_batch(
            args.app_id,
            inputs,
            concurrency=args.concurrency,
            state=state_path,
            retry_failed=args.retry_failed,
            deadline=args.timeout,
            resend_ambiguous=args.resend_ambiguous,
            adopt=not args.no_adopt,
            on_progress=lambda progress: shown and shown[0](progress),
        )
        runs.append(run)
        with batch_bar(total, args.quiet or args.json) as on_progress:
            shown.append(on_progress)
            async for _ in run:
                spool.finished += 1


def _run_stoppable(main: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run(main)``, a SIGTERM stopping it as Ctrl-C does (its task cancelled, then
    KeyboardInterrupt), also where SIGINT is ignored: a script's ``cmd &`` job starts so, and
    asyncio then leaves SIGINT alone."""
    terminated = False

    async def stoppable() -> None:
        nonlocal terminated
        task = asyncio.current_task()
        if task is None or threading.current_thread() is not threading.main_thread():
            await main
            return
        loop = asyncio.get_running_loop()
        previous = signal.getsignal(signal.SIGTERM)

        def stop() -> None:
            nonlocal terminated
            terminated = True
            task.cancel()

        loop.add_signal_handler(signal.SIGTERM, stop)
        try:
            await main
        finally:
            loop.remove_signal_handler(signal.SIGTERM)  # it leaves SIG_DFL: put back the CLI's
            signal.signal(signal.SIGTERM, previous)

    try:
        asyncio.run(stoppable())
    except asyncio.CancelledError:
        if not terminated:
            raise
        raise KeyboardInterrupt from None


def _partial(out: str, spool: InputSpool) -> str:
    """What a run that stopped wrote, once its results are written."""
    pending = spool.read - spool.finished - spool.running
    waiting = f", {pending:,} wait to be sent" if pending > 0 else ""
    return (
        f"wrote partial results to {out} ({spool.finished:,} of the {spool.read:,} inputs read "
        f"have one, {spool.running:,} more are submitted and their jobs run on{waiting})"
    )


def _other_inputs(
    exc: OtherInputsError, name: str, state_path: str, spool: InputSpool
) -> StateFileError:
    """A state file refused for another input list, in the command line's words: the input
    numbered from 1 with its line, what probably changed, and how to start over or resume."""
    if exc.index is not None:
        line = spool.line_of(exc.index)
        where = f" (line {line} of {name})" if line is not None else ""
        found = f"input {exc.index + 1}{where} is not the one it recorded"
    else:
        found = f"it holds {exc.stored} inputs and {name} has {exc.given}"
    return StateFileError(
        f"state file {state_path} was made for another input list: {found}; the input file "
        "or --input-name probably changed since. To run these inputs afresh (each is sent "
        f"again), pass --state with a new path or delete {state_path}; to resume that run, "
        "give it its own file and --input-name again"
    )


def run_batch_command(args: argparse.Namespace) -> int:
    """Run ``jobwise batch``; returns the exit status."""
    from jobwise.cli.output import err, show, summary_table

    fmt = file_format(args.file, args.format)
    if fmt != "csv" and (args.no_header or args.column is not None):
        raise UsageError("--column and --no-header are for CSV input (FILE is not .csv)")
    state_path = args.state or f"{args.out}.state.sqlite"
    check_batch_paths(args.file, args.out, state_path)
    options = {
        "header": not args.no_header,
        "column": args.column,
        "guessed": format_guessed(args.file, args.format),
    }
    stream = is_stream(args.file)
    total = None if stream else count_inputs(args.file, fmt, args.input_name, **options)
    if args.file == "-" and sys.stdin is not None and sys.stdin.isatty() and not args.quiet:
        err.print("jobwise: reading inputs from the terminal, one per line; end with Ctrl-D")
    started = time.monotonic()
    interrupted = False
    spool = InputSpool()
    try:
        # The first pass (count_inputs) has warned of what it found already.
        reading = InputFile(args.file, fmt, args.input_name, warn=stream, **options)
        with reading as source:
            if stream:  # read once: each line checked before any is sent, as a file's are
                total = source.buffer()
            runs: list[AsyncBatchRun] = []
            try:
                numbered = spool.numbered(source)
                inputs = numbered if total is None else _Counted(numbered, total)
                _run_stoppable(_consume(args, inputs, spool, state_path, total, runs))
            except KeyboardInterrupt:
                interrupted = True
            except sqlite3.Error as exc:
                problem = "disk full" if "full" in str(exc) else str(exc)
                raise LocalFileError(f"state file {state_path}: {problem}") from None
            except OtherInputsError as exc:  # the earlier run's results file is left as it was
                raise _other_inputs(exc, source.name, state_path, spool) from None
            except BaseException as exc:
                if spool.finished:  # what did finish is not lost with the run
                    with contextlib.suppress(CliError, StateFileError):
                        write_results(args.out, source.columns, spool.results(True, state_path))
                        exc.add_note(_partial(args.out, spool))  # printed after the error
                raise
            if not runs:  # interrupted before the run began: nothing was sent
                raise Interrupted("interrupted before the batch began; nothing was sent")
            summary = runs[0].summary()
            results = spool.results(interrupted, state_path)
            written = write_results(args.out, source.columns, results)
    finally:
        spool.close()
    elapsed = time.monotonic() - started
    if args.json:
        show(
            {
                "summary": summary,
                "out": args.out,
                "results": written,
                "state": state_path,
                "partial": interrupted,
                "elapsed": round(elapsed, 3),
            },
            as_json=True,
        )
    else:
        summary_table(summary, elapsed, args.out, state_path, interrupted)
    if interrupted:
        return report(
            Interrupted(
                f"interrupted; {_partial(args.out, spool)}; run the same command again to resume "
                "(nothing is sent twice)"
            ),
            args.json,
        )
    code = _exit_code(summary)
    if not summary["total"]:  # most likely the wrong file: say so, though nothing failed
        err.print(
            f"[yellow]FILE {args.file} holds no inputs (blank lines are skipped)[/]", soft_wrap=True
        )
    if code != ExitCode.OK and not args.json:
        unfinished = summary["total"] - summary["counts"].get(ItemStatus.COMPLETED, 0)
        err.print(f"[red]{unfinished:,} of {summary['total']:,} inputs did not complete[/]")
    return code
