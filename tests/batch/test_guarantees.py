"""The batch engine's promise against servers that behave as real ones may: keys ignored,
answers lost or garbled, jobs stuck, servers gone, state files tampered with."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jobwise
import pytest
from jobwise import AsyncWriterJobs, WriterJobs
from jobwise.batch.options import BatchOptions
from jobwise.validation import normalize_inputs
from jobwise_emulator import run_emulator

from ..cli_support import cli, read_results
from ..conftest import TOKEN
from ..misbehaving import never_answers
from ..virtual import URL, Refused, emulated, in_virtual_time
from .support import products, stats


@in_virtual_time
async def test_lost_creates_are_settled_from_the_listing_never_resent_blindly(
    tmp_path: Path,
) -> None:
    # Keys ignored (the default), a quarter of the answers dropped, half of those after the
    # job is stored. Creates go one at a time until the server shows it honours keys, so each
    # lost create's window holds one job at most: every one is settled, none ambiguous.
    async with emulated(latency=(0.02, 0.05), reset_rate=0.25, seed=5) as server:
        async with server.client(max_retries=2) as jobs:
            run = jobs.run_batch("g1", products(40), concurrency=8, state=str(tmp_path / "s"))
            items = [item async for item in run]
        created = (await server.stats())["jobs_created"]
    assert sorted(item.index for item in items) == list(range(40))
    assert [item.status for item in items] == ["completed"] * 40
    assert all(f"product {item.index}" in (item.suggestion or "") for item in items)  # never wrong
    assert created == 40


class _CreatesInFlight(httpx.AsyncBaseTransport):
    """A transport that counts the creates in flight at once."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.now = self.most = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return await self.inner.handle_async_request(request)
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.now -= 1


@pytest.mark.parametrize(("idempotency", "alone"), [("ignore", True), ("honour", False)])
@in_virtual_time
async def test_creates_go_one_at_a_time_until_the_server_honours_keys(
    idempotency: str, alone: bool
) -> None:
    async with emulated(latency=(0.01, 0.02), hold_create=0.05, idempotency=idempotency) as server:
        counter = _CreatesInFlight(server.transport)
        async with server.client(transport=counter) as jobs:
            items = [item async for item in jobs.run_batch("g8", products(24), concurrency=8)]
    assert [item.status for item in items] == ["completed"] * 24
    assert (counter.most == 1) is alone, counter.most


@pytest.mark.parametrize(("rtt", "rpm", "side_by_side"), [(0.05, None, True), (0, 2400, False)])
@in_virtual_time
async def test_creates_go_side_by_side_where_round_trips_not_the_budget_hold_them_back(
    rtt: float, rpm: float | None, side_by_side: bool
) -> None:
    # Keys ignored. One at a time, a create 0.3 s away allowed 200 a minute of Writer's 400
    # (a 500-job batch took 161 s; its floor is 85 s). Past a calm start, creates held back by
    # round trips go side by side; creates held back by the rate budget stay one at a time.
    async with emulated(latency=(0.01, 0.02), rtt=rtt) as server:
        counter = _CreatesInFlight(server.transport)
        async with server.client(transport=counter) as jobs:
            run = jobs.run_batch("g14", products(90), concurrency=8, rate_limit=rpm)
            items = [item async for item in run]
        created = (await server.stats())["jobs_created"]
    assert [item.status for item in items] == ["completed"] * 90 and created == 90
    assert (counter.most > 1) is side_by_side, counter.most


