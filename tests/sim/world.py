"""A world drawn from one seed: what the server, the network, the clocks and the disk do."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

FAULTS = (
    "connect_refused",  # never reached the server
    "reset_before",  # cut after sending, before the server stored anything
    "reset_after",  # cut after the server stored and answered
    "error_before",  # 500/502/503/504 from a proxy, nothing stored
    "error_after",  # a 500 from a server that had stored the job
    "throttle",  # 429 with Retry-After
    "throttle_bare",  # 429 without it (Writer documents none)
    "html_after",  # a 200 of HTML from a proxy, the job stored
    "slow_before",  # no answer within the timeout, nothing stored
    "slow_after",  # no answer within the timeout, the job stored
    "held",  # the server sits on the request a while before handling it
)
STORED_AND_LOST = ("reset_after", "error_after", "html_after", "slow_after")
"""Faults after which a create's job exists but its answer is lost."""
BURSTS = 0.1
"""The share of worlds that are bursts: a calm network over which the create slots widen (50
creates answered in a row, round trips of 20 ms or more), then a create lost beside others in
flight, so that their windows overlap and only the candidates each one has alone tell them apart
(the rule a planted adopt-one-of-two breaks: creates one at a time never share a window)."""


@dataclass(frozen=True)
class World:
    """Everything a schedule does, drawn from its seed (see :meth:`draw`)."""

    seed: int
    inputs: int
    concurrency: int
    honour_keys: bool
    latency: tuple[float, float]
    fail_rate: float
    retry_failed: int
    fault_rate: float
    faults: tuple[str, ...]
    rtt: float
    server_offset: float
    """Seconds the server's wall clock is ahead of the client's at the start."""
    server_skew: float
    """How much faster the server's clock runs (0.0001: 0.1 ms a second)."""
    wall_steps: tuple[tuple[float, float], ...]
    """(virtual time, seconds) steps of the client's wall clock."""
    other_creates: tuple[float, ...]
    """Virtual times at which another client creates a job in the same application."""
    restart_at: float | None
    """When the server restarts with the same seed: every job gone, its ids handed out again."""
    disk_full_at: int | None
    """The state file's write (counted over all runs) that fails as a full disk."""
    kills: tuple[float, ...]
    """Virtual seconds into each run at which it is killed; the run after the last ends."""
    adopt: bool
    timeout: float
    rpm: float | None
    coarse_clock: bool
    """The server's timestamps carry whole seconds."""

    @classmethod
    def draw(cls, seed: int) -> World:
        """The world of ``seed``: small batches, often hostile, every feature now and then."""
        rng = random.Random(f"world-{seed}")
        burst = random.Random(f"burst-{seed}").random() < BURSTS  # apart: the rest stay alike
        inputs = rng.choice((1, 2, 3, 5, 8, 12, 20, 30))
        low = rng.choice((0.0, 0.5, 2.0, 10.0))
        latency = (low, low + rng.choice((0.5, 5.0, 30.0, 120.0)))
        fault_rate = rng.choice((0.0, 0.05, 0.15, 0.3))
        faults = tuple(f for f in FAULTS if rng.random() < 0.5) or (rng.choice(FAULTS),)
        horizon = 60.0 + latency[1] * 2
        steps = tuple(
            (rng.uniform(0, horizon), rng.choice((-20.0, -2.0, 2.0, 20.0, 300.0)))
            for _ in range(rng.choice((0, 0, 0, 1, 3)))
        )
        others = tuple(sorted(rng.uniform(0, horizon) for _ in range(rng.choice((0, 0, 0, 2, 10)))))
        kills = tuple(rng.uniform(0.0, horizon / 2) for _ in range(rng.choice((0, 0, 1, 2, 4))))
        world = cls(
            seed=seed,
            inputs=inputs,
            concurrency=rng.choice((1, 2, 4, 8, 16)),
            honour_keys=rng.random() < 0.2,
            latency=latency,
            fail_rate=rng.choice((0.0, 0.0, 0.2, 0.5)),
            retry_failed=rng.choice((0, 1, 2)),
            fault_rate=fault_rate,
            faults=faults,
            rtt=rng.choice((0.0, 0.002, 0.05, 0.5)),
            server_offset=rng.choice((0.0, 0.4, -3.0, 45.0, -200.0)),
            server_skew=rng.choice((0.0, 0.0, 1e-4, -1e-3)),
            wall_steps=steps,
            other_creates=others,
            restart_at=rng.uniform(0, horizon) if rng.random() < 0.05 else None,
            disk_full_at=rng.randrange(5, 60) if rng.random() < 0.05 else None,
            kills=kills,
            # Adoption assumes no other client creates jobs in the application (README): a
            # lone job of another client inside a lost create's window cannot be told from its
            # own (Writer's jobs do not carry their inputs). The engine stops adopting once it
            # sees such jobs elsewhere, but a first one can still be adopted: such worlds run
            # with adoption off, where the promise must hold whole.
            adopt=rng.random() < 0.85 and not others,
            timeout=rng.choice((5.0, 20.0)),
            rpm=rng.choice((None, None, 120.0, 400.0)),
            coarse_clock=rng.random() < 0.3,
        )
        if not burst:
            return world
        return dataclasses.replace(
            world,
            inputs=120,
            concurrency=max(world.concurrency, 4),
            honour_keys=False,
            latency=(0.5, 2.0),
            fault_rate=0.02,
            faults=STORED_AND_LOST,
            rtt=0.05,
            other_creates=(),
            restart_at=None,
            adopt=True,
        )

    def describe(self) -> str:
        """One line for a failing schedule's report."""
        parts = [
            f"{self.inputs} inputs",
            f"concurrency {self.concurrency}",
            "keys honoured" if self.honour_keys else "keys ignored",
            f"faults {self.fault_rate:.0%} of {','.join(self.faults)}",
            f"{len(self.kills)} kills",
        ]
        if self.wall_steps:
            parts.append(f"wall steps {[s for _, s in self.wall_steps]}")
        if self.other_creates:
            parts.append(f"{len(self.other_creates)} creates by another client")
        if self.restart_at is not None:
            parts.append("server restart")
        if self.disk_full_at is not None:
            parts.append(f"disk full at write {self.disk_full_at}")
        if self.server_offset or self.server_skew:
            parts.append(f"server clock {self.server_offset:+g} s, skew {self.server_skew:g}")
        return "; ".join(parts)
