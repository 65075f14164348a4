"""make soak: a batch under injected faults, its client killed with SIGKILL and resumed.

Faults (emulator, seeded): 5% 500/503, 5% 429 with Retry-After, 4% connections reset (half
after the job is stored), 1% answers slower than the client's timeout. The client (`jobwise
batch`) is killed at random moments and run again on the same state file until it finishes.
Reports inputs accounted for, duplicate jobs (the emulator's count), results lost and requests
spent; exits 1 unless every input came back once with no duplicate.

    .venv/bin/python scripts/soak.py [--jobs 5000] [--kills 3] [--seed 1] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_batch

CLIENT_TIMEOUT = 2.0


def start_emulator(seed: int) -> tuple[subprocess.Popen[str], str]:
    """The faulty emulator on a free loopback port."""
    return bench_batch.start_emulator(
        "0.2-1.0",
        "--error-rate",
        "0.05",
        "--throttle-rate",
        "0.05",
        "--reset-rate",
        "0.04",
        "--slow-rate",
        "0.01",
        "--slow-seconds",
        str(CLIENT_TIMEOUT + 1),
        "--seed",
        str(seed),
        # The client sends Idempotency-Key; this soak measures it against a server that honours it.
        "--idempotency",
        "honour",
    )


def soak(jobs: int, kills: int, seed: int, deadline: float) -> dict[str, Any]:
    """Run the soak; returns its figures."""
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="jobwise-soak-"))
    names = work / "inputs.txt"
    names.write_text("".join(f"soak item {n}\n" for n in range(jobs)))
    out, state = work / "results.jsonl", work / "state.sqlite"
    emulator, url = start_emulator(seed)
    env = {**os.environ, "WRITER_API_KEY": "soak-token", "WRITER_BASE_URL": url}
    command = [
        sys.executable,
        "-m",
        "jobwise.cli",
        "batch",
        "soak-app",
        str(names),
        "--input-name",
        "Item",
        "--out",
        str(out),
        "--state",
        str(state),
        "--concurrency",
        "16",
        "--request-timeout",
        str(CLIENT_TIMEOUT),
        "--quiet",
        "--json",
        "--resend-ambiguous",  # re-sent under the same key: the server replays, no duplicate
    ]
    started = time.monotonic()
    runs, killed = 0, 0
    try:
        expected = max(2.0, jobs / 400)
        while True:
            runs += 1
            proc = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            if killed < kills:
                try:
                    proc.wait(timeout=rng.uniform(0.5, expected))
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    killed += 1
                    continue
            remaining = deadline - (time.monotonic() - started)
            _, stderr = proc.communicate(timeout=max(1.0, remaining))
            if proc.returncode not in (0, 1):
                raise RuntimeError(f"jobwise batch exited {proc.returncode}: {stderr[-500:]}")
            if proc.returncode == 0 or time.monotonic() - started > deadline:
                break
        stats = httpx.get(f"{url}/_emulator/stats").json()
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    results = [json.loads(line) for line in out.read_text().splitlines()]
    indexes = [r["index"] for r in results]
    completed = {r["index"] for r in results if r["status"] == "completed"}
    job_ids = {r["job_id"] for r in results if r["job_id"]}
    api = sum(sum(c.values()) for route, c in stats["requests"].items() if "_emulator" not in route)
    return {
        "jobs": jobs,
        "runs": runs,
        "kills": killed,
        "accounted_for": len(set(indexes)),
        "duplicate_results": len(indexes) - len(set(indexes)),
        "jobs_created": stats["jobs_created"],
        "duplicate_jobs": stats["jobs_created"] - len(job_ids),
        "duplicates_prevented": stats["duplicates_prevented"],
        "lost": jobs - len(completed),
        "requests": api,
        "requests_per_job": round(api / jobs, 3),
        "faults": stats["faults"],
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--deadline", type=float, default=900, help="seconds at most")
    parser.add_argument("--quick", action="store_true", help="300 jobs, 2 kills")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    jobs, kills = (300, 2) if args.quick else (args.jobs, args.kills)
    figures = soak(jobs, kills, args.seed, args.deadline)
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"soak: {figures['jobs']} inputs, {figures['kills']} SIGKILLs, "
            f"{figures['runs']} runs, {figures['seconds']} s"
        )
        print(f"  accounted for      {figures['accounted_for']} of {figures['jobs']}")
        print(
            f"  duplicate jobs     {figures['duplicate_jobs']} "
            f"(jobs created {figures['jobs_created']}; "
            f"{figures['duplicates_prevented']} duplicates prevented by Idempotency-Key)"
        )
        print(f"  results lost       {figures['lost']}")
        print(f"  requests           {figures['requests']} ({figures['requests_per_job']} per job)")
        print(f"  faults injected    {figures['faults']}")
    ok = (
        figures["accounted_for"] == jobs
        and figures["lost"] == 0
        and figures["duplicate_jobs"] == 0
        and figures["jobs_created"] == jobs
        and figures["duplicate_results"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