class _LosesTwoSideBySide(httpx.AsyncBaseTransport):
    """Creates 61 and 62 lose their answers while both are in flight: the first is stored, the
    second never reaches the server."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.creates = 0
        self.both = asyncio.Event()
        self.stored_input = self.unsent_input = ""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return await self.inner.handle_async_request(request)
        self.creates += 1
        mine = self.creates
        if mine == 61:
            self.stored_input = request.content.decode()
            response = await self.inner.handle_async_request(request)
            await response.aread()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.both.wait(), 5)
            raise httpx.ReadTimeout("lost after storing", request=request)
        if mine == 62:
            self.unsent_input = request.content.decode()
            self.both.set()
            await asyncio.sleep(0.05)
            raise httpx.ReadTimeout("lost before storing", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@in_virtual_time
async def test_two_lost_creates_side_by_side_never_take_each_others_job() -> None:
    # Past the calm start creates go side by side; two are lost together, and the job the
    # first made lies in both windows: neither adopts it (the second would have taken the
    # first's result), both end ambiguous with it as their candidate, nothing else is touched.
    async with emulated(latency=(0.01, 0.02), rtt=0.05) as server:
        lossy = _LosesTwoSideBySide(server.transport)
        async with server.client(transport=lossy, max_retries=0) as jobs:
            run = jobs.run_batch("g15", products(100), concurrency=8)
            items = [item async for item in run]
        created = (await server.stats())["jobs_created"]
    lost = [item for item in items if item.status != "completed"]
    assert {item.status for item in lost} == {"ambiguous"}, [(i.status, i.error) for i in lost]
    sent = {lossy.stored_input, lossy.unsent_input}
    assert {f'"product {item.index}"' in body for item in lost for body in sent} == {True, False}
    assert all(any(f'"product {item.index}"' in body for body in sent) for item in lost)
    assert len(lost) == 2 and lost[0].candidates == lost[1].candidates
    assert len(lost[0].candidates) == 1
    done = [item for item in items if item.status == "completed"]
    assert len(done) == 98 and created == 99
    assert all(f"product {item.index}" in (item.suggestion or "") for item in done)


def test_a_state_file_keeps_the_servers_key_promise_and_clock_bounds(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite")
    state = jobwise.batch.state.BatchState(path, "app", "http://127.0.0.1:1")
    assert not state.keys_honoured and state.clock_bounds() is None
    assert state.steady_anchor() is None
    state.note_keys_honoured()
    state.save_clock_bounds((-0.25, 0.5, 0.05))
    state.save_steady_anchor(1_750_000_000.25)  # a killed run's times move by it (seed 10869)
    state.commit(force=True)
    state.close()
    again = jobwise.batch.state.BatchState(path, "app", "http://127.0.0.1:1")
    try:
        assert again.keys_honoured and again.clock_bounds() == (-0.25, 0.5, 0.05)
        assert again.steady_anchor() == 1_750_000_000.25
        again.save_clock_bounds(None)  # a new run learns its own
        assert again.clock_bounds() is None
    finally:
        again.close()


def test_a_kill_while_a_stored_create_is_held_resumes_without_a_duplicate(tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("".join(f"held {n}\n" for n in range(3)))
    out, state = tmp_path / "out.jsonl", tmp_path / "state.sqlite"
    with run_emulator(profile="fast", latency=(0.01, 0.02), hold_create=2.0) as server:
        env = {"WRITER_API_KEY": TOKEN, "WRITER_BASE_URL": server.base_url}
        args = ["batch", "app-h", str(names), "--input-name", "Name", "--out", str(out)]
        args += ["--state", str(state), "--concurrency", "1", "--quiet"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "jobwise.cli", *args],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while stats(server.base_url)["jobs_created"] < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)  # the job is stored; its answer is being held
        proc.wait(timeout=10)
        done = cli(*args, "--json", env=env)
        created = stats(server.base_url)["jobs_created"]
    assert done.returncode == 0, done.stderr
    assert [r["status"] for r in read_results(out)] == ["completed"] * 3
    assert created == 3


@in_virtual_time
async def test_retry_failed_at_concurrency_one_finishes(tmp_path: Path) -> None:
    async with emulated(latency=(0.01, 0.03), seed=2) as server, server.client() as jobs:
        run = jobs.run_batch("g2", products(6, fail_every=3), concurrency=1, retry_failed=1)
        items = sorted([item async for item in run], key=lambda item: item.index)
    assert [i.status for i in items] == ["failed", "completed", "completed"] * 2
    assert all(i.retries == 1 for i in items if i.status == "failed")


@in_virtual_time
async def test_retry_failed_under_a_429_storm_finishes() -> None:
    async with emulated(latency=(0.01, 0.03), throttle_rate=0.4, seed=4) as server:
        async with server.client(max_retries=8) as jobs:
            run = jobs.run_batch("g12", products(12, fail_every=4), concurrency=4, retry_failed=1)
            items = sorted([item async for item in run], key=lambda item: item.index)
        seen = await server.stats()
    assert [i.status for i in items] == ["failed", "completed", "completed", "completed"] * 3
    assert all(i.retries == 1 for i in items if i.status == "failed")
    assert seen["faults"]["throttled"] > 0 and seen["jobs_created"] == 12


@in_virtual_time
async def test_a_stuck_job_ends_timed_out_and_the_others_come_back(tmp_path: Path) -> None:
    inputs = [{"Product": "stuck one"}, {"Product": "fine"}, {"Product": "also fine"}]
    async with emulated(latency=(0.01, 0.03)) as server, server.client() as jobs:
        run = jobs.run_batch("g3", inputs, state=str(tmp_path / "s"), deadline=3)
        items = {item.index: item async for item in run}
    assert items[0].status == "timed_out" and items[0].job_id
    assert items[1].status == items[2].status == "completed"
    assert run.summary()["needs_decision"] == 1


@pytest.mark.parametrize("deadline", [1, 6])
@in_virtual_time
async def test_items_timed_out_by_a_silent_server_say_so(
    tmp_path: Path, deadline: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Silent for longer than SILENT, or never heard at all, however short the deadline; and a
    warning says so while the batch runs on."""
    gone = URL
    async with emulated() as server, server.client(transport=Refused(), max_retries=0) as jobs:
        run = jobs.run_batch("g5", products(3), state=str(tmp_path / "s"), deadline=deadline)
        items = [item async for item in run]
    assert [item.status for item in items] == ["timed_out"] * 3
    for item in items:
        assert item.error is not None
        assert "deadline passed first" in item.error
        assert f"no usable answer from {gone}" in item.error
        assert "connect" in item.error.lower()
    warned = [r.getMessage() for r in caplog.records if "still trying" in r.getMessage()]
    assert len(warned) == (deadline > 5)  # once silent for SILENT, and once only
    assert all(f"no usable answer from {gone}" in line for line in warned)


