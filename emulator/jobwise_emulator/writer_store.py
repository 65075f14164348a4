"""Writer async-application jobs: in memory, statuses advanced by a heap of finish times;
at most ``capacity`` jobs run per application, the others wait in progress."""

from __future__ import annotations

import heapq
import random
import uuid
import zlib
from bisect import bisect_left, insort
from collections import deque
from typing import Any

from jobwise_emulator.clock import Clock
from jobwise_emulator.config import EmulatorConfig

IN_PROGRESS, COMPLETED, FAILED = "in_progress", "completed", "failed"
STATUSES = (IN_PROGRESS, COMPLETED, FAILED)


class WriterJob:
    """One job; ``index`` is its position in its application's creation order."""

    __slots__ = (
        "app_id",
        "completed_at",
        "created_at",
        "duration",
        "error",
        "finish_at",
        "garbage",
        "generation",
        "id",
        "index",
        "inputs",
        "outcome",
        "status",
        "stuck",
        "suggestion",
        "updated_at",
    )

    def __init__(self, job_id: str, app_id: str, index: int, inputs: list[dict[str, Any]]) -> None:
        self.id = job_id
        self.app_id = app_id
        self.index = index
        self.inputs = inputs
        self.status = IN_PROGRESS
        self.outcome = COMPLETED
        self.generation = 0
        self.created_at = self.updated_at = 0.0
        self.finish_at = self.duration = 0.0
        self.stuck = False
        self.garbage = ""
        self.completed_at: float | None = None
        self.suggestion: str | None = None
        self.error: str | None = None


class _App:
    __slots__ = ("by_status", "jobs", "queue", "running")

    def __init__(self) -> None:
        self.jobs: list[WriterJob] = []
        self.by_status: dict[str, list[int]] = {status: [] for status in STATUSES}
        self.running = 0
        self.queue: deque[WriterJob] = deque()


def _asks_for(word: str, inputs: list[dict[str, Any]]) -> bool:
    return any(word in value.lower() for item in inputs for value in item["value"])


def garbage_kind(inputs: list[dict[str, Any]]) -> str:
    """ "page" when an input holds "garbage-page" (list pages holding the job answer HTML),
    "get" when one holds "garbage" (the job's own GET answers HTML), else ""."""
    if _asks_for("garbage-page", inputs):
        return "page"
    return "get" if _asks_for("garbage", inputs) else ""


def _suggestion(inputs: list[dict[str, Any]]) -> str:
    lines = [f"{item['id']}: {value}" for item in inputs for value in item["value"]]
    return "# Generated\n" + "\n".join(lines)


