"""make bench: every contender on the same emulator, in one run, ratios printed.

1. per-call overhead (in process, httpx.MockTransport): bare httpx, generated client, jobwise,
   writer-sdk 3.0;
2. a batch of N jobs: jobwise run_batch against writer-sdk's best plain use;
3. listing: jobwise against writer-sdk auto-pagination; jobwise's peak RSS at two sizes.

Writes the figures as JSON and a PNG chart (matplotlib, from the `bench` extra).

    .venv/bin/python scripts/bench.py [--quick] [--jobs 10000] [--latency 0.5-2]
        [--concurrency 16] [--list-jobs 100000] [--out bench-results]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_batch
import bench_list
import bench_overhead

TARGETS = {
    "overhead jobwise / bare httpx": ("<=", 1.3),
    "overhead jobwise / writer-sdk": ("<=", 0.4),
    "batch wall jobwise / writer-sdk": ("<=", 0.5),
    "batch requests per job (jobwise)": ("<=", 1.2),
    "listing RSS large / small (jobwise)": ("<=", 1.2),
}


def machine() -> str:
    """Where the figures came from."""
    system = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores"
    return f"{system}, Python {platform.python_version()}"


def ratios(figures: dict[str, Any]) -> dict[str, float]:
    """The headline ratios, from whichever parts ran."""
    out: dict[str, float] = {}
    us = figures["overhead"]
    out["overhead jobwise / bare httpx"] = us["jobwise facade"] / us["bare httpx"]
    if "writer-sdk 3.0" in us:
        out["overhead jobwise / writer-sdk"] = us["jobwise facade"] / us["writer-sdk 3.0"]
    batch = figures["batch"]["results"]
    ours, theirs = batch.get("jobwise", {}), batch.get("writer-sdk", {})
    if "wall_s" in ours:
        out["batch requests per job (jobwise)"] = ours["requests_per_job"]
        if "wall_s" in theirs:
            out["batch wall jobwise / writer-sdk"] = ours["wall_s"] / theirs["wall_s"]
            out["batch cpu jobwise / writer-sdk"] = ours["cpu_s"] / theirs["cpu_s"]
            out["batch RSS jobwise / writer-sdk"] = ours["peak_rss_mb"] / theirs["peak_rss_mb"]
    listing = figures["listing"]
    a, b = listing["compare"].get("jobwise", {}), listing["compare"].get("writer-sdk", {})
    if "seconds" in a and "seconds" in b:
        out["listing time jobwise / writer-sdk"] = a["seconds"] / b["seconds"]
        out["listing RSS jobwise / writer-sdk"] = a["peak_rss_mb"] / b["peak_rss_mb"]
    small, large = listing["flat"].values()
    if "peak_rss_mb" in small and "peak_rss_mb" in large:
        out["listing RSS large / small (jobwise)"] = large["peak_rss_mb"] / small["peak_rss_mb"]
    return out


def chart(figures: dict[str, Any], path: Path) -> bool:
    """A PNG of the three comparisons; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    us = figures["overhead"]
    axes[0].bar(list(us), list(us.values()), color=["#999", "#8ab", "#2a7", "#c55"][: len(us)])
    axes[0].set_title("retrieve one job: µs per call (lower is better)")
    axes[0].tick_params(axis="x", labelrotation=15)
    batch = figures["batch"]["results"]
    names = [n for n in batch if "wall_s" in batch[n]]
    metrics = ("wall_s", "requests_per_job", "cpu_s", "peak_rss_mb")
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        top = [max(batch[n][m] for n in names) for m in metrics]
        axes[1].bar(
            [k + i * width for k in range(len(metrics))],
            [batch[name][m] / t for m, t in zip(metrics, top, strict=True)],
            width,
            label=name,
            color="#2a7" if name == "jobwise" else "#c55",
        )
    axes[1].set_xticks(
        [k + width / 2 for k in range(len(metrics))],
        ["wall", "requests/job", "client CPU", "peak RSS"],
    )
    axes[1].set_title(f"batch of {figures['batch']['jobs']:,} jobs (relative; lower is better)")
    axes[1].legend()
    listing = figures["listing"]
    labels, values, colors = [], [], []
    for name, f in listing["compare"].items():
        if "peak_rss_mb" in f:
            labels.append(f"{name}\n{listing['jobs']:,} jobs")
            values.append(f["peak_rss_mb"])
            colors.append("#2a7" if name == "jobwise" else "#c55")
    for size, f in listing["flat"].items():
        if "peak_rss_mb" in f:
            labels.append(f"jobwise\n{int(size):,} jobs")
            values.append(f["peak_rss_mb"])
            colors.append("#8c8")
    axes[2].bar(labels, values, color=colors)
    axes[2].set_title("listing: peak RSS, MB")
    fig.suptitle(f"jobwise benchmarks: {machine()}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: under a minute")
    parser.add_argument("--jobs", type=int, help="batch size (default 10000; quick 1000)")
    parser.add_argument("--latency", help="emulator job latency (default 0.5-2; quick 0.2-0.5)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--list-jobs", type=int, help="listing size (default 100000)")
    parser.add_argument("--out", default="bench-results", help="folder for JSON and PNG")
    args = parser.parse_args()
    quick = args.quick
    jobs = args.jobs or (1000 if quick else 10_000)
    latency = args.latency or ("0.2-0.5" if quick else "0.5-2")
    list_jobs = args.list_jobs or (20_000 if quick else 100_000)
    small, large = (2_000, 50_000) if quick else (10_000, 1_000_000)
    started = time.monotonic()

    print("== 1. per-call overhead (in process) ==")
    overhead = bench_overhead.measure(500 if quick else 2000, 3 if quick else 7)
    bench_overhead.print_table(overhead)
    print(f"\n== 2. batch of {jobs:,} jobs, emulator latency {latency} s ==")
    batch = bench_batch.run(["jobwise", "writer-sdk"], jobs, latency, args.concurrency)
    bench_batch.print_table(batch, jobs)
    print("\n== 3. listing ==")
    listing = bench_list.run(list_jobs, small, large)
    bench_list.print_table(listing)

    figures = {
        "machine": machine(),
        "command": " ".join(["scripts/bench.py", *sys.argv[1:]]),
        "overhead": overhead,
        "batch": {
            "jobs": jobs,
            "latency": latency,
            "concurrency": args.concurrency,
            "results": batch,
        },
        "listing": listing,
    }
    figures["ratios"] = ratios(figures)
    print("\n== ratios (target) ==")
    for name, value in figures["ratios"].items():
        target = TARGETS.get(name)
        mark = ""
        if target:
            mark = (
                f"  (target {target[0]} {target[1]}: {'met' if value <= target[1] else 'missed'})"
            )
        print(f"{name:<38} {value:6.2f}x{mark}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(figures, indent=2))
    drew = chart(figures, out / "bench.png")
    print(
        f"\nwrote {out / 'bench.json'}"
        + (f" and {out / 'bench.png'}" if drew else " (no chart: pip install -e '.[bench]')")
    )
    print(f"took {time.monotonic() - started:.0f} s on {machine()}")


if __name__ == "__main__":
    main()