@in_virtual_time
async def test_a_long_job_is_not_taken_for_a_silent_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Looks at old jobs come ever further apart (at 7.5 % of their age), and nothing is asked
    in between. The watchdog counted that quiet as a silent server: a job 13 minutes old
    stopped the run (ServerUnavailableError), and a job a minute old had it warn. The 25
    minutes pass in virtual time."""
    async with emulated(latency=(0.01, 0.02)) as server, server.client() as jobs:
        run = jobs.run_batch("g13", [{"P": "stuck"}], state=str(tmp_path / "s"), deadline=1500)
        items = [item async for item in run]
    assert items[0].status == "timed_out" and items[0].job_id
    assert items[0].error == "the batch's deadline passed first"
    assert not [r for r in caplog.records if "still trying" in r.getMessage()]


class _BusyClient:
    """What the watchdog reads of a client: requests sent, and a clock."""

    def __init__(self) -> None:
        self.requests_sent = 0
        self.now = 0.0

    def clock(self) -> float:
        return self.now


def test_a_busy_server_that_answers_is_never_silent() -> None:
    """Requests are always in flight when the watchdog looks (16 at once, or one create after
    another), and answers keep coming. The silence was counted from the first such look on,
    past every answer since: a healthy run's silence grew by a second a tick (a profiled
    batch warned after 5 s, and would have stopped after 60)."""
    client = _BusyClient()
    engine = jobwise.batch.engine.BatchEngine(client, BatchOptions("g", []))  # type: ignore[arg-type]
    silences = []
    for _ in range(120):  # two minutes of ticks
        client.requests_sent += 16
        client.now += 0.5
        engine._heard()  # an answer to one of them
        client.requests_sent += 1  # and the next request is out before the tick
        client.now += 0.5
        silences.append(engine._silence())
    assert max(silences) <= 0.5
    client.now += 30.0  # no answer since: silent
    assert engine._silence() == pytest.approx(30.5)


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_a_server_that_says_wait_is_not_silent(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Writer's limit is per minute: its Retry-After may ask for most of one. Counted as
    # silence, such a pause warned of a silent server after 5 s and stopped the run after 60
    # (here 1.5 s: the old code stops with ServerUnavailableError).
    wait = {"status": 429, "headers": {"Retry-After": "2", "retry-after-ms": "2000"}}
    with run_emulator(profile="fast", latency=(0.01, 0.02)) as server:
        httpx.post(f"{server.base_url}/_emulator/script", json={"answers": [wait, wait]})
        if kind == "async":
            async with AsyncWriterJobs(TOKEN, server.base_url) as jobs:
                run = jobs.run_batch("g16", products(3), stall_timeout=1.5)
                items = [item async for item in run]
        else:
            sync_run = WriterJobs(TOKEN, server.base_url).run_batch(
                "g16", products(3), stall_timeout=1.5
            )
            items = await asyncio.to_thread(list, sync_run)
    assert [item.status for item in items] == ["completed"] * 3
    assert "no usable answer" not in caplog.text


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_a_deadline_holds_against_a_dead_server_with_many_inputs(
    tmp_path: Path, kind: str
) -> None:
    """Every submitter holds an input while it waits its turn to create (one at a time, keys
    untrusted): none may send after the deadline, and the sweep loop must not spin meanwhile
    (16 creates after a 3 s deadline, each riding out its retries, ran for over a minute).
    The one create under way stops retrying at the deadline too (it rode out its retries,
    about 5 s more). The sync client's sleep refuses a negative pause: the time left is never
    below 0."""
    with run_emulator(profile="fast") as server:
        gone = server.base_url
    state = str(tmp_path / "s")
    started, cpu = time.monotonic(), time.process_time()
    if kind == "async":
        async with AsyncWriterJobs(TOKEN, gone) as jobs:
            items = [
                item async for item in jobs.run_batch("g6", products(40), state=state, deadline=3)
            ]
    else:
        run = WriterJobs(TOKEN, gone).run_batch("g6", products(40), state=state, deadline=3)
        items = await asyncio.to_thread(list, run)
    took, spent = time.monotonic() - started, time.process_time() - cpu
    assert sorted(item.index for item in items) == list(range(40))
    assert {item.status for item in items} == {"timed_out"}
    assert took < 3 + 2.5
    assert spent < 0.5 * took


async def test_a_deadline_holds_against_a_server_that_never_answers(tmp_path: Path) -> None:
    """A create that gets no answer is lost; settling it lists the jobs, which time out too.
    At the deadline the lost create times out with the rest (a later run settles it), instead
    of listing on until the stall timeout stops the run."""
    started = time.monotonic()
    with never_answers() as url:
        async with AsyncWriterJobs(TOKEN, url, timeout=0.5, max_retries=1) as jobs:
            run = jobs.run_batch("g7", products(5), state=str(tmp_path / "s"), deadline=3)
            items = [item async for item in run]
    assert sorted(item.index for item in items) == list(range(5))
    assert {item.status for item in items} == {"timed_out"}
    assert time.monotonic() - started < 3 + 10


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_a_create_under_way_ends_at_the_deadline(tmp_path: Path, kind: str) -> None:
    """The deadline cuts the attempt in flight, however long the request timeout (the sync
    client's calls run in worker threads, which carry the batch's deadline too). The cut
    create is lost, so it times out as one that may have made a job: a later run settles it."""
    state = str(tmp_path / "s")
    started = time.monotonic()
    with never_answers() as url:
        if kind == "async":
            async with AsyncWriterJobs(TOKEN, url, timeout=8) as jobs:
                run = jobs.run_batch("g10", products(3), state=state, deadline=1)
                items = [item async for item in run]
        else:
            sync_run = WriterJobs(TOKEN, url, timeout=8).run_batch(
                "g10", products(3), state=state, deadline=1
            )
            items = await asyncio.to_thread(list, sync_run)
    assert time.monotonic() - started < 1 + 2.5
    assert {item.status for item in items} == {"timed_out"}
    saved = jobwise.batch.state.BatchState(state, "g10", url)
    assert [row.index for row in saved.unsettled()] == [0]
    saved.close()


def test_a_deadline_holds_while_a_killed_runs_create_is_settled(tmp_path: Path) -> None:
    """A killed run's create is settled from the listing before anything new is sent; when the
    server is down past the deadline, the run times out (it listed on until the 60 s stall
    timeout), and a later run settles the create and finishes."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    url, path = f"http://127.0.0.1:{port}", str(tmp_path / "s.sqlite")
    inputs = products(3)
    state = jobwise.batch.state.BatchState(path, "g9", url)
    rows = [state.add(i, normalize_inputs(p), "pending", None) for i, p in enumerate(inputs)]
    state.sending(rows[1], time.time() - 5)  # in flight when the earlier run was killed
    state.close()
    started = time.monotonic()
    jobs = WriterJobs(TOKEN, url, max_retries=0)
    items = list(jobs.run_batch("g9", inputs, state=path, deadline=2))
    assert time.monotonic() - started < 2 + 10
    assert sorted(item.index for item in items) == [0, 1, 2]
    assert {item.status for item in items} == {"timed_out"}
    with run_emulator(profile="fast", latency=(0.01, 0.02), port=port) as server:
        again = list(WriterJobs(TOKEN, url).run_batch("g9", inputs, state=path))
        created = stats(server.base_url)["jobs_created"]
    assert sorted((item.index, item.status) for item in again) == [
        (0, "completed"),
        (1, "completed"),
        (2, "completed"),
    ]
    assert created == 3


