"""The generated models parse what the APIs really send, wrinkles included."""

from datetime import UTC, datetime

from jobwise import (
    UNSET,
    Job,
    JobCreated,
    JobList,
    JobResult,
    JobStatus,
    OsapiJob,
    OsapiJobList,
    OsapiJobStatus,
)

GUIDE_JOB = {
    "id": "123-456-789",
    "status": "completed",
    "application_id": "2932402-23429023894-234234234",
    "created_at": "2025-02-10T18:18:09.501223Z",
    "completed_at": "2025-02-10T18:18:14.470324Z",
    "data": {"title": "Social post", "suggestion": "# Social post\nImage: ..."},
    "error": None,
}


def test_guide_example_job_parses_with_null_error() -> None:
    job = Job.from_dict(GUIDE_JOB)
    assert job.id == "123-456-789"
    assert job.status is JobStatus.COMPLETED
    assert job.created_at == datetime(2025, 2, 10, 18, 18, 9, 501223, tzinfo=UTC)
    assert isinstance(job.data, JobResult)
    assert job.data.suggestion.startswith("# Social post")
    assert job.error is None
    assert job.updated_at is UNSET


def test_job_with_null_data_and_no_completed_at() -> None:
    job = Job.from_dict(
        {
            "id": "j1",
            "status": "in_progress",
            "application_id": "app",
            "created_at": "2025-02-10T18:18:09Z",
            "data": None,
        }
    )
    assert job.data is None
    assert job.completed_at is UNSET
    assert job.status is JobStatus.IN_PROGRESS


def test_unknown_status_parses_as_plain_string() -> None:
    job = Job.from_dict(
        {
            "id": "j2",
            "status": "queued",
            "application_id": "a",
            "created_at": "2025-02-10T18:18:09Z",
        }
    )
    assert job.status == "queued"
    assert not isinstance(job.status, JobStatus)


def test_job_round_trips_through_to_dict() -> None:
    assert Job.from_dict(Job.from_dict(GUIDE_JOB).to_dict()) == Job.from_dict(GUIDE_JOB)


def test_created_response_with_non_uuid_id() -> None:
    created = JobCreated.from_dict(
        {"id": "123-456-789", "status": "in_progress", "created_at": "2024-03-15T10:00:00Z"}
    )
    assert created.id == "123-456-789"
    assert created.status is JobStatus.IN_PROGRESS


def test_writer_list_without_pagination_or_total() -> None:
    page = JobList.from_dict({"result": [GUIDE_JOB]})
    assert [job.id for job in page.result] == ["123-456-789"]
    assert page.total_count is UNSET
    assert page.pagination is UNSET


OSAPI_LIST = {
    "total_items": 2,
    "status_counts": {"completed": 1, "skipped": 1},
    "items": [
        {
            "id": "550e8400-e29b-41d4-a716-446655440000",
            "status": "completed",
            "created": "2025-06-14T10:00:00Z",
            "operation": {"type": "node.hostname.get"},
            "result": {"hostname": "web-01"},
            "changed": False,
            "hostname": "web-01",
            "updated_at": "2025-06-14T10:00:02Z",
        },
        {
            "id": "550e8400-e29b-41d4-a716-446655440001",
            "status": "skipped",
            "created": "2025-06-14T09:00:00Z",
            "changed": None,
            "error": None,
        },
    ],
}


def test_osapi_list_with_status_counts_and_skipped_job() -> None:
    page = OsapiJobList.from_dict(OSAPI_LIST)
    assert page.total_items == 2
    assert not isinstance(page.status_counts, type(UNSET))
    assert page.status_counts.additional_properties == {"completed": 1, "skipped": 1}
    assert not isinstance(page.items, type(UNSET))
    assert [job.status for job in page.items] == [OsapiJobStatus.COMPLETED, OsapiJobStatus.SKIPPED]
    assert page.items[1].changed is None


def test_osapi_detail_with_responses_agent_states_and_timeline() -> None:
    job = OsapiJob.from_dict(
        {
            "id": "550e8400-e29b-41d4-a716-446655440002",
            "status": "partial_failure",
            "created": "2025-06-14T10:00:00Z",
            "operation": {"type": "command.exec", "data": {"command": "uptime"}},
            "result": None,
            "changed": True,
            "responses": {
                "web-01": {"status": "completed", "data": {"out": "up"}, "changed": True},
                "web-02": {"status": "failed", "error": "timeout", "hostname": "web-02"},
            },
            "agent_states": {
                "web-01": {"status": "completed", "duration": "1.2s"},
                "web-02": {"status": "failed", "error": "timeout"},
            },
            "timeline": [
                {"timestamp": "2025-06-14T10:00:00Z", "event": "submitted", "hostname": "api"},
                {"timestamp": "2025-06-14T10:00:03Z", "event": "failed", "error": "timeout"},
            ],
        }
    )
    assert job.status is OsapiJobStatus.PARTIAL_FAILURE
    assert not isinstance(job.responses, type(UNSET))
    assert job.responses["web-02"].error == "timeout"
    assert not isinstance(job.agent_states, type(UNSET))
    assert job.agent_states["web-01"].duration == "1.2s"
    assert not isinstance(job.timeline, type(UNSET))
    assert [event.event for event in job.timeline] == ["submitted", "failed"]


def test_osapi_unknown_status_parses() -> None:
    job = OsapiJob.from_dict({"id": "x", "status": "paused"})
    assert job.status == "paused"
