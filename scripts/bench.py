"""make bench: every contender on emulators started alike, in one run, each batch judged
against its bound.

1. per-call overhead (in process, httpx.MockTransport): bare httpx, generated client, jobwise,
   writer-sdk 3.0;
2. batches in four scenarios, each contender on an emulator of its own (jobwise on
   httpx-aiohttp and on httpx's pool, writer-sdk at its best with its default client and with
   DefaultAioHttpClient, and the floor): unthrottled (10,000 jobs, 0.5-2 s, `--profile fast`),
   Writer's profile at speed 60 (10,000 jobs, 400 requests a minute scaled; here also
   writer-sdk as users write it, where the limit binds), Writer's profile at speed 10 over a
   0.05 s round trip (1,000 jobs), and long latency (2,000 jobs, 60-600 s at speed 60,
   `--profile fast`). Each contender's wall time is shown against its bound (its own jobs
   created one each 1/R s, each seen the moment it ends: see bench_batch.py), with its
   requests a job and its 429 share. The Writer and network scenarios take the harder
   reading, the emulator's default: 429s without Retry-After (no Writer page documents one),
   so each client finds its own pause. A scenario whose emulator options are unknown is
   skipped with a message;
3. listing: jobwise against writer-sdk auto-pagination; jobwise's peak RSS at two sizes.

Prints each ratio beside its target (issue 30's acceptance, see TARGETS) and which targets
hold; writes the figures as JSON, the table as Markdown (docs/bench.md shows it) and a PNG
chart (matplotlib, from the `bench` group).

    .venv/bin/python scripts/bench.py [--quick] [--only writer,network] [--jobs 10000]
        [--latency 0.5-2] [--concurrency 16] [--list-jobs 100000] [--out bench-results]
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

AT_THE_BOUND = ("writer", "network", "long")
"""The scenarios whose batches issue 30 wants at their bound (the unthrottled one is CPU-bound)."""
ALL_SCENARIOS = ("unthrottled", *AT_THE_BOUND)

# Issue 30's acceptance: each batch judged against its bound (the physical limit for its jobs),
# with the requests it spent; issue 13's per-call and listing targets still hold.
TARGETS = {
    "overhead jobwise / bare httpx": ("<=", 1.3),
    "overhead jobwise http_client= / bare httpx": ("<=", 1.2),
    "overhead jobwise / writer-sdk": ("<=", 0.4),
    "unthrottled: wall / bound (jobwise)": ("<=", 1.5),
    "writer: wall jobwise / writer-sdk as users write it": ("<=", 0.7),
    # Issue 30 asked 0.4x, reading that loop at 3.04 requests a job; measured (docs/bench.md) it
    # made 2.01, as gather queues every create before the first poll, and 0.4x of that is 0.80,
    # under the one create each job needs. 0.55x is issue 30's own 1.1 requests a job over 2.01.
    "writer: requests per job jobwise / writer-sdk as users write it": ("<=", 0.55),
    "listing RSS large / small (jobwise)": ("<=", 1.2),
    # Proposed in its place: an exact listing keeps every id it yields (no published order lets
    # it forget one), and a UUID holds 16 bytes: a million of them are 16 MB against the 42 MB
    # of a process listing ten thousand, 1.38x at the information's floor. The peak bytes each
    # job past the small listing adds, at most 2.5x that floor (jobwise.seen_ids: about 27
    # bytes kept, 36 at a resize's peak; as strings in a set, 108).
    "listing: peak bytes per job past the small listing (jobwise)": ("<=", 40.0),
}
# Without a rate limit (unthrottled, long), creates on loopback go one at a time (an exactly-once
# client may not send two side by side to a server that may ignore Idempotency-Key:
# batch/create_slots.py), and the bound of 16 bare creates in flight is out of any such
# client's reach: 3,000 jobs, 0.5-2 s, bare creates took 3.9 s 16 at a time and 5.4 s one at a
# time. The serial bound (the jobs created one each bare serial create) is theirs.
for _name in ("unthrottled", "long"):
    TARGETS[f"{_name}: wall / serial bound (jobwise)"] = (
        "<=",
        1.1 if _name == "unthrottled" else 1.05,
    )
for _name in AT_THE_BOUND:
    TARGETS[f"{_name}: wall / bound (jobwise)"] = ("<=", 1.05)
    TARGETS[f"{_name}: requests per job (jobwise)"] = ("<=", 1.1)
    TARGETS[f"{_name}: 429 share (jobwise)"] = ("<=", 0.005)
for _name in ALL_SCENARIOS:
    TARGETS[f"{_name}: wall jobwise / writer-sdk best"] = ("<=", 1.0)  # no slower, anywhere
    TARGETS[f"{_name}: CPU per job jobwise / floor"] = ("<=", 1.5)

WRITER_RPM = 400
"""Writer's documented limit per key, requests per minute."""
SPEED = 60
NETWORK_SPEED, NETWORK_RTT = 10, 0.05