class _LosesFirstAnswer:
    """Sends every request; the answer to the first create of ``lose`` (stored) is lost."""

    def __init__(self, lose: bytes) -> None:
        self.lose: bytes | None = lose

    def _lost(self, request: httpx.Request) -> bool:
        if self.lose is None or request.method != "POST" or self.lose not in request.content:
            return False
        self.lose = None
        return True


class _SyncLosesFirstAnswer(_LosesFirstAnswer, httpx.BaseTransport):
    def __init__(self, lose: bytes) -> None:
        super().__init__(lose)
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self._lost(request):
            response.close()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


class _AsyncLosesFirstAnswer(_LosesFirstAnswer, httpx.AsyncBaseTransport):
    def __init__(self, lose: bytes) -> None:
        super().__init__(lose)
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self._lost(request):
            await response.aclose()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


async def _run_resumed(url: str, inputs: list[dict[str, str]], path: str, sync: bool) -> Any:
    lose = b'"product 0"'
    if sync:
        jobs = WriterJobs(TOKEN, url, transport=_SyncLosesFirstAnswer(lose))
        return await asyncio.to_thread(
            lambda: list(jobs.run_batch("g10", inputs, state=path, concurrency=1))
        )
    async with AsyncWriterJobs(TOKEN, url, transport=_AsyncLosesFirstAnswer(lose)) as client:
        return [i async for i in client.run_batch("g10", inputs, state=path, concurrency=1)]


@pytest.mark.parametrize("sync", [True, False], ids=["sync", "async"])
def test_a_resumed_run_trusts_the_keys_an_earlier_run_saw_honoured(
    tmp_path: Path, sync: bool
) -> None:
    """An earlier run saw the server echo Idempotency-Key and was killed with a create in
    flight that the server stored. The next run re-sends that create under its key, and the
    answer to its first new create is lost. Untrusted until an echo, that create was settled
    from the listing, where the killed create's job, not yet replayed, was a second candidate:
    the item ended ambiguous (1 honour-key soak in 4)."""
    inputs = products(3)
    path = str(tmp_path / "s.sqlite")
    with run_emulator(profile="fast", latency=(0.01, 0.02), idempotency="honour") as server:
        state = jobwise.batch.state.BatchState(path, "g10", server.base_url)
        rows = [state.add(i, normalize_inputs(p), "pending", None) for i, p in enumerate(inputs)]
        state.note_keys_honoured()
        killed = rows[2]
        state.sending(killed, time.time())
        state.close()
        body = {"inputs": [{"id": "Product", "value": [inputs[2]["Product"]]}]}
        stored = httpx.post(
            f"{server.base_url}/v1/applications/g10/jobs",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": killed.key},
        )
        assert stored.status_code == 202
        items = asyncio.run(_run_resumed(server.base_url, inputs, path, sync))
        created = stats(server.base_url)["jobs_created"]
    got = {item.index: item for item in items}
    assert sorted(got) == [0, 1, 2]
    for index, item in got.items():
        assert item.status == "completed", item
        assert item.suggestion is not None, item
        assert item.suggestion.endswith(inputs[index]["Product"]), item
    assert got[2].job_id == stored.json()["id"]
    assert created == 3


