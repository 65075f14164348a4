"""osapi jobs as osapi keeps them: an immutable job record plus timestamped status events,
each with the bucket's TTL; every status is computed from the events visible at the time of
the read (osapi-io/osapi internal/job/client/jobs.go, computeStatusFromEvents)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

from jobwise_emulator.clock import Clock, go_duration
from jobwise_emulator.config import EmulatorConfig

FILTER_STATUSES = ("submitted", "processing", "completed", "failed", "partial_failure")
FINAL_STATUSES = ("completed", "failed", "partial_failure", "skipped")
DEFAULT_AGENTS = ("agent-01",)
API_HOST = "_api"
# internal/job/types.go StatusPriority: a later event of lower priority never wins.
PRIORITY = {
    "submitted": 0,
    "acknowledged": 1,
    "started": 2,
    "failed": 3,
    "skipped": 3,
    "completed": 4,
    "retried": 4,
}
# internal/job/client/jobs.go CreateJob routes these as queries (they change nothing).
QUERY_SUFFIXES = (".get", ".query", ".read", ".status", ".do")


class NoOperationData(Exception):
    """The job record has no operation to run again."""


@dataclass(frozen=True)
class Event:
    """One status event (a key ``status.<job>.<event>.<host>.<nanos>`` in osapi's bucket)."""

    at: float
    event: str
    hostname: str
    message: str
    error: str = ""


@dataclass(frozen=True)
class AgentResponse:
    """One agent's answer (a key ``responses.<job>.<host>.<nanos>``)."""

    at: float
    status: str
    data: Any
    changed: bool | None
    error: str = ""


class OsapiJob:
    """One job: its record, its events and its agents' responses."""

    __slots__ = ("created", "deleted", "events", "garbage", "hosts", "id", "operation", "responses")

    def __init__(self, job_id: str, operation: dict[str, Any] | None, created: float) -> None:
        self.id = job_id
        self.operation = operation
        self.created = created
        self.hosts: list[str] = []
        self.events: list[Event] = []
        self.responses: dict[str, AgentResponse] = {}
        self.deleted = False
        self.garbage = ""


def _is_query(operation: dict[str, Any] | None) -> bool:
    kind = str((operation or {}).get("type", ""))
    return kind.endswith(QUERY_SUFFIXES) or kind.startswith("node.")


def _summary(states: dict[str, str]) -> str:
    """The job's status from its agents' states (computeStatusFromEvents)."""
    counts = {name: 0 for name in ("completed", "failed", "skipped", "started", "acknowledged")}
    for state in states.values():
        if state in counts:
            counts[state] += 1
    if not states:
        return "submitted"
    if counts["started"] or counts["acknowledged"]:
        return "processing"
    if counts["completed"] + counts["failed"] + counts["skipped"] != len(states):
        return "submitted"
    if counts["failed"] and counts["completed"]:
        return "partial_failure"
    if counts["failed"]:
        return "failed"
    if counts["skipped"] and not counts["completed"]:
        return "skipped"
    return "completed"


class OsapiStore:
    """All osapi jobs of the emulator, oldest first (the bucket's insertion order)."""

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._rng = random.Random(f"osapi-{config.seed}")
        self._latency = config.job_latency
        self._ttl = config.seconds(config.ttl) if config.ttl else None
        self._jobs: dict[str, OsapiJob] = {}
        self.agents: set[str] = set(DEFAULT_AGENTS)
        self.revision = 0
        self.created = 0

    # -- writing -------------------------------------------------------------------------

    def create(
        self,
        operation: dict[str, Any] | None,
        hosts: list[str],
        failing_hosts: list[str] | set[str] = (),  # type: ignore[assignment]
        skip: bool = False,
        *,
        stuck: bool = False,
        garbage: str = "",
    ) -> OsapiJob:
        """Store a new job and the events its agents will write: ``failing_hosts`` fail, the
        others complete (or skip); a stuck job's agents start and never finish."""
        now = self._clock.now()
        job = OsapiJob(str(uuid.UUID(int=self._rng.getrandbits(128), version=4)), operation, now)
        job.hosts = list(hosts)
        job.garbage = garbage
        self.agents.update(hosts)
        failing = set(failing_hosts)
        if not failing and self._rng.random() < self._config.fail_rate:
            failing = set(hosts)
        stuck = stuck or self._rng.random() < self._config.stuck_rate
        job.events.append(Event(now, "submitted", API_HOST, "Job submitted to queue"))
        took = self._latency.draw(self._rng)
        changed = None if _is_query(operation) else True
        for host in hosts:
            end = now + took * self._rng.uniform(0.8, 1.0)
            job.events.append(
                Event(now + took * 0.1, "acknowledged", host, f"Job acknowledged by agent {host}")
            )
            job.events.append(
                Event(now + took * 0.2, "started", host, f"Job processing started on {host}")
            )
            if stuck:
                continue
            if skip:
                error = "unsupported OS family"
                message = f"Job skipped on {host} (unsupported OS family)"
                job.events.append(Event(end, "skipped", host, message, error))
                job.responses[host] = AgentResponse(end, "skipped", None, None, error)
            elif host in failing:
                error = f"{host}: simulated failure"
                job.events.append(Event(end, "failed", host, f"Job failed on {host}", error))
                job.responses[host] = AgentResponse(end, "failed", None, None, error)
            else:
                message = f"Job completed successfully on {host}"
                job.events.append(Event(end, "completed", host, message))
                job.responses[host] = AgentResponse(end, "completed", {"hostname": host}, changed)
        self._jobs[job.id] = job
        self.revision += 1
        self.created += 1
        return job

    def retry(self, job: OsapiJob, target_hostname: str | None) -> OsapiJob:
        """A NEW job from the same operation; the original gains a ``retried`` event
        (internal/job/client/jobs.go RetryJob). Without a target it runs on one agent (``_any``);
        a host whose name holds "fail" fails again, the others now complete."""
        if job.operation is None:
            raise NoOperationData(f"job has no operation data: {job.id}")
        if target_hostname == "_all":
            hosts = sorted(self.agents)
        elif target_hostname and target_hostname != "_any":
            hosts = [target_hostname]
        else:
            hosts = job.hosts[:1] or sorted(self.agents)[:1]
        new = self.create(job.operation, hosts, {host for host in hosts if "fail" in host})
        job.events.append(Event(self._clock.now(), "retried", API_HOST, f"Job retried as {new.id}"))
        return new

    def delete(self, job: OsapiJob) -> None:
        """Delete the job record; its events stay (and still count in ``status_counts``)."""
        job.deleted = True

    # -- reading -------------------------------------------------------------------------

    def _visible(self, at: float, now: float) -> bool:
        return at <= now and (self._ttl is None or now < at + self._ttl)

    def get(self, job_id: str) -> OsapiJob | None:
        """The job, or None when unknown, deleted or expired."""
        job = self._jobs.get(job_id)
        if job is None or job.deleted or not self._visible(job.created, self._clock.now()):
            return None
        return job

    def known_target(self, target: str) -> bool:
        """``valid_target``: ``_any``, ``_all`` or an agent's hostname."""
        return target in ("_any", "_all") or target in self.agents

    def _events(self, job: OsapiJob, now: float) -> list[Event]:
        return [e for e in job.events if self._visible(e.at, now)]

    def _states(self, events: list[Event]) -> dict[str, str]:
        states: dict[str, str] = {}
        for event in events:
            if event.hostname == API_HOST:
                continue
            current = states.get(event.hostname)
            if current is None or PRIORITY[event.event] > PRIORITY[current]:
                states[event.hostname] = event.event
        return states

    def status(self, job: OsapiJob, now: float | None = None) -> str:
        """The job's status computed from its visible events."""
        now = self._clock.now() if now is None else now
        return _summary(self._states(self._events(job, now)))

    def page(
        self, status: str | None, offset: int, limit: int
    ) -> tuple[list[OsapiJob], int, dict[str, int]]:
        """A page newest first, how many match, and counts by status of every job with
        events left, deleted ones included (internal/job/client/jobs.go ListJobs)."""
        now = self._clock.now()
        counts = dict.fromkeys(FILTER_STATUSES, 0)
        matching: list[OsapiJob] = []
        gone: list[str] = []
        for job in reversed(self._jobs.values()):
            events = self._events(job, now)
            if not events:
                if self._ttl is not None and job.created + self._ttl <= now:
                    gone.append(job.id)
                continue
            current = _summary(self._states(events))
            counts[current] = counts.get(current, 0) + 1
            if job.deleted or not self._visible(job.created, now):
                continue
            if status is None or current == status:
                matching.append(job)
        for job_id in gone:
            del self._jobs[job_id]
        return matching[offset : offset + limit], len(matching), counts

    def _common(self, job: OsapiJob, now: float) -> tuple[dict[str, Any], list[Event]]:
        """The fields a list item and a detail share; absent ones omitted."""
        events = self._events(job, now)
        states = self._states(events)
        status = _summary(states)
        finals = sorted(
            (e for e in events if e.event in ("completed", "failed")),
            key=lambda e: (e.event, e.hostname),
        )
        out: dict[str, Any] = {
            "id": job.id,
            "status": status,
            "created": self._clock.iso_seconds(job.created),
        }
        if job.operation is not None:
            out["operation"] = job.operation
        errors = [e.error for e in sorted(events, key=lambda e: e.event) if e.error]
        if status in ("failed", "skipped") and errors:
            out["error"] = errors[-1]
        if finals:
            out["hostname"] = finals[-1].hostname
        if events:
            out["updated_at"] = self._clock.iso(max(e.at for e in events))
        answered = self._responses(job, now)
        if len(answered) == 1:
            (only,) = answered.values()
            if only.data is not None:
                out["result"] = only.data
        out["changed"] = None
        return out, events

    def _responses(self, job: OsapiJob, now: float) -> dict[str, AgentResponse]:
        return {h: r for h, r in job.responses.items() if self._visible(r.at, now)}

    def as_item(self, job: OsapiJob) -> dict[str, Any]:
        """A list item: no responses, agent states or timeline, ``changed`` null."""
        return self._common(job, self._clock.now())[0]

    def as_dict(self, job: OsapiJob) -> dict[str, Any]:
        """The job detail (internal/controller/api/job/job_get.go)."""
        now = self._clock.now()
        out, events = self._common(job, now)
        answered = self._responses(job, now)
        changes = [r.changed for r in answered.values()]
        if len(answered) == 1:
            out["changed"] = changes[0]
        elif any(changes):
            out["changed"] = True
        if answered:
            out["responses"] = {host: _response(host, r) for host, r in answered.items()}
        states = self._states(events)
        if states:
            out["agent_states"] = {
                host: self._agent_state(host, state, events) for host, state in states.items()
            }
        out["timeline"] = [
            {
                "timestamp": self._clock.iso_seconds(e.at),
                "event": e.event,
                "hostname": e.hostname,
                "message": e.message,
            }
            | ({"error": e.error} if e.error else {})
            for e in sorted(events, key=lambda e: e.at)
        ]
        return out

    @staticmethod
    def _agent_state(host: str, state: str, events: list[Event]) -> dict[str, Any]:
        out: dict[str, Any] = {"status": state}
        mine = [e for e in events if e.hostname == host]
        if error := next((e.error for e in mine if e.error), ""):
            out["error"] = error
        start = min((e.at for e in mine if e.event == "started"), default=None)
        end = max((e.at for e in mine if e.event in ("completed", "failed")), default=None)
        if start is not None and end is not None:
            out["duration"] = go_duration(end - start)
        return out

    def as_retried(self, job: OsapiJob) -> dict[str, Any]:
        """The retry answer: the NEW job's CreateJobResult (jobs.go CreateJob)."""
        return {
            "job_id": job.id,
            "status": "created",
            "revision": self.revision,
            "timestamp": self._clock.iso_seconds(job.created),
        }


def _response(host: str, answer: AgentResponse) -> dict[str, Any]:
    out: dict[str, Any] = {"status": answer.status, "hostname": host, "changed": answer.changed}
    if answer.data is not None:
        out["data"] = answer.data
    if answer.error:
        out["error"] = answer.error
    return out
