"""One schedule: a world's batch run, killed and resumed as its seed says, then checked."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import jobwise.batch.engine
import looptime
from jobwise import AsyncWriterJobs
from jobwise.batch.items import BatchItem
from jobwise.batch.options import BatchOptions
from jobwise.errors import JobwiseError
from jobwise_emulator.app import create_app
from jobwise_emulator.clock import Clock
from jobwise_emulator.config import EmulatorConfig
from starlette.applications import Starlette

from tests.sim.disk import Disk, Killed
from tests.sim.invariants import Ledger, check
from tests.sim.network import FaultyNetwork, Server
from tests.sim.world import World

APP = "app-sim"
EPOCH = 1_750_000_000.0
_REAL_CONNECT = sqlite3.connect  # the disk's patch replaces it while a schedule runs
HANG = 50_000.0
"""Virtual seconds after which a run that should end is taken to hang."""
MAX_STOPS = 6
"""Runs stopped by an error (a silent server, a full disk) before the schedule gives up."""


@dataclass
class Outcome:
    """What one schedule did and broke."""

    seed: int
    violations: list[str] = field(default_factory=list)
    kills: int = 0
    faults: int = 0
    stops: list[str] = field(default_factory=list)


class SimClock(Clock):
    """The emulator's clock, on virtual time; whole seconds when the world's clock is coarse."""

    def __init__(self, monotonic: Any, wallclock: Any, coarse: bool) -> None:
        super().__init__(monotonic, wallclock)
        self.coarse = coarse

    def iso(self, instant: float) -> str:
        text = super().iso(instant)
        if self.coarse and "." in text:
            text = text.split(".")[0] + "Z"
        return text


def inputs_of(world: World) -> list[dict[str, str]]:
    """The world's inputs: each one distinct, so a result names the input it is for."""
    return [{"Product": f"item {world.seed}-{i}"} for i in range(world.inputs)]


@contextlib.contextmanager
def inline_threads() -> Iterator[None]:
    """Worker threads run inline: a thread's real time would let virtual time run on at
    random, and a seed would no longer replay."""

    async def to_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    with mock.patch.object(asyncio, "to_thread", to_thread):
        yield


def run(seed: int) -> Outcome:
    """Run the schedule of ``seed`` from scratch, in a virtual-time event loop of its own."""
    world = World.draw(seed)
    random.seed(seed)  # whatever draws from the global generator
    loop = looptime.new_event_loop(start=0.0, noop_cycles=1)
    disk = Disk(world.disk_full_at)
    try:
        with tempfile.TemporaryDirectory() as folder, inline_threads(), disk.mounted():
            path = os.path.join(folder, "state.db")
            return loop.run_until_complete(_simulate(world, path, disk))
    finally:
        loop.close()


async def _simulate(world: World, path: str, disk: Disk) -> Outcome:
    loop = asyncio.get_running_loop()
    outcome = Outcome(world.seed)
    ledger = Ledger()

    def server_monotonic() -> float:
        return loop.time() * (1 + world.server_skew)

    def server_wall() -> float:
        return EPOCH + world.server_offset + server_monotonic()

    config = EmulatorConfig(
        profile="fast",
        latency=world.latency,
        fail_rate=world.fail_rate,
        seed=world.seed,
        idempotency="honour" if world.honour_keys else "ignore",
        writer_rpm=world.rpm,
    )

    def boot() -> Starlette:
        app = create_app(config, SimClock(server_monotonic, server_wall, world.coarse_clock))
        ledger.watch(app.state.emulator.writer)
        return app

    server = Server(boot(), server_wall)
    tally: Counter[str] = Counter()
    world_tasks = [asyncio.ensure_future(_other_client(world, server))]
    if world.restart_at is not None:
        world_tasks.append(asyncio.ensure_future(_restart(world.restart_at, server, boot)))
    inputs = inputs_of(world)
    try:
        for number in itertools.count():
            kill_at = world.kills[number] if number < len(world.kills) else None
            ended = await _one_run(world, path, server, tally, inputs, kill_at, disk, number)
            if ended == "killed":
                outcome.kills += 1
                continue
            if isinstance(ended, str):
                outcome.violations.append(ended)
                break
            items, engine, stop = ended
            if stop is not None and stop.startswith("JobIdReusedError"):
                # The engine refused a server that hands out ids again: the batch stops there
                # for a person to look, and what it kept must still be right.
                outcome.stops.append(stop)
                outcome.violations += check(
                    world, inputs, _rows(path), items, engine.summary(), ledger, whole=False
                )
                break
            if stop is not None:
                outcome.stops.append(stop)
                if len(outcome.stops) > MAX_STOPS:
                    outcome.violations.append(
                        f"never finished: stopped {len(outcome.stops)} times, last: {stop}"
                    )
                    break
                continue
            outcome.violations += check(world, inputs, _rows(path), items, engine.summary(), ledger)
            break
    finally:
        for task in world_tasks:
            task.cancel()
        await asyncio.gather(*world_tasks, return_exceptions=True)
    outcome.faults = sum(tally.values())
    return outcome


