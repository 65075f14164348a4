"""Waiting's sweeps and retrieves: how soon the batch's last jobs are seen once all are sent."""

from __future__ import annotations

from jobwise.batch.schedule import TAIL_FRESHNESS

from ..virtual import emulated, in_virtual_time
from .support import products, requests_of


@in_virtual_time
async def test_the_last_few_jobs_are_looked_at_after_a_small_share_of_their_age() -> None:
    # Lognormal latencies (median 0.5 s, p99 60 s): the batch ends with one long job. The tiers
    # look at a job again after 15 % of its age: seed 43's 56 s job was seen 5.4 s after it
    # ended (281 requests). Once every input is sent and few jobs are left, each is retrieved
    # again after 5 % of its age, within one interval (1 s) more: 1.4 s (282 requests).
    server_options = {"latency": (0.5, 60.0), "latency_kind": "lognormal", "seed": 43}
    async with emulated(**server_options) as server, server.client() as jobs:
        yielded: dict[str, float] = {}
        async for item in jobs.run_batch("w1", products(200), concurrency=8):
            assert item.status == "completed" and item.job_id is not None
            yielded[item.job_id] = server.wall()
        requests = requests_of(await server.stats())
        ended = {}
        for job_id in yielded:
            completed = (await jobs.retrieve(job_id)).completed_at
            assert completed is not None
            ended[job_id] = completed.timestamp()
    last = max(ended, key=ended.__getitem__)
    took = ended[last] - min(ended.values())
    assert took > 30, took  # the long job the test is about
    assert yielded[last] - ended[last] <= TAIL_FRESHNESS * took + 1.0, yielded[last] - ended[last]
    assert requests <= 200 * 1.5, requests
