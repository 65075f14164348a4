"""Where a batch's client CPU goes: one jobwise batch against an emulator process on loopback,
sampled on the process's CPU clock (ITIMER_PROF: user and system time, not wall time, so the
waits of a loaded machine and of the jobs themselves do not count).

Each sample records the Python stack that was running (a sample taken inside a C call, a
SQLite statement or a socket send, lands on the line that called it). The kernel checks the
timer at its ticks (every 4 ms at 250 Hz), whatever ``--interval`` asks, so each sample is
weighed by the process's measured CPU over the samples taken. Python runs the handler only
between bytecodes of the main thread, so a tick taken in the kernel (a socket's send on
loopback) may land on the next line run instead: a function's share is a lead, to be checked
by timing the function itself (a socket write showed 31 us a job here against 15 for bare
creates, where timed it cost 22 us each for both). Prints the functions by
their own samples and by the samples of everything they called, and the share of each
package; ``--collapsed`` writes the stacks for a flame graph (flamegraph.pl, speedscope).

    .venv/bin/python scripts/profile_batch.py [--jobs 10000] [--latency 0.5-2]
        [--emulator-args "--profile fast"] [--concurrency 16] [--top 40] [--collapsed out.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import resource
import shlex
import signal
import sys
import time
from types import FrameType

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_batch

Site = tuple[str, str]
"""A function: its file and its name."""


class CpuSampler:
    """Samples the main thread's stack every ``interval`` s of the process's CPU time."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.stacks: collections.Counter[tuple[Site, ...]] = collections.Counter()

    def _sample(self, signum: int, frame: FrameType | None) -> None:
        stack: list[Site] = []
        while frame is not None:
            stack.append((frame.f_code.co_filename, frame.f_code.co_name))
            frame = frame.f_back
        self.stacks[tuple(reversed(stack))] += 1

    def __enter__(self) -> CpuSampler:
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)


def _short(path: str) -> str:
    """A file's path from its package on (site-packages, the project, the standard library)."""
    for marker in ("site-packages/", "/facade/", "/generated/", "/emulator/", "/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return os.path.basename(path)


def _package(path: str) -> str:
    short = _short(path)
    if short.startswith("jobwise/"):  # the client's own modules, one by one
        return short.removesuffix(".py")
    return short.split("/", 1)[0].removesuffix(".py")


def report(stacks: collections.Counter[tuple[Site, ...]], cpu: float, jobs: int, top: int) -> None:
    """The top functions by own and by inclusive samples, and each package's own share, in
    microseconds of CPU a job (``cpu``: the process's CPU seconds over the samples)."""
    total = sum(stacks.values())
    weight = cpu / max(1, total)
    own: collections.Counter[Site] = collections.Counter()
    inclusive: collections.Counter[Site] = collections.Counter()
    packages: collections.Counter[str] = collections.Counter()
    for stack, count in stacks.items():
        own[stack[-1]] += count
        packages[_package(stack[-1][0])] += count
        for site in set(stack):
            inclusive[site] += count

    def per_job(count: int) -> str:
        return f"{count * weight / jobs * 1e6:8.1f} us {count / total:6.1%}"

    print(f"{total} samples, {weight * 1e3:.2f} ms of CPU each")
    for title, counter in (("own", own), ("inclusive", inclusive)):
        print(f"\nby {title} CPU (a job)")
        for (path, name), count in counter.most_common(top):
            print(f"{per_job(count)}  {name}  {_short(path)}")
    print("\nby package, own CPU (a job)")
    for name, count in packages.most_common(top):
        print(f"{per_job(count)}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--latency", default="0.5-2", help="'' leaves the emulator's own")
    parser.add_argument("--emulator-args", default="--profile fast")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--interval", type=float, default=0.001, help="s of CPU a sample")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--collapsed", help="write the stacks here, one a line, for flame graphs")
    args = parser.parse_args()
    emulator, url = bench_batch.start_emulator(
        args.latency or None, *shlex.split(args.emulator_args)
    )
    try:
        sampler = CpuSampler(args.interval)
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        with sampler:
            statuses = bench_batch._jobwise(url, "profile", args.jobs, args.concurrency, None)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    print(
        f"{dict(statuses)}: wall {wall:.1f} s, CPU {user + system:.2f} s "
        f"(user {user:.2f}, system {system:.2f}), {(user + system) / args.jobs * 1e3:.3f} ms a job"
    )
    if args.collapsed:
        with open(args.collapsed, "w") as out:
            for stack, count in sampler.stacks.items():
                names = ";".join(f"{name} ({_short(path)})" for path, name in stack)
                out.write(f"{names} {count}\n")
    report(sampler.stacks, user + system, args.jobs, args.top)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