def scenarios(quick: bool, jobs: int | None, latency: str | None) -> list[dict[str, Any]]:
    """The three batch scenarios of issue 13, and Writer's profile over a network's round trip
    (smaller with --quick), with the emulator's defaults where they are the harder reading."""
    return [
        {
            "name": "unthrottled",
            "jobs": jobs or (1000 if quick else 10_000),
            "latency": latency or ("0.2-0.5" if quick else "0.5-2"),
            "emulator_args": ["--profile", "fast"],
            "rpm": None,
            "p99": None,
            # where nothing but the round trip bounds creates sent one at a time
            "contenders": [*bench_batch.ALL, bench_batch.SERIAL],
        },
        {
            "name": "writer",
            "jobs": 1000 if quick else 10_000,
            "latency": None,
            "emulator_args": ["--profile", "writer", "--speed", str(SPEED)],
            "rpm": WRITER_RPM * SPEED,
            "p99": None,
            # where the limit binds: a user's loop spends its requests, and so its time
            "contenders": [*bench_batch.ALL, bench_batch.USERS],
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
            "contenders": [*bench_batch.ALL, bench_batch.SERIAL],
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
        out.update(batch_ratios(name, scenario.get("results") or {}))
    listing = figures["listing"]
    a, b = listing["compare"].get("jobwise", {}), listing["compare"].get("writer-sdk", {})
    if "seconds" in a and "seconds" in b:
        out["listing time jobwise / writer-sdk"] = a["seconds"] / b["seconds"]
        out["listing RSS jobwise / writer-sdk"] = a["peak_rss_mb"] / b["peak_rss_mb"]
    small, large = listing["flat"].values()
    if "peak_rss_mb" in small and "peak_rss_mb" in large:
        out["listing RSS large / small (jobwise)"] = large["peak_rss_mb"] / small["peak_rss_mb"]
        out["listing: peak bytes per job past the small listing (jobwise)"] = bench_list.per_job(
            listing["flat"]
        )
    return out


def batch_ratios(name: str, results: dict[str, Any]) -> dict[str, float]:
    """One scenario's ratios: each contender's wall time against its bound, its requests a job
    and its 429 share; jobwise's against writer-sdk's and the floor's."""
    out: dict[str, float] = {}
    for contender, f in results.items():
        if contender in ("_floor", "floor", bench_batch.SERIAL) or "wall_s" not in f:
            continue
        if "bound_s" in f:
            out[f"{name}: wall / bound ({contender})"] = f["wall_s"] / f["bound_s"]
        if "serial_bound_s" in f:
            out[f"{name}: wall / serial bound ({contender})"] = f["wall_s"] / f["serial_bound_s"]
        out[f"{name}: requests per job ({contender})"] = f["requests_per_job"]
        out[f"{name}: 429 share ({contender})"] = f["429_share"]
    ours = results.get("jobwise", {})
    if "wall_s" not in ours:
        return out
    out[f"{name}: client CPU ms per job (jobwise)"] = ours["cpu_ms_per_job"]
    if "median_delay_s" in ours:
        out[f"{name}: median delay s, finish to yield (jobwise)"] = ours["median_delay_s"]
    floor = results.get("floor", {})
    if "cpu_ms_per_job" in floor:
        out[f"{name}: CPU per job jobwise / floor"] = (
            ours["cpu_ms_per_job"] / floor["cpu_ms_per_job"]
        )
    others = {
        "writer-sdk best": bench_batch.best_sdk(results),
        "writer-sdk as users write it": bench_batch.USERS,
    }
    for label, other in others.items():
        theirs = results.get(other or "", {})
        if "wall_s" in theirs:
            out[f"{name}: wall jobwise / {label}"] = ours["wall_s"] / theirs["wall_s"]
            out[f"{name}: requests per job jobwise / {label}"] = (
                ours["requests_per_job"] / theirs["requests_per_job"]
            )
            out[f"{name}: CPU jobwise / {label}"] = ours["cpu_s"] / theirs["cpu_s"]
    other = results.get("jobwise-httpx", {})
    if "wall_s" in other:
        out[f"{name}: wall jobwise aiohttp / httpx pool"] = ours["wall_s"] / other["wall_s"]
    return out


def show(name: str, value: float) -> str:
    """A ratio as the table prints it: shares in %, delays in s, ratios as x."""
    if "share" in name:
        return f"{value:.2%}"
    if "delay" in name:
        return f"{value:.2f} s"
    return f"{value:.2f}" + ("" if "per job" in name and "/" not in name else "x")


def verdict(value: float, target: tuple[str, float]) -> str:
    """ "met" or "missed", at the precision the table shows (so that 1.05 meets <= 1.05)."""
    return "met" if value <= target[1] else "missed"


def judged(ratios: dict[str, float]) -> dict[str, tuple[float | None, float, str]]:
    """Every target with its measured value and verdict ("not measured" when its part did
    not run)."""
    out: dict[str, tuple[float | None, float, str]] = {}
    for name, target in TARGETS.items():
        value = ratios.get(name)
        out[name] = (value, target[1], "not measured" if value is None else verdict(value, target))
    return out


SCENARIO_TITLES = {
    "unthrottled": "unthrottled, {jobs:,} jobs, {latency} s",
    "writer": "Writer profile at speed 60, {jobs:,} jobs",
    "network": "Writer over a 0.05 s round trip at speed 10, {jobs:,} jobs",
    "long": "long latency, {jobs:,} jobs, {latency} s at speed 60",
}


def markdown(figures: dict[str, Any]) -> str:
    """The batch table and the targets, as docs/bench.md shows them."""
    lines = [
        f"`{figures['command']}` on {figures['machine']}, {figures['took_s']:.0f} s, load "
        f"average {figures['load_before']:.2f} before and {figures['load_after']:.2f} after "
        "(the 1-minute figure; the client and the emulator share the cores).",
        "",
        "| scenario | contender | wall | bound | x bound | req/job | 429s | 429 % | CPU/job "
        "| peak RSS | delay | in bound |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, scenario in figures["batch"].items():
        title = SCENARIO_TITLES[name].format(**scenario)
        if "skipped" in scenario:
            lines.append(f"| {title} | skipped: {scenario['skipped']} |" + " |" * 10)
            continue
        for contender, f in scenario["results"].items():
            if contender.startswith("_"):
                continue
            label = f"**{contender}**" if contender == "jobwise" else contender
            if "error" in f:
                lines.append(f"| {title} | {label} | failed: {' '.join(f['error'])} |" + " |" * 9)
            else:
                bound, serial = f.get("bound_s"), f.get("serial_bound_s")
                cells = [
                    f"{f['wall_s']:.1f} s",
                    (f"{bound:.1f} s" if bound else "") + (f" ({serial:.1f} s)" if serial else ""),
                    (f"{f['wall_s'] / bound:.2f}" if bound else "")
                    + (f" ({f['wall_s'] / serial:.2f})" if serial else ""),
                    f"{f['requests_per_job']:.2f}",
                    f"{f['429s']:,}",
                    f"{f['429_share']:.2%}",
                    f"{f['cpu_ms_per_job']:.2f} ms",
                    f"{f['peak_rss_mb']:.0f} MB",
                    f"{f['median_delay_s']:.2f} s" if "median_delay_s" in f else "",
                    f"{f['within_bound']:.0%}" if "within_bound" in f else "",
                ]
                lines.append(f"| {title} | {label} | " + " | ".join(cells) + " |")
            title = ""
    lines += ["", "| target | measured | verdict |", "|---|---|---|"]
    for name, (value, limit, result) in figures["targets"].items():
        shown = "" if value is None else show(name, value)
        lines.append(f"| {name} <= {show(name, limit)} | {shown} | {result} |")
    return "\n".join(lines) + "\n"


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
    names = [*bench_batch.ALL[1:], bench_batch.USERS]  # the floor has no bound: it only creates
    palette = ["#2a7", "#8c8", "#c55", "#e99", "#a3c"]
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        values = []
        for results in ran.values():
            f = results.get(name, {})
            values.append(f["wall_s"] / f["bound_s"] if "bound_s" in f else 0)
        axes[1].bar(
            [k + i * width for k in range(len(ran))], values, width, label=name, color=palette[i]
        )
    axes[1].axhline(1.0, color="#333", linewidth=0.8)
    axes[1].axhline(1.05, color="#333", linewidth=0.8, linestyle="--")
    axes[1].set_xticks([k + 0.4 - width / 2 for k in range(len(ran))], list(ran))
    axes[1].set_title("batch wall time / its bound (1 = the bound; dashed: 1.05)")
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
    parser.add_argument("--quick", action="store_true", help="small sizes: a few minutes")
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
    load_before = os.getloadavg()[0]

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
        entry = {k: v for k, v in scenario.items() if k not in ("name", "contenders")}
        entry["concurrency"] = args.concurrency
        try:
            entry["results"] = bench_batch.run(
                scenario.get("contenders", list(bench_batch.ALL)),
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
            mark = f"  (target {target[0]} {show(name, target[1])}: {verdict(value, target)})"
        print(f"{name:<66} {show(name, value):>9}{mark}")
    figures["targets"] = judged(figures["ratios"])
    held = [name for name, (_, _, result) in figures["targets"].items() if result == "met"]
    print(f"\n== targets: {len(held)} of {len(TARGETS)} met ==")
    for name, (value, limit, result) in figures["targets"].items():
        if result != "met":
            shown = "" if value is None else f": {show(name, value)} against {show(name, limit)}"
            print(f"{result:<12} {name}{shown}")
    figures["took_s"] = time.monotonic() - started
    figures["load_before"], figures["load_after"] = load_before, os.getloadavg()[0]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(figures, indent=2))
    (out / "bench.md").write_text(markdown(figures))
    drew = chart(figures, out / "bench.png")
    print(
        f"\nwrote {out / 'bench.json'}, {out / 'bench.md'}"
        + (f" and {out / 'bench.png'}" if drew else " (no chart: pip install --group bench)")
    )
    print(
        f"took {figures['took_s']:.0f} s on {machine()}, load average {load_before:.2f} "
        f"before, {figures['load_after']:.2f} after"
    )


if __name__ == "__main__":
    main()