def test_a_create_refused_for_its_key_is_sent_again_not_settled(tmp_path: Path) -> None:
    """A 401 proves nothing was stored. The item was left "sending", so the run with the right
    key settled it from the listing and adopted an earlier batch's job: another input's
    result."""
    path = str(tmp_path / "s.sqlite")
    with run_emulator(profile="fast", api_key="right", latency=(0.01, 0.02)) as server:
        earlier = list(WriterJobs("right", server.base_url).run_batch("g11", [{"P": "teapot"}]))
        with pytest.raises(jobwise.AuthenticationError):
            list(WriterJobs("wrong", server.base_url).run_batch("g11", [{"P": "bike"}], state=path))
        items = list(
            WriterJobs("right", server.base_url).run_batch("g11", [{"P": "bike"}], state=path)
        )
        created = stats(server.base_url)["jobs_created"]
    assert earlier[0].status == items[0].status == "completed"
    assert items[0].job_id != earlier[0].job_id
    assert items[0].suggestion is not None and "bike" in items[0].suggestion
    assert created == 2


def test_no_such_application_stops_the_batch_at_its_first_create(tmp_path: Path) -> None:
    """A 404 on create names the application or the base URL, not one input: every input
    ended "failed" for it (100 creates, 100 404s) and the batch exited 1, as if jobs had."""
    names = tmp_path / "names.txt"
    names.write_text("".join(f"item {n}\n" for n in range(20)))
    out, state = tmp_path / "out.jsonl", tmp_path / "s.sqlite"
    with run_emulator(profile="fast", latency=(0.01, 0.02)) as server:
        wrong = server.base_url + "/elsewhere"
        with pytest.raises(jobwise.NotFoundError):
            list(WriterJobs(TOKEN, wrong).run_batch("g22", products(20), state=state))
        env = {"WRITER_API_KEY": TOKEN, "WRITER_BASE_URL": wrong}
        done = cli("batch", "g22", str(names), "--input-name", "P", "--out", str(out), env=env)
        by_route = stats(server.base_url)["requests"]
    with contextlib.closing(sqlite3.connect(state)) as db:
        statuses = {status for (status,) in db.execute("SELECT status FROM items")}
    assert statuses == {"pending"}
    assert done.returncode == 4, done.stderr
    assert "answered 404" in done.stderr
    assert by_route == {"POST (unrouted)": {"404": 2}}  # one create each, not 20


def test_a_garbled_job_answer_fails_that_item_only() -> None:
    inputs = [{"Product": "garbage in"}, {"Product": "fine"}]
    with run_emulator(profile="fast", latency=(0.01, 0.03)) as server:
        items = {i.index: i for i in WriterJobs(TOKEN, server.base_url).run_batch("g4", inputs)}
    assert items[1].status == "completed"
    assert items[0].status in ("completed", "failed")
    if items[0].status == "failed":
        assert "could not be read" in (items[0].error or "")


def test_an_unreachable_server_stops_the_run_with_one_line(tmp_path: Path) -> None:
    with run_emulator(profile="fast") as server:
        gone = server.base_url
    jobs = WriterJobs(TOKEN, gone, max_retries=0)
    started = time.monotonic()
    with pytest.raises(jobwise.ServerUnavailableError, match="no usable answer"):
        list(jobs.run_batch("g5", products(3), state=str(tmp_path / "s"), stall_timeout=2))
    assert time.monotonic() - started < 30


