"""Listing every job of an application: jobwise's list iteration against writer-sdk's
auto-pagination (time and peak RSS), and jobwise's peak RSS listing 10,000 against 1,000,000 jobs.
Each listing runs in a fresh process against one emulator process (synthetic jobs, loopback).

    .venv/bin/python scripts/bench_list.py [--jobs 100000] [--small 10000] [--large 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

import httpx
from bench_batch import TOKEN, peak_rss_mb, start_emulator

PAGE = 100


def _list_jobwise(url: str, app: str) -> int:
    from jobwise import WriterJobs

    return sum(1 for _ in WriterJobs(TOKEN, url).list(app, page_size=PAGE))


def _list_writer_sdk(url: str, app: str) -> int:
    import writerai

    sdk = writerai.Writer(api_key=TOKEN, base_url=url)
    return sum(1 for _ in sdk.applications.jobs.list(application_id=app, limit=PAGE))


LISTERS = {"jobwise": _list_jobwise, "writer-sdk": _list_writer_sdk}


def worker(name: str, url: str, app: str) -> None:
    """List in this process; print count, seconds and peak RSS as JSON."""
    started = time.perf_counter()
    count = LISTERS[name](url, app)
    print(
        json.dumps(
            {
                "count": count,
                "seconds": time.perf_counter() - started,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


def listing(url: str, name: str, jobs: int) -> dict[str, Any]:
    """One contender listing ``jobs`` synthetic jobs, measured in its own process."""
    app = f"list-{jobs}"
    httpx.post(f"{url}/_emulator/writer/seed", json={"application_id": app, "count": jobs})
    done = subprocess.run(
        [sys.executable, __file__, "--worker", name, "--url", url, "--app", app],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["count"] != jobs:
        figures["error"] = f"listed {figures['count']} of {jobs}"
    return figures


def run(jobs: int, small: int, large: int) -> dict[str, Any]:
    """Both comparisons against one emulator process."""
    emulator, url = start_emulator("0-0", "--profile", "fast")
    try:
        return {
            "compare": {name: listing(url, name, jobs) for name in LISTERS},
            "flat": {
                str(small): listing(url, "jobwise", small),
                str(large): listing(url, "jobwise", large),
            },
            "jobs": jobs,
        }
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


def per_job(flat: dict[str, dict[str, Any]]) -> float:
    """Peak bytes each job of the large listing adds to the small one's."""
    (small, s), (large, big) = flat.items()
    added = (big["peak_rss_mb"] - s["peak_rss_mb"]) * 2**20
    return added / (int(large) - int(small))


def print_table(results: dict[str, Any]) -> None:
    """The figures and ratios."""
    print(f"listing {results['jobs']} jobs, {PAGE} per page")
    print(f"{'contender':<12} {'seconds':>8} {'peak MB':>8}")
    for name, f in results["compare"].items():
        if "error" in f:
            print(f"{name:<12} failed: {f['error']}")
        else:
            print(f"{name:<12} {f['seconds']:>8.1f} {f['peak_rss_mb']:>8.0f}")
    ours, theirs = results["compare"].get("jobwise"), results["compare"].get("writer-sdk")
    if ours and theirs and "error" not in ours and "error" not in theirs:
        print(
            f"jobwise / writer-sdk: time {ours['seconds'] / theirs['seconds']:.2f}x, "
            f"peak RSS {ours['peak_rss_mb'] / theirs['peak_rss_mb']:.2f}x"
        )
    (small, s), (large, big) = results["flat"].items()
    if "error" not in s and "error" not in big:
        print(
            f"jobwise peak RSS listing {int(small):,} jobs: {s['peak_rss_mb']:.0f} MB; "
            f"{int(large):,} jobs: {big['peak_rss_mb']:.0f} MB "
            f"({big['peak_rss_mb'] / s['peak_rss_mb']:.2f}x for {int(large) // int(small)}x "
            f"the jobs: {per_job(results['flat']):.0f} bytes a job more)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--app", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.url, args.app)
        return
    print_table(run(args.jobs, args.small, args.large))


if __name__ == "__main__":
    main()
