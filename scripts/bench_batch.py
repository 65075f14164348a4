"""A batch of N jobs submitted and waited for: jobwise run_batch against writer-sdk's best plain
use (asyncio.gather, a semaphore of the same size around each request, and a per-job polling
loop at the same base interval). Each contender runs in a fresh process against one emulator
process on loopback; prints wall time, HTTP requests per job (the emulator's count), client CPU
seconds and peak RSS, and the ratios.

    .venv/bin/python scripts/bench_batch.py [--jobs 10000] [--latency 0.5-2] [--concurrency 16]
                                            [--contenders jobwise,writer-sdk] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

import httpx

POLL_INTERVAL = 0.5
TOKEN = "bench-token"


def _worker_jobwise(url: str, app: str, jobs: int, concurrency: int) -> dict[str, Any]:
    from jobwise import WriterJobs

    client = WriterJobs(TOKEN, url)
    inputs = ({"Product": f"product {n}"} for n in range(jobs))
    statuses: dict[str, int] = {}
    for item in client.run_batch(app, inputs, concurrency=concurrency):
        statuses[item.status] = statuses.get(item.status, 0) + 1
    return statuses


def _worker_writer_sdk(url: str, app: str, jobs: int, concurrency: int) -> dict[str, Any]:
    import writerai

    async def main() -> dict[str, int]:
        sdk = writerai.AsyncWriter(api_key=TOKEN, base_url=url, max_retries=2)
        gate = asyncio.Semaphore(concurrency)
        statuses: dict[str, int] = {}

        async def one(n: int) -> None:
            async with gate:
                job = await sdk.applications.jobs.create(
                    application_id=app, inputs=[{"id": "Product", "value": [f"product {n}"]}]
                )
            while True:
                await asyncio.sleep(POLL_INTERVAL)
                async with gate:
                    got = await sdk.applications.jobs.retrieve(job.id)
                if got.status in ("completed", "failed"):
                    statuses[got.status] = statuses.get(got.status, 0) + 1
                    return

        await asyncio.gather(*(one(n) for n in range(jobs)))
        await sdk.close()
        return statuses

    return asyncio.run(main())


WORKERS = {"jobwise": _worker_jobwise, "writer-sdk": _worker_writer_sdk}


def worker(name: str, url: str, app: str, jobs: int, concurrency: int) -> None:
    """Run one contender in this process and print its figures as JSON."""
    started = time.perf_counter()
    cpu = time.process_time()
    statuses = WORKERS[name](url, app, jobs, concurrency)
    figures = {
        "wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "statuses": statuses,
    }
    print(json.dumps(figures))


def start_emulator(latency: str, *options: str) -> tuple[subprocess.Popen[str], str]:
    """An emulator process on a free loopback port (``options``: more of its flags)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobwise_emulator", "--port", "0", "--latency", latency, *options],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        raise RuntimeError(f"the emulator did not start: {line!r}")
    return proc, line.split()[-1]


def api_requests(url: str) -> int:
    """Requests the emulator answered on the API routes."""
    by_route = httpx.get(f"{url}/_emulator/stats").json()["requests"]
    return sum(sum(c.values()) for route, c in by_route.items() if "_emulator" not in route)


def run(contenders: list[str], jobs: int, latency: str, concurrency: int) -> dict[str, Any]:
    """Each contender's figures, measured one after the other against one emulator."""
    emulator, url = start_emulator(latency)
    results: dict[str, Any] = {}
    try:
        for name in contenders:
            before = api_requests(url)
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    name,
                    "--url",
                    url,
                    "--app",
                    f"bench-{name}",
                    "--jobs",
                    str(jobs),
                    "--concurrency",
                    str(concurrency),
                ],
                capture_output=True,
                text=True,
                timeout=3600,
                check=False,
            )
            if done.returncode != 0:
                results[name] = {"error": done.stderr.strip().splitlines()[-1:]}
                continue
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            figures["requests_per_job"] = (api_requests(url) - before) / jobs
            results[name] = figures
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    return results


def print_table(results: dict[str, Any], jobs: int) -> None:
    """Figures side by side, with jobwise / writer-sdk ratios."""
    print(f"batch of {jobs} jobs")
    print(f"{'contender':<12} {'wall s':>8} {'req/job':>8} {'cpu s':>8} {'peak MB':>8}")
    for name, f in results.items():
        if "error" in f:
            print(f"{name:<12} failed: {f['error']}")
            continue
        print(
            f"{name:<12} {f['wall_s']:>8.1f} {f['requests_per_job']:>8.2f} {f['cpu_s']:>8.1f} "
            f"{f['peak_rss_mb']:>8.0f}"
        )
    ours, theirs = results.get("jobwise"), results.get("writer-sdk")
    if ours and theirs and "error" not in ours and "error" not in theirs:
        print(
            "jobwise / writer-sdk: "
            + ", ".join(
                f"{key} {ours[key] / theirs[key]:.2f}x"
                for key in ("wall_s", "requests_per_job", "cpu_s", "peak_rss_mb")
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--latency", default="0.5-2")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--contenders", default="jobwise,writer-sdk")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--app", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.url, args.app, args.jobs, args.concurrency)
        return
    results = run(args.contenders.split(","), args.jobs, args.latency, args.concurrency)
    print_table(results, args.jobs)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "jobs": args.jobs,
                    "latency": args.latency,
                    "concurrency": args.concurrency,
                    "results": results,
                },
                out,
                indent=2,
            )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
