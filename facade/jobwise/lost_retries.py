"""How an osapi retry whose answer was lost reads osapi's listing: which jobs it can never
have made (:class:`KnownJobs`), and which listed jobs carry its operation. The settlement
itself is the one of :mod:`jobwise.lost_posts`."""

from __future__ import annotations

from collections.abc import Iterable, Set
from typing import Any

from jobwise.lost_posts import Listed
from jobwise.models import OsapiJob, Unset
from jobwise.times import parse_time


def operation_of(job: OsapiJob) -> dict[str, Any] | None:
    """A job's operation data, or None when it has none."""
    return None if isinstance(job.operation, Unset) else job.operation.to_dict()


class KnownJobs:
    """The job ids a client has made (its retries' new jobs, answered or settled), retried, or
    seen (retrieved or listed), which a lost retry's settling never takes for its new job:
    osapi makes one new job per retry, a job retried is an old one, and a job seen before a
    retry was sent existed before it. A job first seen after is no evidence: it may be that
    retry's."""

    def __init__(self) -> None:
        self._claimed: set[str] = set()  # made or retried, whenever
        self._seen: dict[str, float] = {}  # id: when first seen, on the client's clock

    def claim(self, job_id: str) -> None:
        """``job_id`` is a retry's new job, or a job being retried."""
        self._claimed.add(job_id)

    def saw(self, job_ids: Iterable[str], at: float) -> None:
        """``job_ids`` were in an answer received at ``at``."""
        for job_id in job_ids:
            self._seen.setdefault(job_id, at)

    def before(self, sent: float) -> Set[str]:
        """The ids no retry sent at ``sent`` can have made."""
        return self._claimed | {job_id for job_id, at in self._seen.items() if at < sent}


def listed(job: OsapiJob, operation: dict[str, Any], known: Set[str]) -> Listed:
    """``job`` as a lost retry of ``operation`` reads it: a candidate unless ``known`` holds it
    or its operation is another."""
    try:
        created = parse_time(job.created if isinstance(job.created, str) else None)
    except ValueError:
        created = None
    return Listed(
        job.id,
        None if created is None else created.timestamp(),
        job.id not in known and operation_of(job) == operation,
    )
