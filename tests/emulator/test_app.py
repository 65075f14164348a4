"""The app serves both job APIs of openapi.yaml: every generated operation, osapi under its
prefix."""

from __future__ import annotations

import time

import httpx
from jobwise_emulator import EmulatorServer, run_emulator

from ..conftest import TOKEN
from .support import AUTH


def test_osapi_prefix_serves_under_api_only() -> None:
    with (
        run_emulator(profile="fast", latency=(0, 0), osapi_prefix="/api") as server,
        httpx.Client(base_url=server.base_url, headers=AUTH) as http,
    ):
        job_id = http.post("/_emulator/osapi/jobs").json()["job_ids"][0]
        assert http.get("/api/job").json()["items"][0]["id"] == job_id
        assert http.get(f"/api/job/{job_id}").status_code == 200
        assert http.post(f"/api/job/{job_id}/retry").status_code == 201
        assert http.get("/job").status_code == 404


def test_generated_client_drives_every_operation(emulator: EmulatorServer) -> None:
    from jobwise_api import AuthenticatedClient
    from jobwise_api.api.osapi import (
        delete_osapi_job,
        get_osapi_job,
        list_osapi_jobs,
        retry_osapi_job,
    )
    from jobwise_api.api.writer import create_job, list_jobs, retrieve_job, retry_job
    from jobwise_api.models import (
        Job,
        JobCreated,
        JobCreateRequest,
        JobInput,
        JobList,
        OsapiJob,
        OsapiJobList,
        OsapiRetryRequest,
        OsapiRetryResult,
    )

    client = AuthenticatedClient(base_url=emulator.base_url, token=TOKEN)
    body = JobCreateRequest(inputs=[JobInput(id="Product", value=["Flex yoga mat", "fail"])])
    created = create_job.sync(application_id="gen", client=client, body=body)
    assert isinstance(created, JobCreated)
    job = retrieve_job.sync(job_id=created.id, client=client)
    assert isinstance(job, Job) and job.id == created.id
    for _ in range(100):
        job = retrieve_job.sync(job_id=created.id, client=client)
        assert isinstance(job, Job)
        if job.status == "failed":
            break
        time.sleep(0.02)
    page = list_jobs.sync(application_id="gen", client=client)
    assert isinstance(page, JobList) and page.result[0].id == created.id
    again = retry_job.sync(job_id=created.id, client=client)
    assert isinstance(again, JobCreated)
    job_id = httpx.post(f"{emulator.base_url}/_emulator/osapi/jobs").json()["job_ids"][0]
    listed = list_osapi_jobs.sync(client=client, limit=100)
    assert isinstance(listed, OsapiJobList)
    from uuid import UUID

    detail = get_osapi_job.sync(id=UUID(job_id), client=client)
    assert isinstance(detail, OsapiJob)
    time.sleep(0.2)
    retried = retry_osapi_job.sync(id=UUID(job_id), client=client, body=OsapiRetryRequest())
    assert isinstance(retried, OsapiRetryResult) and retried.status == "created"
    assert retried.job_id != job_id
    assert delete_osapi_job.sync_detailed(id=UUID(job_id), client=client).status_code == 204
