"""make bench: every contender on emulators started alike, in one run, ratios printed.

1. per-call overhead (in process, httpx.MockTransport): bare httpx, generated client, jobwise,
   writer-sdk 3.0;
2. batches in three scenarios, each on its own emulator, every contender side by side (jobwise on
   httpx-aiohttp and on httpx's pool, writer-sdk with its default client and with
   DefaultAioHttpClient) beside the floor: unthrottled (10,000 jobs, 0.5-2 s), Writer's profile
   at speed 60 (10,000 jobs, 400 requests a minute scaled), long latency (2,000 jobs, 60-600 s
   at speed 60), and Writer's profile at speed 10 over a 0.05 s round trip (1,000 jobs). A
   scenario whose emulator options are unknown is skipped with a message;
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
    "overhead jobwise http_client= / bare httpx": ("<=", 1.2),
    "overhead jobwise / writer-sdk": ("<=", 0.4),
    "unthrottled: wall jobwise / writer-sdk best": ("<=", 0.7),
    "unthrottled: client CPU ms per job (jobwise)": ("<=", 0.4),
    "writer: wall jobwise / floor": ("<=", 1.05),
    "writer: wall jobwise / writer-sdk best": ("<=", 0.55),
    "writer: 429 share (jobwise)": ("<=", 0.01),
    "unthrottled: requests per job (jobwise)": ("<=", 1.1),
    "writer: requests per job (jobwise)": ("<=", 1.1),
    "long: requests per job (jobwise)": ("<=", 1.1),
    "network: requests per job (jobwise)": ("<=", 1.1),
    "network: 429 share (jobwise)": ("<=", 0.01),
    "listing RSS large / small (jobwise)": ("<=", 1.2),
}

WRITER_RPM = 400
"""Writer's documented limit per key, requests per minute."""
SPEED = 60
NETWORK_SPEED, NETWORK_RTT = 10, 0.05


