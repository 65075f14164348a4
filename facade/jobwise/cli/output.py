"""What the CLI shows: a live batch progress bar, summary tables, jobs as text or JSON."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from jobwise.batch.items import FINAL_ITEM_STATUSES, BatchSummary, ItemStatus

err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)

WIDE = 60
"""From this many columns on, the progress line has a bar and every detail."""


def clock(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour on."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_parts(progress: Any, total: int | None) -> tuple[str, str, str]:
    """The progress line in three parts: counts first (``done/total pct``), the details
    (failed, jobs waiting, rate), and the time (ETA, elapsed). ``progress`` is a
    :class:`jobwise.Progress`."""
    done = progress.done
    if total is not None:
        percent = 100 * done // total if total else 100
        head = f"{done:,}/{total:,} {percent}%"
    else:
        head = f"{done:,} done"
    details = []
    if progress.failed:
        details.append(f"{progress.failed:,} failed")
    details.append(f"{progress.in_flight:,} jobs waiting")
    details.append(f"{progress.rate:.1f}/s")
    rate = progress.rate
    if total is not None and done < total:
        eta = clock((total - done) / rate) if rate > 0 else "?"
        timing = f"ETA {eta}"
    else:
        timing = clock(progress.elapsed)
    return head, " · ".join(details), timing


def progress_line(progress: Any, total: int | None, width: int) -> str:
    """The whole progress line as text, fitting ``width`` columns (no bar)."""
    head, details, timing = progress_parts(progress, total)
    full = f"{head} · {details} · {timing}"
    if len(full) <= width:
        return full
    failed = f" · {progress.failed:,} failed" if progress.failed else ""
    return f"{head}{failed} · {timing}"[:width]


@contextmanager
def batch_bar(total: int | None, quiet: bool, console: Console | None = None) -> Iterator[Any]:
    """A live progress line on stderr (or ``console``), on a terminal only; yields an
    ``on_progress`` for ``run_batch``."""
    console = console or err
    quiet = quiet or not console.is_terminal
    wide = console.width >= WIDE
    columns: list[Any] = (
        [
            TextColumn("{task.fields[head]}"),
            BarColumn(bar_width=None),
            TextColumn("{task.fields[tail]}"),
        ]
        if wide
        else [TextColumn("{task.fields[line]}")]
    )
    bar = Progress(
        *columns, console=console, disable=quiet, refresh_per_second=4, expand=wide, transient=False
    )
    task = bar.add_task("batch", total=total, head="starting", tail="", line="starting")

    def on_progress(progress: Any) -> None:
        head, details, timing = progress_parts(progress, total)
        line = progress_line(progress, total, console.width)
        tail = f"{details} · {timing}"
        bar.update(task, completed=progress.done, head=head, tail=tail, line=line)

    with bar:
        yield on_progress


def summary_table(
    summary: BatchSummary, elapsed: float, out_path: str, state_path: str, partial: bool
) -> None:
    """The end-of-run table, on stderr (stdout stays clean for --json)."""
    table = Table(title="jobwise batch" + (" (interrupted)" if partial else ""))
    table.add_column("items")
    table.add_column("count", justify="right")
    for status, count in sorted(summary["counts"].items()):
        table.add_row(status, f"{count:,}")
    table.add_row("total", f"{summary['total']:,}")
    table.add_row("done in earlier runs", f"{summary['from_earlier_runs']:,}")
    table.add_row("job retries (failed jobs re-run)", f"{summary['retries']:,}")
    table.add_row("HTTP requests (all, retried ones too)", f"{summary['requests']:,}")
    table.add_row("elapsed", clock(elapsed) if elapsed >= 60 else f"{elapsed:.1f} s")
    err.print(table)
    what = "partial results" if partial else "results"
    advice = next_step(summary["counts"], summary["total"], partial)
    err.print(
        f"{what}: {out_path}\nstate:   {state_path} ({advice})",
        soft_wrap=True,
    )


def next_step(counts: Mapping[str, int], total: int, stopped: bool = False) -> str:
    """What to run next for a batch of ``total`` inputs, these ``counts`` by status (``stopped``
    before it read them all): the same command resumes unfinished items and keeps waiting for
    timed-out ones, sends ambiguous ones again only with ``--resend-ambiguous`` and failed ones
    only with ``--retry-failed N``."""
    timed_out = counts.get(ItemStatus.TIMED_OUT, 0)
    ambiguous = counts.get(ItemStatus.AMBIGUOUS, 0)
    final = sum(counts.get(status, 0) for status in FINAL_ITEM_STATUSES)
    steps = []
    if stopped or final + timed_out + ambiguous < total:
        steps.append("run the same command to resume")
    if timed_out:
        steps.append(
            f"run the same command to keep waiting for the {_items(timed_out)} that timed out"
        )
    if ambiguous:
        steps.append(
            f"{_items(ambiguous)} ambiguous, which a plain rerun leaves so: check their "
            "candidates in the results, then run the same command with --resend-ambiguous to "
            "send them again; each may duplicate a job, as the README's Reliability section tells"
        )
    if failed := counts.get(ItemStatus.FAILED, 0):
        steps.append(f"add --retry-failed N to retry the {failed:,} failed")
    if invalid := counts.get(ItemStatus.INVALID, 0):
        steps.append(f"the {invalid:,} invalid were refused unsent (see their errors)")
    return "; ".join(steps) or "nothing: every item completed"


def _items(count: int) -> str:
    return f"{count:,} item" + ("" if count == 1 else "s")


def jsonable(value: Any) -> Any:
    """A generated model (or a list of them) as plain JSON data."""
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else value


def _print_job(value: Any) -> None:
    data = jsonable(value)
    if not isinstance(data, dict):
        out.print(str(data))
        return
    line = f"{data.get('id') or data.get('job_id') or '-'}  {data.get('status')}"
    if data.get("retried"):  # an osapi retry's new job: the original it replaced
        line += f"  retry of {data['retried']}"
    if data.get("candidates"):  # an ambiguous osapi retry: any one (or none) may be it
        line += f"  candidates: {', '.join(data['candidates'])}"
    if data.get("error"):
        line += f"  error: {data['error']}"
    out.print(line)
    result = data.get("data")
    if isinstance(result, dict) and result.get("suggestion"):
        out.print(result["suggestion"])


def show(value: Any, as_json: bool) -> None:
    """Print a result: JSON for scripts, else one readable line per job."""
    if as_json:
        sys.stdout.write(json.dumps(jsonable(value), default=str) + "\n")
        return
    for item in value if isinstance(value, list) else [value]:
        _print_job(item)


def show_each(values: Iterable[Any], as_json: bool) -> int:
    """Print jobs as they come; returns how many. JSON is one array, streamed from the first
    job on: nothing is printed before it, and a failure after it still closes the array (the
    error goes to stderr and the exit status says the list is cut short)."""
    if not as_json:
        count = 0
        for value in values:
            _print_job(value)
            count += 1
        return count
    return _stream_array(values)


def _stream_array(values: Iterable[Any]) -> int:
    """Write ``values`` to stdout as one JSON array, each flushed as it comes."""
    count = 0
    try:
        for value in values:
            text = json.dumps(jsonable(value), default=str)
            sys.stdout.write(("," if count else "[") + "\n" + text)
            sys.stdout.flush()
            count += 1
    except BrokenPipeError:  # the reader left: there is no one to close the array for
        raise
    except BaseException:
        if count:
            _close_array()
        raise
    sys.stdout.write("\n]\n" if count else "[]\n")
    return count


def _close_array() -> None:
    """End an array cut short by an error, so that stdout stays one JSON document."""
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.write("\n]\n")
        sys.stdout.flush()


class StatusLine:
    """A status line on stderr while waiting for one job, only on a terminal: the job's
    latest status and the time spent waiting, kept fresh by rich's spinner."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.status = "waiting"
        self.started = time.monotonic()
        self._spinner = err.status(self) if err.is_terminal else None

    def __rich__(self) -> str:
        return f"job {self.job_id}: {self.status} ({clock(time.monotonic() - self.started)})"

    def update(self, job: Any) -> None:
        """Show the job's latest status (an ``on_status`` callback)."""
        self.status = str(getattr(job.status, "value", job.status))

    def __enter__(self) -> StatusLine:
        if self._spinner is not None:
            self._spinner.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._spinner is not None:
            self._spinner.stop()
