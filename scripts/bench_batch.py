"""A batch of N jobs submitted and waited for, side by side on emulators started alike.

Contenders, each in a fresh process against an emulator process of its own on loopback:

* ``jobwise``: run_batch with its default async transport (httpx-aiohttp when installed);
* ``jobwise-httpx``: the same with httpx's own async pool;
* ``writer-sdk`` and ``writer-sdk-aiohttp``: writer-sdk 3.0's best plain use (asyncio.gather,
  a semaphore of the same size around each request, a polling loop at 0.5 s of wall time,
  ``max_retries`` high enough to finish) with its default client and with
  ``DefaultAioHttpClient``;
* ``writer-sdk-users``: writer-sdk 3.0 as users write it: ``AsyncWriter`` as its README shows
  (default client, default retries, so its 429s are retried by writer-sdk as a user gets
  them), asyncio.gather over every input, the same semaphore around each request, create
  then ``retrieve`` every 2 s of API time (2 / ``--speed`` s of wall time) until final;
* ``floor``: creates only, through a bare httpx-aiohttp client at the same concurrency: the
  emulator's own create throughput, measured in the same run;
* ``floor-serial``: the same, one create at a time: the limit of any client that sends its
  creates one at a time, as an exactly-once client must on loopback to a server that may ignore
  Idempotency-Key (jobwise's batch/create_slots.py says why); run where nothing else bounds
  the creates (bench.py's unthrottled scenario), it gives jobwise's serial bound there.

Each contender runs against an emulator of its own, started alike, so that the n-th job each
creates takes as long as the others' n-th. Prints wall time and its ratio to the contender's
bound, HTTP requests per job and 429 answers and their share (the emulator's counts), client
CPU seconds and peak RSS; the floor: N x minimal requests / R + p99 latency when the emulator
is rate-limited, N / create throughput + p99 latency otherwise; and each contender's bound:
the wall time of a client that creates its jobs one each 1/R s (or at the measured create
throughput) and sees each the moment it ends, with the latencies its own jobs had. The floor's
p99 is not a bound: the batch ends with its slowest late job (a 10,000-job Writer-profile
batch at speed 60 has a job of 8.5 s created near the end, against a p99 of 3 s), so the
bound is the fair yardstick for a given run.

    .venv/bin/python scripts/bench_batch.py [--jobs 10000] [--latency 0.5-2] [--concurrency 16]
        [--contenders jobwise,writer-sdk] [--emulator-args "--profile writer --speed 60"]
        [--rpm R] [--p99 S] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

POLL_INTERVAL = 0.5
# A user's polling interval, in seconds of API time (issue 30's reading of the loop users
# write): short beside jobs of tens of seconds, so that each result is seen soon.
USER_POLL_INTERVAL = 2.0
TOKEN = "bench-token"
SDK_RETRIES = 30
PAGE = 100
ALL = ("floor", "jobwise", "jobwise-httpx", "writer-sdk", "writer-sdk-aiohttp")
USERS = "writer-sdk-users"
"""writer-sdk as users write it: run where the rate limit binds (bench.py's Writer scenario)."""
SERIAL = "floor-serial"
"""Creates one at a time: what bounds a client that may not send two side by side."""


YIELDS: dict[str, float] = {}
"""Wall time at which each job's item was yielded (jobwise contenders), for the delay."""


class EmulatorRefused(RuntimeError):
    """The emulator does not know an option (a scenario that needs a newer emulator)."""


def _jobwise(
    url: str, app: str, jobs: int, concurrency: int, transport: httpx.AsyncBaseTransport | None
) -> dict[str, int]:
    from jobwise import AsyncWriterJobs

    async def main() -> dict[str, int]:
        statuses: dict[str, int] = {}
        async with AsyncWriterJobs(TOKEN, url, transport=transport) as client:
            inputs = ({"Product": f"product {n}"} for n in range(jobs))
            async for item in client.run_batch(app, inputs, concurrency=concurrency):
                statuses[item.status] = statuses.get(item.status, 0) + 1
                if item.job_id:
                    YIELDS[item.job_id] = time.time()
        return statuses

    return asyncio.run(main())


def _worker_jobwise(
    url: str, app: str, jobs: int, concurrency: int, speed: float
) -> dict[str, int]:
    """The async client's default transport: httpx-aiohttp's when installed."""
    return _jobwise(url, app, jobs, concurrency, None)


def _worker_jobwise_httpx(
    url: str, app: str, jobs: int, concurrency: int, speed: float
) -> dict[str, int]:
    from jobwise.http import LIMITS

    return _jobwise(url, app, jobs, concurrency, httpx.AsyncHTTPTransport(limits=LIMITS))


def _sdk(url: str, aiohttp: bool) -> Any:
    """writer-sdk at its best: retries enough to finish, on httpx or on aiohttp."""
    import writerai

    if aiohttp:
        from writerai import DefaultAioHttpClient

        return writerai.AsyncWriter(
            api_key=TOKEN,
            base_url=url,
            max_retries=SDK_RETRIES,
            http_client=DefaultAioHttpClient(),
        )
    return writerai.AsyncWriter(api_key=TOKEN, base_url=url, max_retries=SDK_RETRIES)


def _writer_sdk(
    url: str, app: str, jobs: int, concurrency: int, make: Callable[[], Any], poll: float
) -> dict[str, int]:
    """gather over every input, a semaphore around each request, a retrieve each ``poll`` s of
    wall time until final, on the client ``make()`` builds."""

    async def main() -> dict[str, int]:
        sdk = make()
        gate = asyncio.Semaphore(concurrency)
        statuses: dict[str, int] = {}

        async def one(n: int) -> None:
            async with gate:
                job = await sdk.applications.jobs.create(
                    application_id=app, inputs=[{"id": "Product", "value": [f"product {n}"]}]
                )
            while True:
                await asyncio.sleep(poll)
                async with gate:
                    got = await sdk.applications.jobs.retrieve(job.id)
                if got.status in ("completed", "failed"):
                    statuses[got.status] = statuses.get(got.status, 0) + 1
                    return

        await asyncio.gather(*(one(n) for n in range(jobs)))
        await sdk.close()
        return statuses

    return asyncio.run(main())


def _worker_writer_sdk(
    url: str, app: str, jobs: int, concurrency: int, speed: float
) -> dict[str, int]:
    return _writer_sdk(url, app, jobs, concurrency, lambda: _sdk(url, False), POLL_INTERVAL)


def _worker_writer_sdk_aiohttp(
    url: str, app: str, jobs: int, concurrency: int, speed: float
) -> dict[str, int]:
    return _writer_sdk(url, app, jobs, concurrency, lambda: _sdk(url, True), POLL_INTERVAL)


def _worker_writer_sdk_users(
    url: str, app: str, jobs: int, concurrency: int, speed: float
) -> dict[str, int]:
    """AsyncWriter as writer-sdk's README builds it (here with the emulator's URL and token in
    place of WRITER_BASE_URL and WRITER_API_KEY), its default retries, a poll each 2 s of API
    time."""
    import writerai

    def make() -> Any:
        return writerai.AsyncWriter(api_key=TOKEN, base_url=url)

    return _writer_sdk(url, app, jobs, concurrency, make, USER_POLL_INTERVAL / speed)


def _worker_floor(url: str, app: str, jobs: int, concurrency: int, speed: float) -> dict[str, int]:
    """Creates only, as fast as the emulator takes them (429s waited out, not counted)."""
    from jobwise.transports import default_async_transport

    async def main() -> dict[str, int]:
        created = 0
        headers = {"Authorization": f"Bearer {TOKEN}"}
        transport = default_async_transport(httpx.Limits(max_connections=concurrency))
        async with httpx.AsyncClient(base_url=url, headers=headers, transport=transport) as http:

            async def one(n: int) -> None:
                nonlocal created
                body = {"inputs": [{"id": "Product", "value": [f"product {n}"]}]}
                for _ in range(1000):
                    answer = await http.post(f"/v1/applications/{app}/jobs", json=body)
                    if answer.status_code != 429:
                        answer.raise_for_status()
                        created += 1
                        return
                    await asyncio.sleep(float(answer.headers.get("retry-after-ms", 100)) / 1000)

            numbers = iter(range(jobs))

            async def lane() -> None:
                for n in numbers:
                    await one(n)

            await asyncio.gather(*(lane() for _ in range(concurrency)))
        return {"created": created}

    return asyncio.run(main())


WORKERS = {
    "floor": _worker_floor,
    "jobwise": _worker_jobwise,
    "jobwise-httpx": _worker_jobwise_httpx,
    "writer-sdk": _worker_writer_sdk,
    "writer-sdk-aiohttp": _worker_writer_sdk_aiohttp,
    USERS: _worker_writer_sdk_users,
    SERIAL: lambda url, app, jobs, concurrency, speed: _worker_floor(url, app, jobs, 1, speed),
}


def peak_rss_mb() -> float:
    """This process's peak resident set, MB: Linux's VmHWM, which starts anew at exec.
    (getrusage's ru_maxrss does not: a worker spawned by bench.py reported bench.py's own
    81 MB however little it used; a child of a process holding 300 MB, 313 MB against a
    VmHWM of 14.)"""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(name: str, url: str, app: str, jobs: int, concurrency: int, speed: float) -> None:
    """Run one contender in this process and print its figures as JSON (``speed``: the
    emulator's, which a loop written in API time divides its intervals by)."""
    started = time.perf_counter()
    cpu = time.process_time()
    statuses = WORKERS[name](url, app, jobs, concurrency, speed)
    figures = {
        "wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "peak_rss_mb": peak_rss_mb(),
        "statuses": statuses,
        "yields": YIELDS,
    }
    print(json.dumps(figures))


def start_emulator(latency: str | None, *options: str) -> tuple[subprocess.Popen[str], str]:
    """An emulator process on a free loopback port (``options``: more of its flags; no
    ``--latency`` when ``latency`` is None, so that a profile's own distribution holds).

    Raises EmulatorRefused when it rejects an option (argparse exits with status 2).
    """
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobwise_emulator",
            "--port",
            "0",
            *(["--latency", latency] if latency else []),
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        error = proc.stderr.read().strip().splitlines()
        proc.wait(timeout=10)
        message = error[-1] if error else repr(line)
        if proc.returncode == 2 or "unrecognized arguments" in message:
            raise EmulatorRefused(message)
        raise RuntimeError(f"the emulator did not start: {message}")
    proc.stderr.close()
    return proc, line.split()[-1]


def emulator_counts(url: str) -> tuple[int, int]:
    """API requests the emulator answered, and how many of them were 429."""
    by_route = httpx.get(f"{url}/_emulator/stats").json()["requests"]
    api = [c for route, c in by_route.items() if "_emulator" not in route]
    return sum(sum(c.values()) for c in api), sum(c.get("429", 0) for c in api)


def _finished_jobs(url: str, app: str) -> list[dict[str, Any]]:
    """Every finished job of the app (429s waited out)."""
    found: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        for status in ("completed", "failed"):
            offset = 0
            while True:
                page = http.get(
                    f"/v1/applications/{app}/jobs",
                    params={"status": status, "offset": offset, "limit": PAGE},
                )
                if page.status_code == 429:
                    time.sleep(float(page.headers.get("retry-after-ms", 200)) / 1000)
                    continue
                rows = page.json().get("result", [])
                found += rows
                offset += PAGE
                if len(rows) < PAGE:
                    break
    return found


def delays(jobs: list[dict[str, Any]], yielded: dict[str, float]) -> dict[str, float]:
    """Seconds from each job's completion to its item's yield: the median, and the share of
    jobs within issue 13's bound, max(1 s, 10 % of the job's age)."""
    from jobwise.times import parse_time

    late: list[float] = []
    within = 0
    for job in jobs:
        start, end = parse_time(job.get("created_at")), parse_time(job.get("completed_at"))
        if job["id"] not in yielded or not (start and end):
            continue
        delay = yielded[job["id"]] - end.timestamp()
        late.append(delay)
        within += delay <= max(1.0, 0.1 * (end - start).total_seconds())
    if not late:
        return {}
    late.sort()
    return {"median_delay_s": late[len(late) // 2], "within_bound": within / len(late)}


def latencies(jobs: list[dict[str, Any]]) -> list[float]:
    """completed_at - created_at of each finished job, in the order the jobs were created."""
    from jobwise.times import parse_time

    spans = []
    for job in jobs:
        start, end = parse_time(job.get("created_at")), parse_time(job.get("completed_at"))
        if start and end:
            spans.append((start, (end - start).total_seconds()))
    return [took for _, took in sorted(spans, key=lambda span: span[0])]


def p99_of(took: list[float]) -> float:
    """The 99th percentile of ``took`` (not empty)."""
    ordered = sorted(took)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


def bound(took: list[float], per_second: float) -> float:
    """The shortest wall time any client could reach with these jobs: created in this order,
    one each 1/``per_second`` s, each ending its own latency later (the last to end)."""
    return max((k + 1) / per_second + span for k, span in enumerate(took))


def _uniform_p99(latency: str | None) -> float | None:
    if not latency:
        return None
    try:
        low, high = (float(x) for x in latency.split("-"))
    except ValueError:
        return None
    return low + 0.99 * (high - low)


def emulator_speed(emulator_args: list[str]) -> float:
    """The ``--speed`` among the emulator's flags (1 without one)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--speed", type=float, default=1.0)
    return float(parser.parse_known_args(emulator_args)[0].speed)


def _contend(
    name: str, url: str, jobs: int, concurrency: int, speed: float
) -> tuple[dict[str, Any], list[float]]:
    """One contender's figures in its own process, and its jobs' latencies in creation order."""
    app = f"bench-{name}"
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            name,
            "--url",
            url,
            "--app",
            app,
            "--jobs",
            str(jobs),
            "--concurrency",
            str(concurrency),
            "--speed",
            str(speed),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}, []
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    sent, throttled = emulator_counts(url)
    yielded = figures.pop("yields", {})
    took: list[float] = []
    if not name.startswith("floor"):  # the floors only create: their jobs are still running
        finished = _finished_jobs(url, app)
        took = latencies(finished)
        if yielded:
            figures.update(delays(finished, yielded))
    figures["requests_per_job"] = sent / jobs
    figures["429s"] = throttled
    figures["429_share"] = throttled / max(1, sent)
    figures["cpu_ms_per_job"] = figures["cpu_s"] * 1000 / jobs
    return figures, took


def run(
    contenders: list[str],
    jobs: int,
    latency: str | None,
    concurrency: int,
    emulator_args: list[str] | None = None,
    rpm: float | None = None,
    p99: float | None = None,
) -> dict[str, Any]:
    """Each contender's figures, one after the other, and the floor and the bound.

    Each contender has an emulator of its own, started alike (same seed): the n-th job any of
    them creates takes as long as everyone else's n-th, and no one's rate window or job store
    carries over to the next. ``rpm``: the emulator's rate limit in requests per minute of wall
    time (None: unthrottled). Raises EmulatorRefused when the emulator does not know one of
    ``emulator_args``.
    """
    results: dict[str, Any] = {}
    took: dict[str, list[float]] = {}
    speed = emulator_speed(emulator_args or [])
    for name in contenders:
        emulator, url = start_emulator(latency, *(emulator_args or []))
        try:
            results[name], took[name] = _contend(name, url, jobs, concurrency, speed)
        finally:
            emulator.terminate()
            emulator.wait(timeout=10)
    measured = next(
        (p99_of(took[n]) for n in contenders if n.startswith("jobwise") and took[n]), None
    )
    tail = p99 if p99 is not None else measured if measured is not None else _uniform_p99(latency)
    floor: dict[str, Any] = {"p99_latency_s": tail}
    minimal = 1 + math.ceil(jobs / PAGE) / jobs  # one create each, one list page per 100
    per_second = None
    if rpm:
        per_second = rpm / 60 / minimal
        floor["wall_s"] = jobs * minimal / (rpm / 60) + (tail or 0)
        floor["basis"] = f"{jobs} x {minimal:.2f} requests / {rpm:g} per min + p99 latency"
    elif "wall_s" in results.get("floor", {}):
        creates = results["floor"]["wall_s"]
        per_second = jobs / creates
        floor["create_throughput_per_s"] = per_second
        floor["wall_s"] = creates + (tail or 0)
        floor["basis"] = "N / emulator's create throughput (measured) + p99 latency"
    if per_second:
        for name, spans in took.items():
            if spans and "wall_s" in results[name]:
                results[name]["bound_s"] = bound(spans, per_second)
    serial = results.get(SERIAL, {}).get("wall_s")
    if serial and not rpm:
        for name, spans in took.items():
            if spans and "wall_s" in results[name]:
                results[name]["serial_bound_s"] = bound(spans, jobs / serial)
    results["_floor"] = floor
    return results


def best_sdk(results: dict[str, Any]) -> str | None:
    """The writer-sdk variant that finished sooner."""
    done = [n for n in ("writer-sdk", "writer-sdk-aiohttp") if "wall_s" in results.get(n, {})]
    return min(done, key=lambda n: results[n]["wall_s"]) if done else None


def print_table(results: dict[str, Any], jobs: int) -> None:
    """Figures side by side, the floor and the bound, and jobwise's ratios to writer-sdk at its
    best and as users write it."""
    floor = results.get("_floor", {})
    print(
        f"batch of {jobs} jobs; floor {floor.get('wall_s', float('nan')):.1f} s "
        f"({floor.get('basis', 'n/a')}; p99 latency {floor.get('p99_latency_s')})"
    )
    head = (
        "contender", "wall s", "bound s", "x bound", "x floor", "req/job", "429s", "429 %",
        "cpu s", "ms/job", "peak MB", "delay s", "in bound",
    )  # fmt: skip
    print(f"{head[0]:<19}" + "".join(f"{h:>9}" for h in head[1:]))
    for name, f in results.items():
        if name.startswith("_"):
            continue
        if "error" in f:
            print(f"{name:<19} failed: {f['error']}")
            continue
        ratio = f["wall_s"] / floor["wall_s"] if floor.get("wall_s") else float("nan")
        limit = f"{f['bound_s']:>9.1f}{f['wall_s'] / f['bound_s']:>9.2f}" if "bound_s" in f else ""
        delay = ""
        if "within_bound" in f:
            delay = f"{f['median_delay_s']:>9.2f}{f['within_bound']:>9.0%}"
        print(
            f"{name:<19}{f['wall_s']:>9.1f}{limit or ' ' * 18}{ratio:>9.2f}"
            f"{f['requests_per_job']:>9.2f}{f['429s']:>9d}{f['429_share']:>9.2%}"
            f"{f['cpu_s']:>9.1f}{f['cpu_ms_per_job']:>9.2f}{f['peak_rss_mb']:>9.0f}" + delay
        )
        if "serial_bound_s" in f:
            print(
                f"{'':<19}serial bound {f['serial_bound_s']:.1f} s, "
                f"x serial bound {f['wall_s'] / f['serial_bound_s']:.2f}"
            )
    for other, label in (
        (best_sdk(results), "writer-sdk at its best"),
        (USERS, "as users write it"),
    ):
        for ours in ("jobwise", "jobwise-httpx"):
            if other and "wall_s" in results.get(ours, {}) and "wall_s" in results.get(other, {}):
                a, b = results[ours], results[other]
                print(
                    f"{ours} / {other} ({label}): "
                    + ", ".join(
                        f"{key} {a[key] / b[key]:.2f}x"
                        for key in ("wall_s", "requests_per_job", "cpu_s", "peak_rss_mb")
                    )
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--latency", default="0.5-2", help="'' leaves the emulator's own")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--contenders", default=",".join(ALL))
    parser.add_argument(
        "--emulator-args",
        default="--profile fast",
        help="more emulator flags, one string (default --profile fast: no limit)",
    )
    parser.add_argument("--rpm", type=float, help="the emulator's limit per minute (for the floor)")
    parser.add_argument("--p99", type=float, help="p99 job latency in s (else measured)")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--speed", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--app", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.url, args.app, args.jobs, args.concurrency, args.speed)
        return
    try:
        results = run(
            args.contenders.split(","),
            args.jobs,
            args.latency or None,
            args.concurrency,
            shlex.split(args.emulator_args),
            args.rpm,
            args.p99,
        )
    except EmulatorRefused as exc:
        print(f"skipped: the emulator refused {args.emulator_args!r}: {exc}")
        return
    print_table(results, args.jobs)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "jobs": args.jobs,
                    "latency": args.latency,
                    "concurrency": args.concurrency,
                    "emulator_args": args.emulator_args,
                    "results": results,
                },
                out,
                indent=2,
            )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