def scenarios(quick: bool, jobs: int | None, latency: str | None) -> list[dict[str, Any]]:
    """The three batch scenarios of issue 13, and Writer's profile over a network's round trip
    (smaller with --quick)."""
    return [
        {
            "name": "unthrottled",
            "jobs": jobs or (1000 if quick else 10_000),
            "latency": latency or ("0.2-0.5" if quick else "0.5-2"),
            "emulator_args": ["--profile", "fast"],
            "rpm": None,
            "p99": None,
        },
        {
            "name": "writer",
            "jobs": 1000 if quick else 10_000,
            "latency": None,
            "emulator_args": ["--profile", "writer", "--speed", str(SPEED), "--retry-after"],
            "rpm": WRITER_RPM * SPEED,
            "p99": None,
        },
        {
            # Loopback answers in microseconds; a real client is 0.1-0.5 s from Writer. At a
            # tenth of Writer's pace, 0.05 s of round trip is 0.5 s at Writer's own: creates
            # one at a time would allow a fifth of the limit.
            "name": "network",
            "jobs": 300 if quick else 1_000,
            "latency": None,
            "emulator_args": [
                "--profile",
                "writer",
                "--speed",
                str(NETWORK_SPEED),
                "--rtt",
                str(NETWORK_RTT),
                "--retry-after",
            ],
            "rpm": WRITER_RPM * NETWORK_SPEED,
            "p99": None,
        },
        {
            "name": "long",
            "jobs": 300 if quick else 2_000,
            "latency": "60-600",
            "emulator_args": ["--profile", "fast", "--speed", str(SPEED)],
            "rpm": None,
            "p99": (60 + 0.99 * 540) / SPEED,
        },
    ]


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
    if "jobwise via http_client" in us:
        out["overhead jobwise http_client= / bare httpx"] = (
            us["jobwise via http_client"] / us["bare httpx"]
        )
    for name, scenario in figures["batch"].items():
        results = scenario.get("results")
        if not results:
            continue
        ours = results.get("jobwise", {})
        if "wall_s" not in ours:
            continue
        out[f"{name}: requests per job (jobwise)"] = ours["requests_per_job"]
        out[f"{name}: client CPU ms per job (jobwise)"] = ours["cpu_ms_per_job"]
        out[f"{name}: 429 share (jobwise)"] = ours["429_share"]
        if "median_delay_s" in ours:
            out[f"{name}: median delay s, finish to yield (jobwise)"] = ours["median_delay_s"]
        floor = results.get("_floor", {}).get("wall_s")
        if floor:
            out[f"{name}: wall jobwise / floor"] = ours["wall_s"] / floor
        if "bound_s" in ours:
            out[f"{name}: wall jobwise / bound"] = ours["wall_s"] / ours["bound_s"]
        sdk = bench_batch.best_sdk(results)
        if sdk:
            out[f"{name}: wall jobwise / writer-sdk best"] = ours["wall_s"] / results[sdk]["wall_s"]
            out[f"{name}: CPU jobwise / writer-sdk best"] = ours["cpu_s"] / results[sdk]["cpu_s"]
        other = results.get("jobwise-httpx", {})
        if "wall_s" in other:
            out[f"{name}: wall jobwise aiohttp / httpx pool"] = ours["wall_s"] / other["wall_s"]
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
    axes[0].bar(
        list(us), list(us.values()), color=["#999", "#8ab", "#2a7", "#8c8", "#c55"][: len(us)]
    )
    axes[0].set_title("retrieve one job: µs per call (lower is better)")
    axes[0].tick_params(axis="x", labelrotation=15)
    ran = {n: sc["results"] for n, sc in figures["batch"].items() if sc.get("results")}
    names = ["floor wall", *bench_batch.ALL[1:]]
    palette = ["#999", "#2a7", "#8c8", "#c55", "#e99"]
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        values = []
        for results in ran.values():
            top = max([r["wall_s"] for r in results.values() if "wall_s" in r] or [1.0])
            f = results.get("_floor", {}) if name == "floor wall" else results.get(name, {})
            values.append(f.get("wall_s", 0) / top)
        axes[1].bar(
            [k + i * width for k in range(len(ran))], values, width, label=name, color=palette[i]
        )
    axes[1].set_xticks([k + 0.4 - width / 2 for k in range(len(ran))], list(ran))
    axes[1].set_title("batch wall time, relative to the slowest (lower is better)")
    axes[1].legend(fontsize=7)
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
    parser.add_argument("--jobs", type=int, help="unthrottled batch size (10000; quick 1000)")
    parser.add_argument("--latency", help="unthrottled job latency (0.5-2; quick 0.2-0.5)")
    parser.add_argument("--only", help="comma-separated scenarios: unthrottled,writer,network,long")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--list-jobs", type=int, help="listing size (default 100000)")
    parser.add_argument("--out", default="bench-results", help="folder for JSON and PNG")
    args = parser.parse_args()
    quick = args.quick
    list_jobs = args.list_jobs or (20_000 if quick else 100_000)
    small, large = (2_000, 50_000) if quick else (10_000, 1_000_000)
    started = time.monotonic()

    print("== 1. per-call overhead (in process) ==")
    overhead = bench_overhead.measure(500 if quick else 2000, 3 if quick else 7)
    bench_overhead.print_table(overhead)
    batch: dict[str, Any] = {}
    wanted = set(args.only.split(",")) if args.only else None
    for scenario in scenarios(quick, args.jobs, args.latency):
        name = scenario["name"]
        if wanted is not None and name not in wanted:
            continue
        flags = " ".join(scenario["emulator_args"])
        print(f"\n== 2. {name}: {scenario['jobs']:,} jobs, latency {scenario['latency']} {flags}")
        entry = {k: v for k, v in scenario.items() if k != "name"}
        entry["concurrency"] = args.concurrency
        try:
            entry["results"] = bench_batch.run(
                list(bench_batch.ALL),
                scenario["jobs"],
                scenario["latency"],
                args.concurrency,
                scenario["emulator_args"],
                scenario["rpm"],
                scenario["p99"],
            )
        except bench_batch.EmulatorRefused as exc:
            entry["skipped"] = f"the emulator refused {flags!r}: {exc}"
            print(f"skipped: {entry['skipped']}")
        else:
            bench_batch.print_table(entry["results"], scenario["jobs"])
        batch[name] = entry
    print("\n== 3. listing ==")
    listing = bench_list.run(list_jobs, small, large)
    bench_list.print_table(listing)

    figures = {
        "machine": machine(),
        "command": " ".join(["scripts/bench.py", *sys.argv[1:]]),
        "overhead": overhead,
        "batch": batch,
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
        unit = " s" if "delay" in name else "" if "per job" in name or "share" in name else "x"
        print(f"{name:<46} {value:7.2f}{unit}{mark}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(figures, indent=2))
    drew = chart(figures, out / "bench.png")
    print(
        f"\nwrote {out / 'bench.json'}"
        + (f" and {out / 'bench.png'}" if drew else " (no chart: pip install --group bench)")
    )
    print(f"took {time.monotonic() - started:.0f} s on {machine()}")


if __name__ == "__main__":
    main()