async def _one_run(
    world: World,
    path: str,
    server: Server,
    tally: Counter[str],
    inputs: list[dict[str, str]],
    kill_at: float | None,
    disk: Disk,
    number: int,
) -> str | tuple[list[BatchItem], Any, str | None]:
    """One engine on the state file: "killed", a violation's text, or its items, the engine
    and the error that stopped it (None when it ended)."""
    loop = asyncio.get_running_loop()
    network = FaultyNetwork(world, server, random.Random(f"net-{world.seed}-{number}"), tally)
    client = AsyncWriterJobs(
        "sim-key",
        "http://127.0.0.1:9",
        transport=network,
        timeout=world.timeout,
        sleep=asyncio.sleep,
        clock=loop.time,
        wallclock=lambda: _client_wall(world, loop.time()),
    )
    client._connection.retries.rng = random.Random(f"retries-{world.seed}-{number}")
    options = BatchOptions(
        APP,
        inputs,
        concurrency=world.concurrency,
        state=path,
        retry_failed=world.retry_failed,
        adopt=world.adopt,
    )
    engine = jobwise.batch.engine.BatchEngine(client, options)
    items: list[BatchItem] = []
    task = asyncio.ensure_future(engine.run(items.append))
    try:
        done, _ = await asyncio.wait({task}, timeout=kill_at if kill_at is not None else HANG)
        if not done:
            disk.kill()
            if engine.state is not None and engine.state._lock_fd is not None:
                os.close(engine.state._lock_fd)
                engine.state._lock_fd = None
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return (
                "killed"
                if kill_at is not None
                else f"hung: run {number} did not end in {HANG:.0f} virtual s"
            )
        error = task.exception()
        with contextlib.suppress(Exception, Killed):
            engine.close()
        if error is None:
            return items, engine, None
        if isinstance(error, JobwiseError | sqlite3.OperationalError):
            return items, engine, f"{type(error).__name__}: {error}"
        return f"crashed: run {number}: {type(error).__name__}: {error}"
    finally:
        await client.aclose()


def _client_wall(world: World, now: float) -> float:
    return EPOCH + now + sum(step for at, step in world.wall_steps if at <= now)


async def _other_client(world: World, server: Server) -> None:
    """Another client of the application: its jobs shift the pages and sit in windows."""
    loop = asyncio.get_running_loop()
    for number, at in enumerate(world.other_creates):
        await asyncio.sleep(max(0.0, at - loop.time()))
        server.app.state.emulator.writer.create(
            APP, [{"id": "Other", "value": [f"other {number}"]}]
        )


async def _restart(at: float, server: Server, boot: Callable[[], Starlette]) -> None:
    """The server restarts with the same seed: its jobs are gone and their ids come again."""
    await asyncio.sleep(at)
    server.app = boot()


def _rows(path: str) -> list[dict[str, Any]]:
    with contextlib.closing(_REAL_CONNECT(path)) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM items ORDER BY idx")]
