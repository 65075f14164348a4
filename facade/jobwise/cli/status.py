"""``jobwise status STATE_FILE``: where a batch stands, read from its state file while it runs
(from another process) or after it ended, without changing the file or taking its lock.

The file is opened read-only and read in one short read transaction: SQLite's WAL gives the
reader the last committed snapshot (never a half-written one) and never blocks the writer's
commits; the run's checkpoint waits for the reader at most the milliseconds of that one read.
A file whose ``-wal`` is gone (its run closed it) is read as immutable, so that no ``-wal`` or
``-shm`` is left beside it; should a run open it during that read, it is read again, as live.

``--json`` prints one object (one a line with ``--watch``) of these keys:

``state_file``
    the path given.
``running``
    whether the run recorded itself running at its last record (``None``: no record, a file
    written before jobwise recorded progress).
``counts``, ``total``, ``done``
    items by status now (from the file's last commit), their sum, and those with an outcome.
``inputs``
    how many inputs the run was given, when it knew (``None``: read from a stream).
``requests``, ``rate_limit``, ``elapsed``, ``started``, ``updated``, ``last_error``
    at the last record: HTTP requests sent by that run, the rate limit in force (requests a
    minute, ``None``: none learned yet), its seconds so far, its start and the record's time
    (Unix seconds), and the last request error it met.
``requests_per_minute``, ``items_per_minute``
    the run's pace: requests sent, and items finished by it, a minute.
``eta_seconds``
    seconds until every input has an outcome at that pace (``None``: ended, no pace yet, or
    the number of inputs unknown).
``next``
    what to do next, as the batch command's summary says it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from jobwise.batch.items import FINAL_ITEM_STATUSES, OUTCOMES
from jobwise.batch.reader import read_snapshot
from jobwise.batch.schema import StateFileError
from jobwise.cli.errors import ExitCode, UsageError

DAY = 86_400.0
"""How long ``--watch`` refreshes at most (a batch of 100,000 inputs at Writer's 400 requests a
minute takes some 4 to 8 hours): a forgotten watch ends."""


def read_status(path: str, now: float) -> dict[str, Any]:
    """Where the batch of state file ``path`` stands (the keys of this module's docstring);
    ``now`` is the wall clock's Unix seconds. Raises :class:`UsageError` for a file that is
    missing, not a state file, or of a newer schema."""
    try:
        meta, counts = read_snapshot(path)
    except StateFileError as exc:
        raise UsageError(str(exc)) from None
    record: dict[str, Any] = json.loads(meta.get("progress", "{}"))
    total = sum(counts.values())
    done = sum(counts.get(status, 0) for status in OUTCOMES)
    running = record.get("running")
    elapsed = record.get("elapsed")
    if running and elapsed is not None:
        elapsed += max(0.0, now - record["updated"])  # it ran on since its record
    per_minute = _pace(record, counts, elapsed)
    inputs = record.get("inputs")
    left = None if inputs is None else max(0, inputs - done)
    items_per_minute = per_minute[1]
    eta = (
        60 * left / items_per_minute if running and left is not None and items_per_minute else None
    )
    status: dict[str, Any] = {
        "state_file": path,
        "running": running,
        "counts": dict(sorted(counts.items())),
        "total": total,
        "done": done,
        "inputs": inputs,
        "requests": record.get("requests"),
        "rate_limit": record.get("rate_limit"),
        "elapsed": None if elapsed is None else round(elapsed, 1),
        "started": None if not record else round(record["updated"] - record["elapsed"], 3),
        "updated": record.get("updated"),
        "last_error": record.get("last_error"),
        "requests_per_minute": per_minute[0],
        "items_per_minute": items_per_minute,
        "eta_seconds": None if eta is None else round(eta),
    }
    status["next"] = _next(status, path)
    return status


def _pace(
    record: dict[str, Any], counts: dict[str, int], elapsed: float | None
) -> tuple[float | None, float | None]:
    """Requests sent (to its record) and items finished (to the last commit) by the recorded
    run, a minute."""
    if not elapsed or elapsed <= 0:
        return None, None
    finished = sum(counts.get(status, 0) for status in FINAL_ITEM_STATUSES)
    by_run = max(0, finished - record.get("from_earlier_runs", 0))
    requests = 60 * record["requests"] / record["elapsed"] if record["elapsed"] > 0 else 0.0
    return round(requests, 1), round(60 * by_run / elapsed, 1)


def _next(status: dict[str, Any], path: str) -> str:
    """What to do next: wait while it runs, else the batch command's own advice."""
    from jobwise.cli.output import next_step

    if status["running"]:
        return (
            f"it is running: follow it with `jobwise status {path} --watch`; if its process is "
            "gone (killed), run the same batch command to resume"
        )
    return next_step(status["counts"], max(status["total"], status["inputs"] or 0))


def _text(status: dict[str, Any], now: float) -> str:
    """The status as a few lines for a person."""
    from jobwise.cli.output import clock

    lines = []
    if status["running"] is None:
        state = "no progress recorded (an older jobwise wrote it)"
    else:
        ago = clock(max(0.0, now - status["updated"]))
        state = f"{'running' if status['running'] else 'ended'}, recorded {ago} ago"
    lines.append(f"state file: {status['state_file']} ({state})")
    of = f" of {status['inputs']:,} inputs" if status["inputs"] is not None else ""
    lines.append(f"items: {status['done']:,} done{of}, {status['total']:,} read")
    lines.append("  " + " · ".join(f"{name} {count:,}" for name, count in status["counts"].items()))
    if status["requests"] is not None:
        rate = status["rate_limit"]
        limit = f"{rate:g}/min in force" if rate else "none learned yet"
        pace = status["requests_per_minute"]
        lines.append(
            f"requests: {status['requests']:,} sent at its record ({pace or 0:g}/min; "
            f"rate limit {limit})"
        )
        timing = f"elapsed {clock(status['elapsed'])}"
        if status["items_per_minute"] is not None:
            timing += f" · pace {status['items_per_minute']:g} items/min"
        if status["eta_seconds"] is not None:
            timing += f" · ETA {clock(status['eta_seconds'])}"
        lines.append(timing)
    if status["last_error"]:
        lines.append(f"last error: {status['last_error']}")
    lines.append(f"next: {status['next']}")
    return "\n".join(lines)


def _show(status: dict[str, Any], as_json: bool, now: float) -> None:
    if as_json:
        sys.stdout.write(json.dumps(status) + "\n")
    else:
        sys.stdout.write(_text(status, now) + "\n")
    sys.stdout.flush()


def run_status_command(
    args: argparse.Namespace,
    wall: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """``jobwise status``: show the batch once, or with ``--watch`` every few seconds until
    it ends (or Ctrl-C, or a day: exit 0)."""
    interval: float | None = args.watch
    status = read_status(args.state_file, wall())
    _show(status, args.json, wall())
    if interval is None:
        return ExitCode.OK
    try:
        # Bounded: a day of refreshes at most; then the last one shown stands.
        for _ in range(int(DAY / interval)):
            if not status["running"]:
                break
            sleep(interval)
            if not args.json and sys.stdout.isatty():
                sys.stdout.write("\x1b[H\x1b[2J")  # the refresh replaces the screen
            status = read_status(args.state_file, wall())
            _show(status, args.json, wall())
    except KeyboardInterrupt:
        pass
    return ExitCode.OK
