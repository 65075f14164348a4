"""osapi jobs: in memory, each status derived from the job's timing on every read."""

from __future__ import annotations

import random
import uuid
from typing import Any

from jobwise_emulator.clock import Clock
from jobwise_emulator.config import EmulatorConfig

FILTER_STATUSES = ("submitted", "processing", "completed", "failed", "partial_failure")
FINAL_STATUSES = ("completed", "failed", "partial_failure", "skipped")


class OsapiJob:
    """One job: its operation, hosts, and the instants of its phases."""

    __slots__ = (
        "created",
        "failing_hosts",
        "final_at",
        "first_status",
        "hosts",
        "id",
        "operation",
        "processing_at",
        "retried_at",
        "revision",
        "skip",
        "started",
    )

    def __init__(self, job_id: str, operation: dict[str, Any], hosts: list[str]) -> None:
        self.id = job_id
        self.operation = operation
        self.hosts = hosts
        self.failing_hosts: set[str] = set()
        self.skip = False
        self.first_status = "submitted"
        self.revision = 0
        self.created = self.started = self.processing_at = self.final_at = 0.0
        self.retried_at: float | None = None


class OsapiStore:
    """All osapi jobs of the emulator, newest last."""

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._rng = random.Random(f"osapi-{config.seed}")
        self._jobs: dict[str, OsapiJob] = {}
        self.created = 0

    def _schedule(self, job: OsapiJob, now: float) -> None:
        low, high = self._config.latency
        took = self._rng.uniform(low, high)
        job.started = now
        job.processing_at = now + took * 0.2
        job.final_at = now + took

    def create(
        self,
        operation: dict[str, Any],
        hosts: list[str],
        failing_hosts: list[str],
        skip: bool = False,
    ) -> OsapiJob:
        """Store a new job, submitted; ``failing_hosts`` fail, the others complete."""
        now = self._clock.now()
        job_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        job = OsapiJob(job_id, operation, hosts)
        job.failing_hosts = set(failing_hosts)
        if not failing_hosts and self._rng.random() < self._config.fail_rate:
            job.failing_hosts = set(hosts)
        job.skip = skip
        job.created = now
        self._schedule(job, now)
        self._jobs[job_id] = job
        self.created += 1
        return job

    def get(self, job_id: str) -> OsapiJob | None:
        """The job, or None."""
        return self._jobs.get(job_id)

    def delete(self, job: OsapiJob) -> None:
        """Forget the job."""
        del self._jobs[job.id]

    def retry(self, job: OsapiJob, target_hostname: str | None) -> None:
        """Queue the job again (on one host when named); it fails again only where it must."""
        now = self._clock.now()
        if target_hostname:
            job.hosts = [target_hostname]
        job.failing_hosts = {host for host in job.failing_hosts if "fail" in host}
        job.skip = False
        job.first_status = "unprocessed"
        job.revision += 1
        job.retried_at = now
        self._schedule(job, now)

    def status(self, job: OsapiJob, now: float) -> str:
        """The job's status at ``now``."""
        if now < job.processing_at:
            return job.first_status
        if now < job.final_at:
            return "processing"
        if job.skip:
            return "skipped"
        failing = job.failing_hosts.intersection(job.hosts)
        if not failing:
            return "completed"
        return "failed" if len(failing) == len(job.hosts) else "partial_failure"

    def current_status(self, job: OsapiJob) -> str:
        """The job's status now."""
        return self.status(job, self._clock.now())

    def page(
        self, status: str | None, offset: int, limit: int
    ) -> tuple[list[OsapiJob], int, dict[str, int]]:
        """A page newest first, how many match, and counts by status of all jobs."""
        now = self._clock.now()
        counts = dict.fromkeys(FILTER_STATUSES, 0)
        matching: list[OsapiJob] = []
        for job in reversed(self._jobs.values()):
            current = self.status(job, now)
            counts[current] = counts.get(current, 0) + 1
            if status is None or current == status:
                matching.append(job)
        return matching[offset : offset + limit], len(matching), counts

    def as_retried(self, job: OsapiJob) -> dict[str, Any]:
        """The retry answer."""
        return {
            "job_id": job.id,
            "status": "unprocessed",
            "revision": job.revision,
            "timestamp": self._clock.iso(self._clock.now()),
        }

    def as_dict(self, job: OsapiJob) -> dict[str, Any]:
        """The job detail schema."""
        now = self._clock.now()
        iso = self._clock.iso
        status = self.status(job, now)
        final = status in FINAL_STATUSES
        responses: dict[str, Any] = {}
        states: dict[str, Any] = {}
        timeline: list[dict[str, Any]] = [
            {
                "timestamp": iso(job.created),
                "event": "submitted",
                "hostname": "api",
                "message": "job submitted",
                "error": None,
            },
        ]
        if job.retried_at is not None:
            timeline.append(
                {
                    "timestamp": iso(job.retried_at),
                    "event": "retried",
                    "hostname": "api",
                    "message": f"revision {job.revision}",
                    "error": None,
                }
            )
        for host in job.hosts:
            failed = host in job.failing_hosts
            if now >= job.processing_at:
                timeline.append(
                    {
                        "timestamp": iso(job.processing_at),
                        "event": "started",
                        "hostname": host,
                        "message": "agent started the job",
                        "error": None,
                    }
                )
            if final and not job.skip:
                error = f"{host}: simulated failure" if failed else None
                timeline.append(
                    {
                        "timestamp": iso(job.final_at),
                        "event": "failed" if failed else "completed",
                        "hostname": host,
                        "message": "agent finished",
                        "error": error,
                    }
                )
                responses[host] = {
                    "status": "failed" if failed else "completed",
                    "data": None if failed else {"hostname": host, "ok": True},
                    "changed": None if failed else False,
                    "error": error,
                    "hostname": host,
                }
                states[host] = {
                    "status": "failed" if failed else "completed",
                    "error": error,
                    "duration": f"{job.final_at - job.processing_at:.3f}s",
                }
            else:
                states[host] = {"status": status, "error": None, "duration": None}
        timeline.sort(key=lambda event: event["timestamp"])
        errors = [r["error"] for r in responses.values() if r["error"]]
        return {
            "id": job.id,
            "status": status,
            "created": iso(job.created),
            "updated_at": iso(min(now, job.final_at)),
            "operation": job.operation,
            "result": {h: r["data"] for h, r in responses.items()}
            if status == "completed"
            else None,
            "changed": (False if status == "completed" else None),
            "error": "; ".join(errors) if errors else None,
            "hostname": job.hosts[0] if len(job.hosts) == 1 else None,
            "responses": responses,
            "agent_states": states,
            "timeline": timeline,
        }
