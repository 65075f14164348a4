"""Settling lost creates from the listing (batch/lost.py), against servers that reuse ids."""

from __future__ import annotations

import asyncio
import json

import httpx

from ..virtual import emulated, in_virtual_time
from .support import products


class _HandsOutAnIdAgain(httpx.AsyncBaseTransport):
    """A server restarted after the first create: the second, 3 s later, makes its job under
    the first job's id (the first job gone) and its answer is lost. The listing shows it so."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.creates = 0
        self.first = self.second = ""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.creates += 1
            if self.creates == 2:
                await asyncio.sleep(3.0)  # made 3 s after the first: more than a margin apart
            response = await self.inner.handle_async_request(request)
            await response.aread()
            if self.creates == 1:
                self.first = response.json()["id"]
            elif self.creates == 2:
                self.second = response.json()["id"]
                raise httpx.ReadTimeout("lost after storing", request=request)
            return response
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if not request.url.path.endswith("/app-r/jobs"):
            return response
        page = response.json()
        jobs = [job for job in page["result"] if job["id"] != self.first]
        for job in jobs:
            if job["id"] == self.second:
                job["id"] = self.first
        page["result"] = jobs
        headers = {k: v for k, v in response.headers.items() if k != "content-length"}
        return httpx.Response(response.status_code, headers=headers, content=json.dumps(page))

    async def aclose(self) -> None:
        await self.inner.aclose()


@in_virtual_time
async def test_a_lost_creates_job_under_an_id_an_item_holds_is_never_sent_again() -> None:
    # Seed 37247 of the simulator: the listing showed the lost create's job under the id of an
    # earlier item's job, made 14 s before it; taken for that item's, it was no candidate, and
    # the create was sent again (a duplicate reported as none). Now a job whose id an item
    # holds but made at another time is a candidate that item claims too: never adopted, the
    # lost create ends ambiguous, with it as its candidate, and nothing is sent again.
    async with emulated(latency=(0.01, 0.02)) as server:
        lossy = _HandsOutAnIdAgain(server.transport)
        async with server.client(transport=lossy, max_retries=0) as jobs:
            items = [item async for item in jobs.run_batch("app-r", products(2), concurrency=1)]
        created = (await server.stats())["jobs_created"]
    first, second = sorted(items, key=lambda item: item.index)
    assert (first.status, first.job_id) == ("completed", lossy.first)
    assert second.status == "ambiguous", (second.status, second.error)
    assert second.candidates == (lossy.first,)
    assert created == 2 and lossy.creates == 2
