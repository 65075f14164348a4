"""An item's outcome from its job's answer: completed, failed, or retried while retries are
left."""

from __future__ import annotations

from jobwise._api.writer import FINAL_STATUSES
from jobwise.batch.core import Track
from jobwise.batch.health import Health
from jobwise.batch.items import ItemStatus
from jobwise.errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    InvalidResponseError,
    PermissionDeniedError,
)
from jobwise.lost_posts import COARSE_MARGIN
from jobwise.models import Job, JobResult, JobStatus
from jobwise.polling import status_text
from jobwise.retries import NOT_ACTED_ON


class Outcomes(Health):
    """Ends an item from its job's final answer, or retries its job."""

    async def _finish(self, track: Track, job: Job) -> None:
        row = track.row
        status = status_text(job)
        made = track.created_at
        if made is not None and abs((job.created_at - made).total_seconds()) > COARSE_MARGIN:
            # Not the job its create made: a restarted server handed its id to another job
            # (another client's, unseen here), whose result is not this input's.
            self._state.finished(
                row,
                ItemStatus.AMBIGUOUS,
                None,
                f"the server's job {job.id} was created at {job.created_at.isoformat()}, not "
                f"at {made.isoformat()} as this input's was: it hands out ids again",
            )
            await self._drop(track)
            return
        if (
            row.status == ItemStatus.RETRYING
        ):  # a retry intended (maybe before a crash), not confirmed
            if status == JobStatus.FAILED:
                await self._send_retry(track)
                return
            if status not in FINAL_STATUSES:
                return
        if status == JobStatus.FAILED and self._retries_left(row):
            self._state.retrying(row)
            self.progress.retries += 1
            await self._send_retry(track)
            return
        if status == JobStatus.COMPLETED:
            suggestion = job.data.suggestion if isinstance(job.data, JobResult) else None
            self._state.finished(row, ItemStatus.COMPLETED, suggestion, None)
        else:
            error = job.error if isinstance(job.error, str) else "failed"
            self._state.finished(row, ItemStatus.FAILED, None, error)
        self.schedule.finished(self.jobs.clock() - track.since)
        await self._drop(track)

    async def _send_retry(self, track: Track) -> None:
        row = track.row
        assert row.job_id is not None and row.retry_key is not None
        track.retried, track.misses = True, 0
        track.since = self.jobs.clock()
        try:
            async with self.limit:
                created = await self.jobs.retry(row.job_id, idempotency_key=row.retry_key)
        except (AuthenticationError, PermissionDeniedError):
            raise
        except (APIConnectionError, InvalidResponseError) as exc:
            self._last_error = str(exc)
            return  # unknown: the next retrieve tells, and the retry is sent again if needed
        except APIStatusError as exc:
            if exc.status_code >= 500 or exc.status_code in NOT_ACTED_ON:
                self._last_error = str(exc)
                return
            # Any other refusal (409, 400, 422: no source says what Writer answers for a job
            # that has not failed) may mean it runs again: keep waiting, the next retrieve tells
            # (a job still failed is retried again while retries are left, then fails).
            self._state.retried(row, row.job_id)
            return
        self._heard()
        if created.id != row.job_id:  # the server made a new job: follow it
            del self.outstanding[row.job_id]
            self.outstanding[created.id] = track
        self._state.retried(row, created.id)
