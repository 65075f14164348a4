"""Waiting's sweeps and retrieves: how soon the batch's last jobs are seen once all are sent."""

from __future__ import annotations

import httpx
from jobwise.batch.schedule import TAIL_FRESHNESS
from jobwise.batch.sweeping import LOOKS_SLACK

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


class Counting(httpx.AsyncBaseTransport):
    """Counts the listing requests by their status filter ("" for none)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.listings: dict[str, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/jobs"):
            status = request.url.params.get("status", "")
            self.listings[status] = self.listings.get(status, 0) + 1
        return await self.inner.handle_async_request(request)


@in_virtual_time
async def test_a_job_entering_a_status_listing_between_its_pages_keeps_the_sweeps_short() -> None:
    # bench.py's network scenario: Writer's profile at speed 10 over a 0.05 s round trip. A job
    # that completes between two pages of the completed listing, pushed down by others, can
    # open the next page newer than the last one ended; that was read as a listing not newest
    # first, and every later sweep read every page: 174 list requests for 1,000 jobs, 124 now.
    server_options = {"profile": "writer", "speed": 10.0, "rtt": 0.05, "seed": 1}
    async with emulated(**server_options) as server:
        counting = Counting(server.transport)
        async with server.client(transport=counting) as jobs:
            items = [item async for item in jobs.run_batch("w1", products(1000), concurrency=16)]
    assert sorted(item.index for item in items) == list(range(1000))
    assert sum(counting.listings.values()) <= 140, counting.listings


@in_virtual_time
async def test_the_failed_listing_is_read_when_failures_are_expected() -> None:
    # 600 jobs of 2-6 s, none failing: many of ours run, so the sweeps list the completed and
    # the failed jobs apart. The failed listing was read on every such sweep (13 requests that
    # found nothing); now once per expected failure, fewer as the jobs seen without one grow.
    async with emulated(latency=(2.0, 6.0), seed=3) as server:
        counting = Counting(server.transport)
        async with server.client(transport=counting) as jobs:
            items = [item async for item in jobs.run_batch("w1", products(600), concurrency=16)]
    assert [item.status for item in items] == ["completed"] * 600
    assert counting.listings.get("completed", 0) >= 10  # the sweeps the test is about
    assert counting.listings.get("failed", 0) <= 3, counting.listings


@in_virtual_time
async def test_failed_jobs_are_found_by_the_sweeps_when_many_fail() -> None:
    # One job in four fails: the failed listing is read on the sweeps, not left to the
    # stragglers' retrieves (a job the sweeps keep missing, retrieved once 3x the p90 old).
    async with emulated(latency=(2.0, 6.0), seed=3) as server:
        counting = Counting(server.transport)
        async with server.client(transport=counting) as jobs:
            items = [
                item
                async for item in jobs.run_batch(
                    "w1", products(600, fail_every=4), concurrency=16, retry_failed=0
                )
            ]
        retrieves = sum(
            (await server.stats())["requests"]
            .get("GET /v1/applications/jobs/{job_id}", {})
            .values()
        )
    assert sorted(item.status for item in items) == ["completed"] * 450 + ["failed"] * 150
    assert counting.listings.get("failed", 0) >= 5, counting.listings
    assert retrieves <= 30, retrieves


@in_virtual_time
async def test_the_last_jobs_are_read_once_the_in_progress_listing_no_longer_shows_them() -> None:
    # Lognormal latencies (median 0.5 s, p99 60 s): most of the batch ends in seconds and a
    # long tail runs on for a minute. Looking at each job the tiers said was due cost 883
    # requests for 500 jobs (171 retrieves, most of jobs still running); a page of the
    # in-progress listing now tells which have ended, and only those are read: 725.
    server_options = {"latency": (0.5, 60.0), "latency_kind": "lognormal", "seed": 3}
    async with emulated(**server_options) as server, server.client() as jobs:
        items = [item async for item in jobs.run_batch("w1", products(500), concurrency=8)]
        requests = requests_of(await server.stats())
    assert [item.status for item in items] == ["completed"] * 500
    assert requests <= 500 * 1.6, requests


class WhileCreating(httpx.AsyncBaseTransport):
    """Counts the listing requests and retrieves sent before the last create."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.looks = 0
        self.before_last_create = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/jobs"):
            self.before_last_create = self.looks
        elif request.method == "GET":
            self.looks += 1
        return await self.inner.handle_async_request(request)


@in_virtual_time
async def test_looks_while_creating_spend_about_a_request_per_100_jobs() -> None:
    # Writer's profile at speed 60 (400 requests a second): each look while creating is a
    # create not sent. The sweeps read down to every job the tiers said was due, deep through
    # the completed listing: 38 requests before the last of 2,000 creates; now 23, the bound's
    # share (one per 100 jobs) and a few more.
    async with emulated(profile="writer", speed=60.0, seed=0) as server:
        counting = WhileCreating(server.transport)
        async with server.client(transport=counting) as jobs:
            items = [item async for item in jobs.run_batch("w1", products(2000), concurrency=16)]
    assert sorted(item.index for item in items) == list(range(2000))
    assert counting.before_last_create <= 2000 / 100 + LOOKS_SLACK + 2, counting.before_last_create
