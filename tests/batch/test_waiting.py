"""Waiting's sweeps and retrieves: how soon the batch's last jobs are seen once all are sent."""

from __future__ import annotations

import httpx
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


class GarblesLaterPages(httpx.AsyncBaseTransport):
    """A listing whose pages past the first come back as an HTML error page, ``times`` times."""

    def __init__(self, inner: httpx.AsyncBaseTransport, times: int) -> None:
        self.inner = inner
        self.left = times

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        later = request.url.path.endswith("/jobs") and int(request.url.params.get("offset", 0))
        if request.method == "GET" and later and self.left:
            self.left -= 1
            return httpx.Response(200, text="<html>bad gateway</html>", request=request)
        return await self.inner.handle_async_request(request)


@in_virtual_time
async def test_a_sweep_cut_by_a_garbled_page_emits_each_item_once() -> None:
    # Simulator seed 2728: a sweep finished the jobs of its first page, its second page came
    # back garbled, and the jobs it was due to read were retrieved one by one, the finished
    # ones too: their answers finished them again and 25 of 120 items were emitted twice.
    async with emulated(latency=(0.5, 1.0), idempotency="honour") as server:
        garbling = GarblesLaterPages(server.transport, times=1)
        async with server.client(transport=garbling) as jobs:
            items = [item async for item in jobs.run_batch("w1", products(300), concurrency=16)]
    assert garbling.left == 0  # a sweep met the garbled page
    indexes = [item.index for item in items]
    assert sorted(indexes) == list(range(300)), [i for i in set(indexes) if indexes.count(i) > 1]
    assert {item.status for item in items} == {"completed"}
