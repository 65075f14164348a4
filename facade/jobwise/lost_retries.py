"""An osapi retry whose answer was lost: whether it may have made a job, and which listed jobs
it may have made. osapi honours no Idempotency-Key, so such a retry is never re-sent blindly:
it is settled by listing the jobs created in its window whose operation matches."""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jobwise.lost_posts import OSAPI_SKEW
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


@dataclass(frozen=True)
class Window:
    """When a lost retry's job may have been created, on the server's clock."""

    start: datetime
    end: datetime

    @classmethod
    def back_from(cls, server_date: str | None, elapsed: float, wall: float) -> Window:
        """``elapsed`` seconds back from the server's Date header (from ``wall``, the client's
        wall clock in Unix seconds, without one)."""
        try:
            now = parse_time(server_date) or datetime.fromtimestamp(wall, UTC)
        except ValueError:
            now = datetime.fromtimestamp(wall, UTC)
        return cls(
            now - timedelta(seconds=elapsed + OSAPI_SKEW), now + timedelta(seconds=OSAPI_SKEW)
        )

    def scan(
        self, jobs: Iterable[OsapiJob], operation: dict[str, Any], known: Set[str]
    ) -> tuple[list[str], bool]:
        """The ids of ``jobs`` created in the window with ``operation`` (the ``known`` ones
        excluded: the retried job, the client's other jobs), and whether the page reached jobs
        older than the window (the listing is newest first: no later page can hold a match)."""
        found, older = [], False
        for job in jobs:
            try:
                created = parse_time(job.created if isinstance(job.created, str) else None)
            except ValueError:
                created = None
            if created is not None and created < self.start:
                older = True
            elif (
                job.id not in known
                and (created is None or created <= self.end)
                and operation_of(job) == operation
            ):
                found.append(job.id)
        return found, older
