"""Per-call overhead of retrieving one job, in process (httpx.MockTransport, no network).

Contenders, measured interleaved in one run: bare httpx get+json, the generated client,
the jobwise facade (through ``transport=``, and through a caller's ``http_client=``), and
writer-sdk 3.0 (when installed: pip install --group bench).
Prints microseconds per call and ratios to bare httpx.

    .venv/bin/python scripts/bench_overhead.py [--calls 2000] [--rounds 7] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable

import httpx

BASE = "https://api.writer.com"
JOB = {
    "id": "123-456-789",
    "status": "completed",
    "application_id": "2932402-23429023894-234234234",
    "created_at": "2025-02-10T18:18:09.501223Z",
    "completed_at": "2025-02-10T18:18:14.470324Z",
    "data": {"title": "Social post", "suggestion": "# Social post\n" + "words " * 60},
    "error": None,
}
BODY = json.dumps(JOB).encode()


def handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})


def bare_httpx() -> Callable[[], object]:
    client = httpx.Client(
        base_url=BASE, transport=httpx.MockTransport(handler), headers={"Authorization": "Bearer k"}
    )
    return lambda: client.get("/v1/applications/jobs/123-456-789").json()


def generated() -> Callable[[], object]:
    from jobwise_api import AuthenticatedClient
    from jobwise_api.api.writer import retrieve_job

    client = AuthenticatedClient(base_url=BASE, token="k")
    client.set_httpx_client(httpx.Client(base_url=BASE, transport=httpx.MockTransport(handler)))
    return lambda: retrieve_job.sync(job_id="123-456-789", client=client)


def facade() -> Callable[[], object]:
    from jobwise import WriterJobs

    jobs = WriterJobs("k", BASE, transport=httpx.MockTransport(handler))
    return lambda: jobs.retrieve("123-456-789")


def facade_via_http_client() -> Callable[[], object]:
    from jobwise import WriterJobs

    caller = httpx.Client(transport=httpx.MockTransport(handler))
    jobs = WriterJobs("k", BASE, http_client=caller)
    return lambda: jobs.retrieve("123-456-789")


def writer_sdk() -> Callable[[], object] | None:
    try:
        import writerai
    except ImportError:
        return None
    sdk = writerai.Writer(
        api_key="k",
        base_url=BASE,
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    return lambda: sdk.applications.jobs.retrieve("123-456-789")


def measure(calls: int, rounds: int) -> dict[str, float]:
    """Median microseconds per call of each contender, rounds interleaved."""
    contenders = {
        "bare httpx": bare_httpx(),
        "generated client": generated(),
        "jobwise facade": facade(),
        "jobwise via http_client": facade_via_http_client(),
    }
    sdk = writer_sdk()
    if sdk is not None:
        contenders["writer-sdk 3.0"] = sdk
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for fn in contenders.values():
        for _ in range(200):
            fn()
    for _ in range(rounds):
        for name, fn in contenders.items():
            gc.collect()
            started = time.perf_counter()
            for _ in range(calls):
                fn()
            samples[name].append((time.perf_counter() - started) / calls * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


def print_table(figures: dict[str, float]) -> None:
    """Microseconds per call and ratios to bare httpx (and jobwise to writer-sdk)."""
    base = figures["bare httpx"]
    print(f"{'retrieve one job':<24} {'us/call':>9} {'x bare httpx':>13}")
    for name, micros in figures.items():
        print(f"{name:<24} {micros:>9.1f} {micros / base:>12.2f}x")
    if "writer-sdk 3.0" in figures:
        print(f"jobwise / writer-sdk: {figures['jobwise facade'] / figures['writer-sdk 3.0']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    figures = measure(args.calls, args.rounds)
    print_table(figures)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"us_per_call": figures}, out, indent=2)


if __name__ == "__main__":
    main()
