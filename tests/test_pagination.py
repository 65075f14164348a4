"""Listing: every job once, never early, never forever, in constant memory."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from jobwise import AsyncWriterJobs, InvalidResponseError, WriterJobs, pagination
from jobwise.pagination import Page, PageWalk

from .fakes import Recorder, job_body


def server(
    jobs: list[str],
    *,
    total: bool | int,
    pagination: bool,
    ignore_offset: bool = False,
    arrivals: dict[int, list[str]] | None = None,
) -> Recorder:
    """A list endpoint over ``jobs`` (newest first); ``arrivals[n]`` jobs arrive before call n;
    ``total`` True says the true total, an int says that number."""
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        for new in (arrivals or {}).get(calls["n"], []):
            jobs.insert(0, new)
        calls["n"] += 1
        offset = 0 if ignore_offset else int(request.url.params.get("offset", 0))
        limit = int(request.url.params.get("limit", 50))
        body: dict[str, Any] = {"result": [job_body(i) for i in jobs[offset : offset + limit]]}
        if total is not False:
            body["totalCount"] = len(jobs) if total is True else total
        if pagination:
            body["pagination"] = {"offset": offset, "limit": limit}
        return httpx.Response(200, json=body)

    return Recorder(handler)


def writer(recorder: Recorder) -> WriterJobs:
    return WriterJobs("k", "https://api.example.test", http_client=recorder.sync_client())


def test_two_pages_without_pagination_or_total_yield_every_job() -> None:
    ids = [f"j{n}" for n in range(7)]
    recorder = server(list(ids), total=False, pagination=False)
    assert [job.id for job in writer(recorder).list("app", page_size=4)] == ids
    assert len(recorder.requests) == 2


def test_exact_multiple_of_page_size_ends_on_an_empty_page() -> None:
    ids = [f"j{n}" for n in range(8)]
    recorder = server(list(ids), total=False, pagination=False)
    assert [job.id for job in writer(recorder).list("app", page_size=4)] == ids
    assert len(recorder.requests) == 3


def test_total_count_ends_the_listing_on_a_short_page() -> None:
    ids = [f"j{n}" for n in range(7)]
    recorder = server(list(ids), total=True, pagination=True)
    assert [job.id for job in writer(recorder).list("app", page_size=4)] == ids
    assert len(recorder.requests) == 2


def test_a_total_count_too_small_is_not_trusted_while_full_pages_come() -> None:
    ids = [f"j{n}" for n in range(30)]
    recorder = server(list(ids), total=10, pagination=True)
    assert [job.id for job in writer(recorder).list("app", page_size=10)] == ids
    assert len(recorder.requests) == 4  # three full pages, then the empty one that ends it


def test_a_short_page_is_not_the_end_while_the_total_says_more_remain() -> None:
    ids = [f"j{n}" for n in range(7)]
    inner = server(list(ids), total=True, pagination=False)

    def capped(request: httpx.Request) -> httpx.Response:  # pages of at most 3, unannounced
        url = request.url.copy_set_param("limit", min(3, int(request.url.params["limit"])))
        return inner(httpx.Request("GET", url))

    recorder = Recorder(capped)
    assert [job.id for job in writer(recorder).list("app", page_size=5)] == ids
    assert len(recorder.requests) == 3


def test_a_server_that_never_stops_sending_pages_ends_in_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pagination, "MAX_LISTED", 12)
    counter = iter(range(10**6))

    def endless(request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params["limit"])
        return httpx.Response(
            200, json={"result": [job_body(f"j{next(counter)}") for _ in range(limit)]}
        )

    recorder = Recorder(endless)
    with pytest.raises(InvalidResponseError, match="passed 12 jobs"):
        list(writer(recorder).list("app", page_size=4))
    assert len(recorder.requests) == 3


def test_jobs_of_another_application_are_refused() -> None:
    body = {"result": [job_body("j0"), job_body("j1", application_id="other-app")]}
    recorder = Recorder(lambda request: httpx.Response(200, json=body))
    with pytest.raises(InvalidResponseError, match="'j1' of application 'other-app'"):
        list(writer(recorder).list("app"))


def test_shifting_pages_yield_no_job_twice() -> None:
    ids = [f"j{n}" for n in range(10)]
    recorder = server(list(ids), total=True, pagination=True, arrivals={1: ["new1", "new2"]})
    seen = [job.id for job in writer(recorder).list("app", page_size=4)]
    assert len(seen) == len(set(seen))
    assert set(ids) <= set(seen)


def test_server_ignoring_offset_does_not_loop_forever() -> None:
    ids = [f"j{n}" for n in range(4)]
    recorder = server(list(ids), total=False, pagination=True, ignore_offset=True)
    assert [job.id for job in writer(recorder).list("app", page_size=4)] == ids
    assert len(recorder.requests) == 2


def test_pages_and_status_filter_are_sent() -> None:
    ids = [f"j{n}" for n in range(5)]
    recorder = server(list(ids), total=True, pagination=True)
    pages = list(writer(recorder).list("app", status="failed", page_size=2).pages())
    assert [len(page) for page in pages] == [2, 2, 1]
    assert all(r.url.params["status"] == "failed" for r in recorder.requests)
    assert [r.url.params["offset"] for r in recorder.requests] == ["0", "2", "4"]


def test_listing_is_lazy() -> None:
    recorder = server(["a"], total=True, pagination=True)
    pager = writer(recorder).list("app")
    assert recorder.requests == []
    next(iter(pager))
    assert len(recorder.requests) == 1


async def test_a_listing_read_while_jobs_are_created_yields_every_job_once() -> None:
    # Before (issue 28): 6 of the 250 yielded, then a page of seen jobs taken for an ignored
    # offset; with three pages of memory, jobs pushed further along came back twice.
    jobs = [f"old{n}" for n in range(250)]  # newest first
    created = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal created
        # Meanwhile another client creates 7 jobs a round trip (more than a page) up to 180:
        # the interleaving of two tasks over a round trip, made exact.
        for _ in range(min(7, 180 - created)):
            jobs.insert(0, f"new{created}")
            created += 1
        offset = int(request.url.params["offset"])
        limit = int(request.url.params["limit"])
        page = [job_body(i) for i in jobs[offset : offset + limit]]
        return httpx.Response(200, json={"result": page, "totalCount": len(jobs)})

    transport = httpx.MockTransport(handler)
    async with AsyncWriterJobs("k", "https://api.example.test", transport=transport) as w:
        seen = [job.id async for job in w.list("app", page_size=6)]
    assert created == 180
    assert len(seen) == len(set(seen))
    assert {f"old{n}" for n in range(250)} <= set(seen)


def test_a_page_of_seen_jobs_is_not_the_end_while_the_total_grows() -> None:
    walk: PageWalk[str] = PageWalk(3, key=str)
    assert walk.take(Page(["c", "b", "a"], 3, None)) == ["c", "b", "a"]
    walk.take(Page(["c", "b", "a"], 6, None))  # three new at the head pushed them on
    assert not walk.done and walk.offset == 6
    walk.take(Page(["c", "b", "a"], 6, None))  # the same page, the same total: the end
    assert walk.done


async def test_async_list_yields_every_job() -> None:
    ids = [f"j{n}" for n in range(7)]
    recorder = server(list(ids), total=False, pagination=False)
    async with AsyncWriterJobs(
        "k", "https://api.example.test", http_client=recorder.async_client()
    ) as jobs:
        assert [job.id async for job in jobs.list("app", page_size=3)] == ids
        assert [len(p) async for p in jobs.list("app", page_size=3).pages()] == [3, 3, 1]
