"""`make bench`'s rate-limited and long scenarios in virtual time: jobwise's batch against the
emulator app in one process (tests/virtual.py), so each seed replays exactly. What it shows is
the engine's pacing and waiting alone: wall time against the bound, requests a job, 429s and
list pages, with no CPU cost and no machine noise (bench.py's real runs have both).

    .venv/bin/python scripts/bench_virtual.py network [--seeds 4] [--jobs 1000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import NETWORK_RTT, NETWORK_SPEED, SPEED, WRITER_RPM
from bench_batch import bound

from tests.virtual import emulated, in_virtual_time

SCENARIOS: dict[str, tuple[dict[str, Any], int, float | None]] = {
    # emulator options, jobs, the limit a minute (None: the bound takes the creates' own pace)
    "writer": ({"profile": "writer", "speed": float(SPEED)}, 10_000, WRITER_RPM * SPEED),
    "network": (
        {"profile": "writer", "speed": float(NETWORK_SPEED), "rtt": NETWORK_RTT},
        1_000,
        WRITER_RPM * NETWORK_SPEED,
    ),
    "long": ({"profile": "fast", "speed": float(SPEED), "latency": (60.0, 600.0)}, 2_000, None),
}
PAGE = 100
"""Jobs a list page holds: the bound's rate is the limit less one page per this many jobs."""


def run(scenario: str, seed: int, jobs: int) -> dict[str, float]:
    """One batch of ``jobs`` in ``scenario``'s world drawn from ``seed``: its figures."""
    options, _, per_minute = SCENARIOS[scenario]
    figures: dict[str, float] = {}

    @in_virtual_time
    async def batch() -> None:
        async with emulated(**options, seed=seed) as server, server.client() as client:
            started = server.clock()
            seen: dict[str, float] = {}
            inputs = ({"Product": f"p {n}"} for n in range(jobs))
            async for item in client.run_batch("v", inputs, concurrency=16):
                assert item.job_id is not None
                seen[item.job_id] = server.clock()
            wall = server.clock() - started
            counted = (await server.stats())["requests"]
            spans: list[tuple[float, float, float]] = []  # created, ended, seen (loop clock)
            to_loop = server.clock() - server.wall()
            for job_id, at in seen.items():
                job = await client.retrieve(job_id)
                assert isinstance(job.completed_at, datetime)
                created = job.created_at.timestamp() + to_loop - started
                spans.append((created, job.completed_at.timestamp() + to_loop - started, at))
        spans.sort()
        api = {route: codes for route, codes in counted.items() if "_emulator" not in route}
        requests = sum(sum(codes.values()) for codes in api.values())
        rate = (
            per_minute / 60 / (1 + 1 / PAGE) if per_minute else len(spans) / max(spans[-1][0], 1e-9)
        )
        delays = sorted(at - started - ended for _, ended, at in spans)
        figures.update(
            wall=wall,
            bound=bound([ended - created for created, ended, _ in spans], rate),
            requests=requests / jobs,
            throttled=sum(codes.get("429", 0) for codes in api.values()) / max(requests, 1),
            pages=sum(
                sum(c.values())
                for r, c in api.items()
                if r.startswith("GET") and r.endswith("/jobs")
            ),
            delay=statistics.median(delays),
        )

    batch()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0, help="the first seed")
    parser.add_argument("--jobs", type=int, help="the scenario's size unless given")
    args = parser.parse_args()
    jobs = args.jobs or SCENARIOS[args.scenario][1]
    print(f"{args.scenario}: {jobs:,} jobs, virtual time")
    heads = ("wall s", "bound s", "x bound", "req/job", "429 %", "pages", "delay s")
    print(f"{'seed':>5} " + " ".join(f"{head:>8}" for head in heads))
    ratios = []
    for seed in range(args.seed, args.seed + args.seeds):
        f = run(args.scenario, seed, jobs)
        ratios.append(f["wall"] / f["bound"])
        print(
            f"{seed:>5} {f['wall']:>8.1f} {f['bound']:>8.1f} {ratios[-1]:>8.3f} "
            f"{f['requests']:>8.3f} {100 * f['throttled']:>8.2f} {f['pages']:>8.0f} "
            f"{f['delay']:>8.2f}"
        )
    print(f"x bound: median {statistics.median(ratios):.3f}, max {max(ratios):.3f}")


if __name__ == "__main__":
    main()
