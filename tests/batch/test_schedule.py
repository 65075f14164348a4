"""Waiting costs about one request per job at any latency, and never rests on list order."""

from __future__ import annotations

import itertools
import json

import httpx
import pytest
from jobwise import AsyncBatchRun, AsyncWriterJobs
from jobwise.batch.options import BatchOptions
from jobwise.batch.schedule import (
    FRESHNESS,
    PROBE_BUDGET,
    STRAGGLER_FACTOR,
    STRAGGLER_FLOOR,
    TAIL_BUDGET,
    TAIL_INTERVAL,
    Schedule,
    cheaper_alone,
)

from ..virtual import emulated, in_virtual_time
from .support import products, requests_of


def test_each_age_is_looked_at_after_at_most_a_share_of_it() -> None:
    schedule = Schedule(1.0)
    looks: dict[float, list[float]] = {}
    for tick in range(400):
        depth = schedule.depth(float(tick), oldest=400.0)
        for age in (3.0, 20.0, 100.0, 390.0):  # jobs that keep this age, to see their looks
            if depth is not None and age < depth:
                looks.setdefault(age, []).append(float(tick))
    for age, times in looks.items():
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert max(gaps) <= max(1.0, FRESHNESS * age), age
    assert len(looks[390.0]) < len(looks[100.0]) < len(looks[3.0]) == 400  # deep looks are rare


@pytest.mark.parametrize(
    ("latencies", "jobs", "expected"),
    [
        ([], 10_000, 1.0),  # nothing seen: the interval stays
        ([2.0] * 5, 10_000, TAIL_INTERVAL),  # no closer than the tail's floor
        ([60.0] * 5, 10_000, 60.0 / (TAIL_BUDGET * 10_000)),  # looks within the budget
        ([600.0] * 5, 10_000, 1.0),  # never longer than the interval
        ([2.0, 2.0, 2.0, 8.0], 1000, 8.0 / (TAIL_BUDGET * 1000)),
        ([2.0] * 5, 1, 1.0),  # one job: the tail adds no look
    ],
)
def test_the_tail_looks_as_often_as_its_budget_allows(
    latencies: list[float], jobs: int, expected: float
) -> None:
    schedule = Schedule(1.0)
    for age in latencies:
        schedule.finished(age)
    schedule.tail(jobs)
    assert schedule.interval == pytest.approx(expected)


def test_stragglers_are_jobs_far_older_than_the_latencies_seen() -> None:
    schedule = Schedule(0.5)
    assert schedule.straggler_age() == STRAGGLER_FLOOR * 0.5  # nothing seen yet
    for age in range(1, 101):
        schedule.finished(float(age))
    assert schedule.straggler_age() == pytest.approx(STRAGGLER_FACTOR * 90)


class OldestFirst(httpx.AsyncBaseTransport):
    """The emulator's listing turned round: oldest first (Writer documents no order)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def _get(self, request: httpx.Request, **params: int) -> dict[str, object]:
        url = request.url.copy_merge_params(params)
        answer = await self.inner.handle_async_request(
            httpx.Request("GET", url, headers=request.headers)
        )
        await answer.aread()
        body: dict[str, object] = json.loads(answer.content)
        return body

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET" or not request.url.path.endswith("/jobs"):
            return await self.inner.handle_async_request(request)
        offset = int(request.url.params.get("offset", 0))
        limit = int(request.url.params.get("limit", 50))
        total = int((await self._get(request, offset=0, limit=1))["totalCount"])  # type: ignore[call-overload]
        start = max(0, total - offset - limit)
        count = max(0, min(limit, total - offset))
        body = await self._get(request, offset=start, limit=max(1, count))
        items = list(reversed(body["result"]))[:count]  # type: ignore[call-overload]
        page = {
            "result": items,
            "totalCount": total,
            "pagination": {"offset": offset, "limit": limit},
        }
        return httpx.Response(200, json=page, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _run(jobs: AsyncWriterJobs, app: str, count: int) -> list[str]:
    options = BatchOptions(app, products(count), sweep_interval=0.05)
    return [item.status async for item in AsyncBatchRun(jobs, options)]


@in_virtual_time
async def test_jobs_still_running_are_not_retrieved_one_by_one() -> None:
    # Jobs last 10 to 40 sweep intervals: one the sweeps have not yet seen finish is running,
    # not a straggler (main at 7ebdb7a retrieved each on every cycle: 3.1 requests per job
    # here). At 20 sweeps a second the sweeps' floor of a page or two each costs about 0.2
    # requests per job for 300 jobs; at the default interval of 1 s it is a few hundredths.
    async with emulated(latency=(0.5, 2.0), seed=31) as server:
        async with server.client() as jobs:
            statuses = await _run(jobs, "s1", 300)
        seen = await server.stats()
        requests = requests_of(seen)
        by_route = seen["requests"]
        retrieves = sum(by_route.get("GET /v1/applications/jobs/{job_id}", {}).values())
    assert statuses == ["completed"] * 300
    assert retrieves <= 30  # the last few jobs, when fewer than a sweep's pages; 578 before
    assert requests / 300 <= 1.3


@in_virtual_time
async def test_every_job_comes_back_when_the_listing_is_oldest_first() -> None:
    async with emulated(latency=(0.1, 0.4), seed=32) as server:
        async with server.client(transport=OldestFirst(server.transport)) as jobs:
            statuses = await _run(jobs, "s2", 150)
        created = (await server.stats())["jobs_created"]
    assert statuses == ["completed"] * 150
    assert created == 150


@pytest.mark.parametrize(
    ("below", "pages_per_second", "alone"),
    [
        ([], 1.0, True),  # nothing due below: the sweep is done
        ([0.5], 1.0, True),  # one job a page down: a retrieve costs the same
        ([0.5, 0.6, 0.7], 1.0, False),  # three on the next page: one page finds them all
        ([3.0, 10.0, 20.0], 1.0, True),  # scattered deep: the k-th nearest k pages down or more
        ([0.2, 30.0], 1.0, True),  # the next page finds one, the other is 30 pages down
        ([0.2, 0.3, 30.0], 1.0, False),  # the next page finds two: read it, then decide again
        ([3.0, 10.0, 20.0], 0.1, False),  # the same jobs in a sparse listing: two pages
    ],
)
def test_a_sweep_stops_where_retrieving_the_rest_costs_less(
    below: list[float], pages_per_second: float, alone: bool
) -> None:
    assert cheaper_alone(below, pages_per_second) is alone


def test_the_in_progress_listing_is_read_on_its_own_cadence_once_everything_is_sent() -> None:
    schedule = Schedule(1.0)
    assert schedule.probe_every == float("inf")  # before the tail: when the tiers ask
    for age in (2.0, 8.0):
        schedule.finished(age)
    schedule.tail(10_000)  # 8 s / (5 % of 10,000): the floor
    assert schedule.probe_every == TAIL_INTERVAL
    reads = [t / 10 for t in range(1, 11) if schedule.probe(t / 10, asked=False)]
    assert len(reads) == 10  # on each tick (0.1 s), though no tier asked
    schedule.tail(100)  # 8 s over 5 % of 100 jobs: each 1.6 s, ticks each interval (1 s)
    assert schedule.probe_every == pytest.approx(8.0 / (PROBE_BUDGET * 100))
    reads = [t for t in range(2, 12) if schedule.probe(float(t), asked=False)]
    assert reads == [3, 5, 7, 9, 11]  # the last reading was at 1.0 s
    assert schedule.probe(10.5, asked=True)  # the tiers' asking reads it at once