class WriterStore:
    """All Writer jobs of the emulator."""

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._rng = random.Random(f"writer-{config.seed}")
        self._apps: dict[str, _App] = {}
        self._jobs: dict[str, WriterJob] = {}
        self._due: list[tuple[float, int, int, WriterJob]] = []
        self._tick = 0
        self._latency = config.job_latency
        self._synthetic: dict[str, tuple[int, float]] = {}

    def seed(self, app_id: str, count: int) -> None:
        """Give ``app_id`` ``count`` completed jobs made up per page (for listing benchmarks)."""
        self._synthetic[app_id] = (count, self._clock.now())

    def is_seeded(self, app_id: str) -> bool:
        """Whether ``app_id`` lists made-up jobs (see :meth:`seed`)."""
        return app_id in self._synthetic

    def synthetic_page(
        self, app_id: str, status: str | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        count, at = self._synthetic[app_id]
        if status not in (None, COMPLETED):
            return [], 0
        iso = self._clock.iso(at)
        indexes = range(count - 1 - offset, max(count - 1 - offset - limit, -1), -1)
        # UUIDs, as Writer's ids are (a client may keep them more compactly than other strings):
        # the application's tag, then the job's number.
        tag = zlib.crc32(app_id.encode())
        return [
            {
                "id": f"{tag:08x}-0000-4000-8000-{n:012x}",
                "status": COMPLETED,
                "application_id": app_id,
                "created_at": iso,
                "updated_at": iso,
                "completed_at": iso,
                "data": {"title": "Generated", "suggestion": f"# Generated\nitem {n}"},
                "error": None,
            }
            for n in indexes
        ], count

    def _schedule(self, job: WriterJob, now: float) -> None:
        """Draw the job's outcome and duration, then run it, or queue it when at capacity."""
        job.duration = self._latency.draw(self._rng)
        job.generation += 1
        job.stuck = _asks_for("stuck", job.inputs) or (
            self._config.stuck_rate > 0 and self._rng.random() < self._config.stuck_rate
        )
        if _asks_for("fail", job.inputs):
            job.outcome = FAILED
            job.error = "An input asked to fail: " + ", ".join(
                value for item in job.inputs for value in item["value"] if "fail" in value.lower()
            )
        elif self._rng.random() < self._config.fail_rate:
            job.outcome, job.error = FAILED, "Simulated failure (--fail-rate)"
        else:
            job.outcome, job.error = COMPLETED, None
        app = self._apps[job.app_id]
        capacity = self._config.capacity
        if capacity is not None and app.running >= capacity:
            app.queue.append(job)
            return
        self._start(app, job, now)

    def _start(self, app: _App, job: WriterJob, at: float) -> None:
        """Run the job from ``at``; a stuck one holds its slot and never finishes."""
        app.running += 1
        job.finish_at = at + job.duration
        if job.stuck:
            return
        self._tick += 1
        heapq.heappush(self._due, (job.finish_at, self._tick, job.generation, job))

    def _move(self, job: WriterJob, status: str) -> None:
        app = self._apps[job.app_id]
        old = app.by_status[job.status]
        del old[bisect_left(old, job.index)]
        insort(app.by_status[status], job.index)
        job.status = status

    def advance(self) -> None:
        """Finish every job whose time has come."""
        now = self._clock.now()
        due = self._due
        while due and due[0][0] <= now:
            finish_at, _, generation, job = heapq.heappop(due)
            if generation != job.generation or job.status != IN_PROGRESS:
                continue
            app = self._apps[job.app_id]
            app.running -= 1
            if app.queue:
                self._start(app, app.queue.popleft(), finish_at)
            self._move(job, job.outcome)
            job.updated_at = finish_at
            if job.outcome == COMPLETED:
                job.completed_at = finish_at
                job.suggestion = _suggestion(job.inputs)

    def create(self, app_id: str, inputs: list[dict[str, Any]]) -> WriterJob:
        """Store a new job, in progress."""
        now = self._clock.now()
        app = self._apps.setdefault(app_id, _App())
        job_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        job = WriterJob(job_id, app_id, len(app.jobs), inputs)
        job.created_at = job.updated_at = now
        job.garbage = garbage_kind(inputs)
        app.jobs.append(job)
        app.by_status[IN_PROGRESS].append(job.index)
        self._jobs[job_id] = job
        self._schedule(job, now)
        return job

    def get(self, job_id: str) -> WriterJob | None:
        """The job, or None."""
        self.advance()
        return self._jobs.get(job_id)

    def retry(self, job: WriterJob) -> None:
        """Put a failed job back in progress."""
        now = self._clock.now()
        self._move(job, IN_PROGRESS)
        job.updated_at = now
        job.completed_at = None
        job.suggestion = None
        job.error = None
        self._schedule(job, now)

    def page(
        self, app_id: str, status: str | None, offset: int, limit: int
    ) -> tuple[list[WriterJob], int]:
        """A page of an application's jobs, newest first, and how many match."""
        self.advance()
        app = self._apps.get(app_id)
        if app is None:
            return [], 0
        if status is None:
            total = len(app.jobs)
            end, start = total - offset, max(total - offset - limit, 0)
            chosen = list(range(start, end)) if end > 0 else []
        else:
            indexes = app.by_status[status]
            total = len(indexes)
            end, start = total - offset, max(total - offset - limit, 0)
            chosen = indexes[start:end] if end > 0 else []
        return [app.jobs[i] for i in reversed(chosen)], total

    def as_created(self, job: WriterJob) -> dict[str, Any]:
        """The create/retry answer."""
        return {"id": job.id, "status": job.status, "created_at": self._clock.iso(job.created_at)}

    def as_dict(self, job: WriterJob) -> dict[str, Any]:
        """The Job schema."""
        iso = self._clock.iso
        return {
            "id": job.id,
            "status": job.status,
            "application_id": job.app_id,
            "created_at": iso(job.created_at),
            "updated_at": iso(job.updated_at),
            "completed_at": iso(job.completed_at) if job.completed_at is not None else None,
            "data": {"title": "Generated", "suggestion": job.suggestion}
            if job.suggestion is not None
            else None,
            "error": job.error if job.status == FAILED else None,
        }

    @property
    def created(self) -> int:
        """How many jobs were ever created."""
        return len(self._jobs)
