"""What the CLI shows: a live batch progress bar, summary tables, jobs as text or JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from jobwise.batch_results import Progress as BatchProgress

err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)


@contextmanager
def batch_bar(total: int | None, quiet: bool) -> Iterator[Any]:
    """A live bar showing done/total, failed, in flight and rate; yields an ``on_progress``."""
    bar = Progress(
        TextColumn("[bold]batch"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        refresh_per_second=8,
    )
    task = bar.add_task("batch", total=total, detail="starting")

    def on_progress(progress: BatchProgress) -> None:
        bar.update(
            task,
            completed=progress.done,
            detail=(
                f"[red]{progress.failed} failed[/] · {progress.in_flight} in flight · "
                f"{progress.rate:.1f}/s · {progress.requests} requests"
            ),
        )

    with bar:
        yield on_progress


def summary_table(summary: dict[str, Any], out_path: str, state_path: str) -> None:
    """The end-of-run table, on stderr (stdout stays clean for --json)."""
    table = Table(title="jobwise batch")
    table.add_column("items")
    table.add_column("count", justify="right")
    for status, count in sorted(summary["counts"].items()):
        table.add_row(status, str(count))
    table.add_row("total", str(summary["total"]))
    table.add_row("from earlier runs", str(summary["from_earlier_runs"]))
    table.add_row("retries", str(summary["retries"]))
    table.add_row("HTTP requests", str(summary["requests"]))
    table.add_row("elapsed", f"{summary['elapsed']:.1f} s")
    err.print(table)
    err.print(f"results: {out_path}\nstate:   {state_path} (run the same command to resume)")


def jsonable(value: Any) -> Any:
    """A generated model (or a list of them) as plain JSON data."""
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else value


def show(value: Any, as_json: bool) -> None:
    """Print a result: JSON for scripts, else one readable line per job."""
    if as_json:
        sys.stdout.write(json.dumps(jsonable(value), default=str) + "\n")
        return
    for item in value if isinstance(value, list) else [value]:
        data = jsonable(item)
        if not isinstance(data, dict):
            out.print(str(data))
            continue
        job_id = data.get("id") or data.get("job_id")
        status = data.get("status")
        line = f"{job_id}  {status}"
        suggestion = (
            (data.get("data") or {}).get("suggestion")
            if isinstance(data.get("data"), dict)
            else None
        )
        if data.get("error"):
            line += f"  error: {data['error']}"
        out.print(line)
        if suggestion:
            out.print(suggestion)