async def test_a_create_that_never_connected_is_not_settled_after_a_stall(tmp_path: Path) -> None:
    """A silent server stops the run while a create rides out its connection retries. It made
    nothing: left "sending", the next run settled it in a window that held another batch's job
    and adopted it (another input's result)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    url, path = f"http://127.0.0.1:{port}", str(tmp_path / "s.sqlite")
    async with AsyncWriterJobs(TOKEN, url, max_retries=50) as jobs:
        with pytest.raises(jobwise.ServerUnavailableError):
            async for _ in jobs.run_batch("g12", [{"P": "bike"}], state=path, stall_timeout=1):
                pass
    saved = jobwise.batch.state.BatchState(path, "g12", url)
    assert [row.status for row in saved.unsettled()] == []
    saved.close()
    with run_emulator(profile="fast", latency=(0.01, 0.02), port=port) as server:
        foreign = list(WriterJobs(TOKEN, url).run_batch("g12", [{"P": "teapot"}]))
        items = list(WriterJobs(TOKEN, url).run_batch("g12", [{"P": "bike"}], state=path))
        created = stats(server.base_url)["jobs_created"]
    assert items[0].status == "completed" and items[0].job_id != foreign[0].job_id
    assert items[0].suggestion is not None and "bike" in items[0].suggestion
    assert created == 2


def test_a_state_file_deleted_mid_run_stops_it(tmp_path: Path) -> None:
    state = tmp_path / "s.sqlite"

    def remove_soon() -> None:
        time.sleep(0.5)
        state.unlink()

    with run_emulator(profile="fast", latency=(3, 4)) as server:
        run = WriterJobs(TOKEN, server.base_url).run_batch("g6", products(5), state=str(state))
        remover = threading.Thread(target=remove_soon)
        remover.start()
        with pytest.raises(jobwise.StateFileError, match="deleted or replaced"):
            list(run)
        remover.join()


def test_a_symlink_to_a_state_file_in_use_is_refused(tmp_path: Path) -> None:
    state, link = tmp_path / "s.sqlite", tmp_path / "link.sqlite"
    first = jobwise.batch.state.BatchState(str(state), "app", "http://127.0.0.1:1")
    link.symlink_to(state)
    try:
        with pytest.raises(jobwise.StateFileError, match="in use"):
            jobwise.batch.state.BatchState(str(link), "app", "http://127.0.0.1:1")
    finally:
        first.close()


def test_summary_counts_add_up(tmp_path: Path) -> None:
    with run_emulator(profile="fast", latency=(0.01, 0.02)) as server:
        run = WriterJobs(TOKEN, server.base_url).run_batch("g7", [*products(4), "not a mapping"])
        summary = run.wait()
    assert summary["counts"] == {"completed": 4, "invalid": 1}
    assert summary["total"] == 5 and summary["needs_decision"] == 0


@in_virtual_time
async def test_the_first_result_comes_back_while_creates_are_still_being_sent() -> None:
    # Creates go one at a time on a server that ignores keys; the sweeps must not wait for them.
    async with emulated(latency=(0.01, 0.02), hold_create=0.01) as server, server.client() as jobs:
        items = aiter(jobs.run_batch("g9", products(300)))
        first = await anext(items)
        created_then = (await server.stats())["jobs_created"]
        rest = [item async for item in items]
    assert first.status == "completed"
    assert created_then < 300, "no result came back until every input was sent"
    assert len(rest) == 299


@in_virtual_time
async def test_creates_queued_for_their_turn_hold_no_place_among_requests_in_flight() -> None:
    # Queued for their turn while holding a place among the requests in flight, creates (and
    # the re-sends of lost ones) left none to the retrieves of the few jobs due: a 5,000-job
    # soak ran for over ten minutes, 3,000 jobs submitted and none collected.
    async with emulated(latency=(0.01, 0.02), hold_create=0.1) as server, server.client() as jobs:
        run = jobs.run_batch("g21", products(40), concurrency=8)
        held: list[int] = []
        async for _ in run:
            held.append(run._engine.limit.active)
    assert len(held) == 40
    assert max(held[:20]) <= 2, held  # the create under way, and a retrieve at most


async def test_an_empty_batch_ends_at_once() -> None:
    naps: list[float] = []

    async def sleep(seconds: float) -> None:
        naps.append(seconds)
        await asyncio.sleep(3600)  # only the engine's own wake-up can end this nap

    with run_emulator(profile="fast") as server:
        async with AsyncWriterJobs(TOKEN, server.base_url, sleep=sleep) as jobs:
            run = jobs.run_batch("g10", [])
            items = await asyncio.wait_for(_collect(run), timeout=30)
    assert items == [] and run.summary()["total"] == 0


async def _collect(run: Any) -> list[Any]:
    return [item async for item in run]


def test_a_source_that_yields_one_dict_changed_between_yields_sends_each_input() -> None:
    # Read in chunks and copied later, inputs 1, 3 and 4 of 6 were never sent and others were
    # sent twice, with no error.
    def reused() -> Iterator[dict[str, str]]:
        one: dict[str, str] = {}
        for n in range(6):
            one["Product"] = f"product {n}"
            yield one

    with run_emulator(profile="fast", latency=(0.01, 0.02)) as server:
        items = list(WriterJobs(TOKEN, server.base_url).run_batch("g17", reused()))
    assert sorted(item.index for item in items) == list(range(6))
    assert all(item.inputs["Product"] == [f"product {item.index}"] for item in items)
    assert all(f"product {item.index}" in (item.suggestion or "") for item in items)


async def test_a_summary_before_the_run_is_empty_for_sync_and_async_alike() -> None:
    sync_run = WriterJobs(TOKEN, "http://127.0.0.1:9").run_batch("g19", products(2))
    async with AsyncWriterJobs(TOKEN, "http://127.0.0.1:9") as jobs:
        async_run = jobs.run_batch("g19", products(2))
        before = async_run.summary()
    assert sync_run.summary().keys() == before.keys()
    assert sync_run.summary()["total"] == before["total"] == 0
    assert sync_run.summary()["counts"] == before["counts"] == {}


def test_a_source_that_fails_lets_the_creates_in_flight_land(tmp_path: Path) -> None:
    # Cancelled with the rest, a create whose job was stored stayed "sending" in the state
    # file, with no job id: the next run had to settle it from the listing.
    def breaks() -> Iterator[dict[str, str]]:
        yield from products(5)
        raise ValueError("reader broke")

    state = tmp_path / "s.sqlite"
    with run_emulator(profile="fast", latency=(0.01, 0.02), hold_create=0.3) as server:
        with pytest.raises(ValueError, match="reader broke"):
            list(WriterJobs(TOKEN, server.base_url).run_batch("g20", breaks(), state=state))
        created = stats(server.base_url)["jobs_created"]
    with contextlib.closing(sqlite3.connect(state)) as db:
        rows = list(db.execute("SELECT status, job_id FROM items"))
    assert created >= 1 and [s for s, _ in rows].count("sending") == 0, rows
    assert sum(1 for _, job_id in rows if job_id) == created


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_an_on_progress_that_fails_lets_the_creates_in_flight_land(
    tmp_path: Path, kind: str
) -> None:
    # Raised in the task that collects results while a create was held in flight, the
    # callback's error cancelled that create after its job was stored: "sending", no job id.
    def on_progress(progress: jobwise.Progress) -> None:
        if progress.completed:
            raise ValueError("progress broke")

    state = tmp_path / "s.sqlite"
    with run_emulator(profile="fast", latency=(0.01, 0.02), hold_create=0.3) as server:
        with pytest.raises(ValueError, match="progress broke"):
            if kind == "sync":
                jobs = WriterJobs(TOKEN, server.base_url)
                list(jobs.run_batch("g21", products(8), state=state, on_progress=on_progress))
            else:

                async def run() -> None:
                    async with AsyncWriterJobs(TOKEN, server.base_url) as jobs:
                        batch = jobs.run_batch(
                            "g21", products(8), state=state, on_progress=on_progress
                        )
                        async for _ in batch:
                            pass

                asyncio.run(run())
        created = stats(server.base_url)["jobs_created"]
        with contextlib.closing(sqlite3.connect(state)) as db:
            rows = list(db.execute("SELECT status, job_id FROM items"))
        assert created >= 2 and [s for s, _ in rows].count("sending") == 0, rows
        assert sum(1 for _, job_id in rows if job_id) == created
        # Resumed without the callback: every item, none ambiguous.
        items = list(WriterJobs(TOKEN, server.base_url).run_batch("g21", products(8), state=state))
        assert sorted(item.status for item in items) == ["completed"] * 8
        assert stats(server.base_url)["jobs_created"] == 8


def test_a_state_file_may_be_a_path(tmp_path: Path) -> None:
    with run_emulator(profile="fast", latency=(0.01, 0.02)) as server:
        run = WriterJobs(TOKEN, server.base_url).run_batch(
            "g18", products(2), state=tmp_path / "s.sqlite"
        )
        assert run.wait()["counts"] == {"completed": 2}
    assert (tmp_path / "s.sqlite").exists()


def test_inputs_of_the_wrong_shape_are_refused_before_any_request() -> None:
    with run_emulator(profile="fast") as server:
        jobs = WriterJobs(TOKEN, server.base_url)
        with pytest.raises(jobwise.InvalidArgumentError, match=r"one mapping .*\[inputs\]"):
            jobs.run_batch("g11", {"Product": "one"})
        with pytest.raises(jobwise.InvalidArgumentError, match="the first is a str"):
            list(jobs.run_batch("g11", ["one", "two"]))
        with pytest.raises(jobwise.InvalidArgumentError, match=r"'Product'.*has no value"):
            jobs.create("g11", {"Product": []})
        items = list(jobs.run_batch("g11", [{"Product": []}, {"Product": "fine"}]))
        sent = stats(server.base_url)["jobs_created"]
    assert [item.status for item in sorted(items, key=lambda i: i.index)] == [
        "invalid",
        "completed",
    ]
    assert "has no value" in (items[0].error or items[1].error or "")
    assert sent == 1


class _DropsFirstCreate(httpx.AsyncBaseTransport):
    """The first create times out before it leaves (nothing stored); the client cannot know.
    With ``hang``, the next create never answers."""

    def __init__(self, inner: httpx.AsyncBaseTransport, hang: bool = False) -> None:
        self.inner = inner
        self.dropped, self.hang = False, hang

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and not self.dropped:
            self.dropped = True
            raise httpx.ReadTimeout("the answer was lost", request=request)
        if request.method == "POST" and self.hang:
            await asyncio.sleep(60)
        return await self.inner.handle_async_request(request)


@in_virtual_time
async def test_a_first_create_lost_is_settled_in_a_window_the_date_header_bounds() -> None:
    """The first create of a run is lost before any answer has taught the server's clock.
    Settled in a window of +-120 s, it held an earlier batch's job, taken for the lost one:
    "bike" came back with "teapot"'s result. The listing's Date header bounds the clock."""
    async with emulated(latency=(0.01, 0.02)) as server:
        async with server.client() as jobs:
            earlier = [item async for item in jobs.run_batch("g13", [{"P": "teapot"}])]
        await asyncio.sleep(3.0)  # past the Date's second and its margin
        transport = _DropsFirstCreate(server.transport)
        async with server.client(transport=transport) as jobs:
            items = [item async for item in jobs.run_batch("g13", [{"P": "bike"}])]
            offset = jobs.server_clock_offset
        created = (await server.stats())["jobs_created"]
    assert transport.dropped
    assert earlier[0].status == items[0].status == "completed"
    assert items[0].job_id != earlier[0].job_id
    assert items[0].suggestion is not None and "bike" in items[0].suggestion
    assert created == 2
    assert offset is not None and offset[0] <= 0.0 <= offset[1] and offset[1] - offset[0] < 4.0


@in_virtual_time
async def test_a_run_stopped_before_any_create_answered_keeps_the_dates_bounds(
    tmp_path: Path,
) -> None:
    """A create sent again after the listing has dated the server's clock, and never answered:
    the state file keeps the bounds the Date headers taught, for the next run to settle it in."""
    path = str(tmp_path / "s.sqlite")
    async with emulated(latency=(0.01, 0.02)) as server:
        transport = _DropsFirstCreate(server.transport, hang=True)
        async with server.client(transport=transport) as jobs:
            run = jobs.run_batch("g14", [{"P": "bike"}], state=path, deadline=4.0)
            items = [item async for item in run]
            offset = jobs.server_clock_offset
    assert [item.status for item in items] == ["timed_out"]
    saved = jobwise.batch.state.BatchState(path, "g14", URL)
    try:
        assert [row.status for row in saved.unsettled()] == ["timed_out"]  # settled on resume
        assert offset is not None and saved.clock_bounds() == (*offset, 1.0)
    finally:
        saved.close()


def test_killed_batch_resumes_with_every_input_exactly_once(tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("".join(f"item number {n}\n" for n in range(300)))
    out, state = tmp_path / "out.jsonl", tmp_path / "state.sqlite"
    with run_emulator(profile="fast", latency=(0.3, 1.0), seed=17, idempotency="honour") as server:
        env = {"WRITER_API_KEY": TOKEN, "WRITER_BASE_URL": server.base_url}
        batch = ("batch", "app-k", str(names), "--input-name", "Name", "--out", str(out))
        batch += ("--state", str(state))
        command = [sys.executable, "-m", "jobwise.cli", *batch, "--concurrency", "4", "--quiet"]
        proc = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while stats(server.base_url)["jobs_created"] < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert 0 < stats(server.base_url)["jobs_created"] < 300
        done = cli(*batch, "--json", env=env)
        settled = stats(server.base_url)["jobs_created"]
        # The emulator does not echo Idempotency-Key, so a create in flight at the kill is
        # settled from the listing: adopted, re-sent, or (several candidates) ambiguous.
        summary = json.loads(done.stdout)["summary"]
        ambiguous = summary["counts"].get("ambiguous", 0)
        assert done.returncode == (7 if ambiguous else 0), done.stderr
        assert ambiguous <= 4  # at most the creates in flight at the kill
        assert summary["counts"].get("completed", 0) + ambiguous == 300
        assert settled <= 300  # nothing sent twice
        results = read_results(out)
        assert all(r["candidates"] for r in results if r["status"] == "ambiguous")
        again = cli(*batch, "--json", "--resend-ambiguous", env=env)
        created = stats(server.base_url)["jobs_created"]
    assert again.returncode == 0, again.stderr
    results = read_results(out)
    assert [r["index"] for r in results] == list(range(300))
    assert all(r["status"] == "completed" for r in results)
    assert all(f"item number {r['index']}" in r["suggestion"] for r in results)
    final = json.loads(again.stdout)["summary"]
    assert final["counts"] == {"completed": 300}
    # Each re-sent item made a new job; the summary names the jobs they may duplicate (this
    # emulator replays by key, so none was made twice here).
    assert created - 300 <= len(final["possible_duplicates"]) <= ambiguous


class _Throttles(_CreatesInFlight):
    """Counts the creates in flight, the most of them before the first 429, and 429s."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        super().__init__(inner)
        self.throttled = 0
        self.most_before: int | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if response.status_code == 429:
            self.throttled += 1
            if self.most_before is None:
                self.most_before = self.most
        return response


@in_virtual_time
async def test_creates_widen_gently_while_no_rate_is_known() -> None:
    # A limit that says nothing but 429 (no headers, no Retry-After), 0.05 s away. Widened one
    # slot per answer with nothing to pace them, the creates went 8 side by side at once and
    # met the spent allowance 8 in flight, 8 429s at once, each pause's end sending every
    # slot's create into the storm again. One slot more per 50 creates answered: 4 by then.
    async with emulated(
        latency=(0.01, 0.02), rtt=0.05, writer_rpm=200, retry_after=False
    ) as server:
        counter = _Throttles(server.transport)
        async with server.client(transport=counter) as jobs:
            run = jobs.run_batch("g16", products(300), concurrency=8)
            items = [item async for item in run]
        created = (await server.stats())["jobs_created"]
    assert [item.status for item in items] == ["completed"] * 300 and created == 300
    assert counter.throttled and counter.most_before == 4, counter.most_before
