"""make soak: a batch under injected faults, its client killed with SIGKILL and resumed, against
both kinds of server: one that honours Idempotency-Key (and echoes it) and one that ignores it.

Faults (emulator, seeded): 5% 500/503, 5% 429 with Retry-After, 4% connections reset (half
after the job is stored), 1% answers slower than the client's timeout. The client (`jobwise
batch`) is killed at random moments and run again on the same state file until it ends with
nothing left to do on its own (exit 0, or 7 with only items that need a decision). Then the
items left `ambiguous`, if any, are sent again with `--resend-ambiguous`.

Reports, per kind: inputs accounted for, results lost, wrong results (a suggestion that is not
its own input's), duplicate jobs (the emulator's count against the results), the ambiguous items
and their candidates, and requests spent. Exits 1 unless, for both kinds, every input came back
completed once with its own result, and the only jobs beyond one per input are the duplicates
the summary named before the re-send.

    .venv/bin/python scripts/soak.py [--jobs 5000] [--kills 3] [--seed 1] [--server both]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
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


SERVERS = ("honour", "ignore")


def start_emulator(seed: int, idempotency: str) -> tuple[subprocess.Popen[str], str]:
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
        "--idempotency",
        idempotency,
        "--profile",
        "fast",
    )


EXIT_OK, EXIT_FAILED, EXIT_NEEDS_DECISION = 0, 1, 7


def _run_until_settled(
    command: list[str],
    env: dict[str, str],
    kills: int,
    rng: random.Random,
    deadline: float,
    jobs: int,
) -> tuple[int, int, dict[str, Any]]:
    """Run `jobwise batch` (killing it `kills` times at random moments) until a run ends on its
    own with nothing more it can do; returns runs, kills and that run's JSON report."""
    started = time.monotonic()
    runs, killed = 0, 0
    # Seconds: each kill lands within the run it interrupts, even the quickest (a run of 300
    # jobs against a server that honours keys takes about 2 s here).
    expected = max(1.5, min(5.0, jobs / 1000))
    while time.monotonic() - started < deadline:
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
        stdout, stderr = proc.communicate(timeout=max(1.0, remaining))
        if proc.returncode not in (EXIT_OK, EXIT_FAILED, EXIT_NEEDS_DECISION):
            raise RuntimeError(f"jobwise batch exited {proc.returncode}: {stderr[-500:]}")
        report = json.loads(stdout)
        counts = report["summary"]["counts"]
        # Exit 1 with items still unfinished (a transient stop) is run again, as a user would.
        if proc.returncode != EXIT_FAILED or not counts.get("pending"):
            return runs, killed, report
    raise RuntimeError(f"soak did not settle within {deadline} s")


def soak(jobs: int, kills: int, seed: int, deadline: float, idempotency: str) -> dict[str, Any]:
    """Run the soak against one kind of server; returns its figures."""
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix=f"jobwise-soak-{idempotency}-"))
    names = work / "inputs.txt"
    inputs = [f"soak item {n}" for n in range(jobs)]
    names.write_text("".join(f"{name}\n" for name in inputs))
    out, state = work / "results.jsonl", work / "state.sqlite"
    emulator, url = start_emulator(seed, idempotency)
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
    ]
    started = time.monotonic()
    try:
        runs, killed, report = _run_until_settled(command, env, kills, rng, deadline, jobs)
        first = report["summary"]
        ambiguous = [
            json.loads(line)
            for line in out.read_text().splitlines()
            if json.loads(line)["status"] == "ambiguous"
        ]
        resent = 0
        if first["counts"].get("ambiguous"):
            # Kept for a post-mortem: the re-send below rewrites each item's candidates.
            for kept in (out, state):
                shutil.copy(kept, kept.with_name(f"before-resend-{kept.name}"))
            # The user's decision: send the ambiguous items again (each may duplicate a job).
            more, _, report = _run_until_settled(
                [*command, "--resend-ambiguous"], env, 0, rng, deadline, jobs
            )
            runs, resent = runs + more, len(ambiguous)
        stats = httpx.get(f"{url}/_emulator/stats").json()
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    results = [json.loads(line) for line in out.read_text().splitlines()]
    indexes = [r["index"] for r in results]
    completed = {r["index"] for r in results if r["status"] == "completed"}
    # The emulator's suggestion names its own input: any other is another input's result.
    own = {n: f"# Generated\nItem: {name}" for n, name in enumerate(inputs)}
    wrong = [
        r for r in results if r["status"] == "completed" and r["suggestion"] != own[r["index"]]
    ]
    job_ids = {r["job_id"] for r in results if r["job_id"]}
    named = len(set(report["summary"]["possible_duplicates"]))
    api = sum(sum(c.values()) for route, c in stats["requests"].items() if "_emulator" not in route)
    return {
        "server": idempotency,
        "jobs": jobs,
        "runs": runs,
        "kills": killed,
        "accounted_for": len(set(indexes)),
        "duplicate_results": len(indexes) - len(set(indexes)),
        "lost": jobs - len(completed),
        "wrong": len(wrong),
        "ambiguous": len(ambiguous),
        "ambiguous_without_candidates": sum(1 for r in ambiguous if not r.get("candidates")),
        "ambiguous_not_at_a_kill": sum(1 for r in ambiguous if "earlier run" not in r["error"]),
        "resent": resent,
        "jobs_created": stats["jobs_created"],
        "duplicate_jobs": stats["jobs_created"] - len(job_ids),
        "duplicates_named": named,
        "requests": api,
        "requests_per_job": round(api / jobs, 3),
        "faults": stats["faults"],
        "seconds": round(time.monotonic() - started, 1),
        "files": str(work),
    }


def passed(figures: dict[str, Any]) -> bool:
    """Issue 12's acceptance: every input back once with its own result; no job beyond one per
    input but the duplicates the summary named before the user chose to re-send."""
    return (
        figures["accounted_for"] == figures["jobs"]
        and figures["duplicate_results"] == 0
        and figures["lost"] == 0
        and figures["wrong"] == 0
        and figures["ambiguous_without_candidates"] == 0
        and figures["ambiguous_not_at_a_kill"] == 0
        and figures["duplicate_jobs"] == figures["duplicates_named"]
        and figures["jobs_created"] == figures["jobs"] + figures["duplicates_named"]
    )


def show(figures: dict[str, Any]) -> None:
    """Print one kind's figures."""
    print(
        f"soak ({figures['server']} Idempotency-Key): {figures['jobs']} inputs, "
        f"{figures['kills']} SIGKILLs, {figures['runs']} runs, {figures['seconds']} s"
    )
    print(f"  accounted for      {figures['accounted_for']} of {figures['jobs']}")
    print(f"  results lost       {figures['lost']}")
    print(f"  wrong results      {figures['wrong']}")
    print(
        f"  ambiguous          {figures['ambiguous']} ({figures['ambiguous_not_at_a_kill']} not "
        f"in flight at a kill; all re-sent with --resend-ambiguous)"
    )
    print(
        f"  duplicate jobs     {figures['duplicate_jobs']} (named in the summary: "
        f"{figures['duplicates_named']}; jobs created {figures['jobs_created']})"
    )
    print(f"  requests           {figures['requests']} ({figures['requests_per_job']} per job)")
    print(f"  faults injected    {figures['faults']}")
    print(f"  {'PASS' if passed(figures) else 'FAIL'}")
    if not passed(figures):
        print(f"  results and state file kept in {figures['files']} (before-resend-*: as first)")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--deadline", type=float, default=900, help="seconds at most, per kind")
    parser.add_argument("--server", choices=(*SERVERS, "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="300 jobs, 2 kills")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    jobs, kills = (300, 2) if args.quick else (args.jobs, args.kills)
    kinds = SERVERS if args.server == "both" else (args.server,)
    all_figures = [soak(jobs, kills, args.seed, args.deadline, kind) for kind in kinds]
    for figures in all_figures:
        if args.json:
            print(json.dumps(figures))
        else:
            show(figures)
    return 0 if all(passed(figures) for figures in all_figures) else 1


if __name__ == "__main__":
    sys.exit(main())
