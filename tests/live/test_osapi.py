"""osapi as it is: a retry makes a new job (followed by retry_and_wait and the CLI), a lost
retry is settled by listing, both base paths work, and plain http to another host needs a yes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import jobwise
import pytest
from jobwise import AsyncOsapiJobs, OsapiJobs, PollPolicy
from jobwise.cli import main
from jobwise_emulator import EmulatorServer, run_emulator

from ..conftest import TOKEN

FAST = PollPolicy(initial=0.05, max_interval=0.2)
# The emulator fails a job on a host in failing_hosts, and a retry on a host named "fail..."
FAILING = {"hosts": ["fail-01"], "failing_hosts": ["fail-01"]}


@pytest.fixture(scope="module", params=["", "/api"], ids=["root", "api-prefix"])
def server(request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    """An emulator serving osapi at the root (older servers) or under /api (newer ones)."""
    with run_emulator(
        profile="fast", latency=(0.02, 0.05), seed=3, osapi_prefix=request.param
    ) as emulator:
        yield emulator


def make_jobs(server: EmulatorServer, **body: Any) -> list[str]:
    ids: list[str] = httpx.post(f"{server.base_url}/_emulator/osapi/jobs", json=body).json()[
        "job_ids"
    ]
    return ids


def osapi(server: EmulatorServer, **options: Any) -> OsapiJobs:
    return OsapiJobs(server.base_url, TOKEN, poll_policy=FAST, **options)


def test_every_call_works_on_either_base_path_found_once(server: EmulatorServer) -> None:
    (job_id,) = make_jobs(server, **FAILING)
    with osapi(server) as jobs:
        assert jobs.wait(job_id, timeout=10).status == jobwise.OsapiJobStatus.FAILED
        after_first = jobs.requests_sent  # the probe(s), then the calls
        assert job_id in [job.id for job in jobs.list(status="failed")]
        new_id = jobs.retry(job_id, target_hostname="fail-01")
        assert new_id != job_id and jobs.retrieve(new_id).id == new_id
        jobs.delete(new_id)
        with pytest.raises(jobwise.NotFoundError):
            jobs.retrieve(new_id)
        assert jobs.requests_sent - after_first == 5  # no probe after the first call


def test_a_base_url_ending_in_api_is_used_as_it_is() -> None:
    with run_emulator(profile="fast", latency=(0, 0), osapi_prefix="/api") as server:
        (job_id,) = make_jobs(server)
        with OsapiJobs(f"{server.base_url}/api", TOKEN) as jobs:
            assert jobs.retrieve(job_id).id == job_id
            assert jobs.requests_sent == 1


def test_retry_makes_a_new_job_and_retry_and_wait_follows_it(server: EmulatorServer) -> None:
    (job_id,) = make_jobs(server, hosts=["web-01", "web-02"], failing_hosts=["web-02"])
    with osapi(server) as jobs:
        old = jobs.wait(job_id, timeout=10)
        assert old.status == jobwise.OsapiJobStatus.PARTIAL_FAILURE
        new = jobs.retry_and_wait(job_id, target_hostname="web-01", timeout=10)
        assert new.id != job_id and new.status == jobwise.OsapiJobStatus.COMPLETED
        again = jobs.retrieve(job_id)  # the original is kept, with a retried event
        assert again.status == jobwise.OsapiJobStatus.PARTIAL_FAILURE
        assert not isinstance(again.timeline, jobwise.Unset)
        retried = [e for e in again.timeline if e.event == "retried"]
        assert len(retried) == 1 and new.id in str(retried[0].message)


async def test_async_retry_and_wait_follows_the_new_job(server: EmulatorServer) -> None:
    (job_id,) = make_jobs(server, **FAILING)
    async with AsyncOsapiJobs(server.base_url, TOKEN, poll_policy=FAST) as jobs:
        await jobs.wait(job_id, timeout=10)
        new_id = await jobs.retry(job_id)
        assert new_id != job_id
        done = await jobs.retry_and_wait(job_id, timeout=10)
        assert done.id not in (job_id, new_id)
        assert done.status == jobwise.OsapiJobStatus.FAILED  # fail-01 fails again


def test_no_base_path_answering_names_both_tried() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(404, json={"message": "x"}))
    with (
        OsapiJobs("https://osapi.example.test", "t", transport=transport) as jobs,
        pytest.raises(jobwise.BasePathNotFoundError) as caught,
    ):
        jobs.retrieve("00000000-0000-4000-8000-000000000000")
    assert caught.value.tried == [
        "https://osapi.example.test/api/job",
        "https://osapi.example.test/job",
    ]
    assert "https://osapi.example.test/api/job and https://osapi.example.test/job" in str(
        caught.value
    )
    assert isinstance(caught.value, jobwise.NotFoundError)


def test_an_old_server_answering_401_on_job_is_found_there() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path.startswith("/api/"):
            return httpx.Response(404, json={"message": "Not Found"})
        return httpx.Response(401, json={"error": "Bearer token required"})

    transport = httpx.MockTransport(handler)
    with (
        OsapiJobs("https://osapi.example.test", "t", transport=transport) as jobs,
        pytest.raises(jobwise.AuthenticationError),
    ):
        list(jobs.list())
    assert seen == ["/api/job", "/job", "/job"]


# -- a retry whose answer is lost ---------------------------------------------------------------


class LosingTransport(httpx.BaseTransport):
    """Loses the answer of the first retry POST: after the server got it (``after``), or
    before it left (a read error all the same, so the client cannot tell)."""

    def __init__(self, after: bool) -> None:
        self.inner = httpx.HTTPTransport()
        self.after = after
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/retry") and not self.lost:
            self.lost += 1
            if self.after:
                self.inner.handle_request(request).close()
            raise httpx.ReadError("connection reset", request=request)
        return self.inner.handle_request(request)


def _listed(jobs: OsapiJobs) -> list[str]:
    return [job.id for job in jobs.list()]


def test_a_lost_retry_that_made_a_job_is_found_by_listing(
    server: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "jobwise")
    (job_id,) = make_jobs(server, operation={"type": "file.deploy", "path": "/a"})
    transport = LosingTransport(after=True)
    with osapi(server, transport=transport) as jobs:
        before = set(_listed(jobs))
        new_id = jobs.retry(job_id)
        made = set(_listed(jobs)) - before
    assert made == {new_id} and transport.lost == 1
    assert any(f"it made job {new_id}" in r.getMessage() for r in caplog.records)


def test_a_lost_retry_that_made_no_job_is_sent_once_more(server: EmulatorServer) -> None:
    (job_id,) = make_jobs(server, operation={"type": "file.deploy", "path": "/b"})
    with osapi(server, transport=LosingTransport(after=False)) as jobs:
        before = set(_listed(jobs))
        new_id = jobs.retry(job_id)
        made = set(_listed(jobs)) - before
    assert made == {new_id}


def test_a_lost_retry_among_jobs_of_its_operation_is_ambiguous(server: EmulatorServer) -> None:
    operation = {"type": "file.deploy", "path": "/c"}
    job_id, *others = make_jobs(server, operation=operation, count=3)
    with osapi(server) as onlooker:  # another client: the others are unknown to the retrier
        before = set(_listed(onlooker))
        with (
            osapi(server, transport=LosingTransport(after=True)) as jobs,
            pytest.raises(jobwise.AmbiguousRetryError) as caught,
        ):
            jobs.retry(job_id)
        made = set(_listed(onlooker)) - before
    assert len(made) == 1  # never re-sent
    assert set(caught.value.candidates) == made | set(others)
    assert all(candidate in str(caught.value) for candidate in caught.value.candidates)


def test_a_refused_retry_is_not_settled() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        return httpx.Response(400, json={"error": "job has no operation data"})

    transport = httpx.MockTransport(handler)
    with (
        OsapiJobs("https://x.test/api", "t", transport=transport) as jobs,
        pytest.raises(jobwise.BadRequestError),
    ):
        jobs.retry("00000000-0000-4000-8000-000000000000")
    assert calls == ["POST /api/job/00000000-0000-4000-8000-000000000000/retry"]


# -- plain http to another host -----------------------------------------------------------------


def test_plain_http_to_another_host_is_refused_naming_every_way_to_allow_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JOBWISE_ALLOW_INSECURE", raising=False)
    with pytest.raises(jobwise.InvalidArgumentError) as caught:
        OsapiJobs("http://osapi.internal:8080", "t")
    for way in ("allow_insecure=True", "--allow-insecure", "JOBWISE_ALLOW_INSECURE=1"):
        assert way in str(caught.value)
    monkeypatch.setenv("JOBWISE_ALLOW_INSECURE", "1")
    assert OsapiJobs("http://osapi.internal:8080", "t").base_url == "http://osapi.internal:8080"
    assert OsapiJobs("http://osapi.internal", "t", allow_insecure=True)
    monkeypatch.setenv("JOBWISE_ALLOW_INSECURE", "maybe")
    with pytest.raises(jobwise.InvalidArgumentError, match="JOBWISE_ALLOW_INSECURE"):
        OsapiJobs("http://osapi.internal:8080", "t")


def test_the_warning_is_logged_once_per_host(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "jobwise")
    for _ in range(3):
        OsapiJobs("http://once.internal", "t", allow_insecure=True).close()
    warnings = [r for r in caplog.records if "once.internal" in r.getMessage()]
    assert len(warnings) == 1 and "plain http" in warnings[0].getMessage()


def test_cli_refuses_plain_http_without_the_flag_and_accepts_it_with(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOBWISE_ALLOW_INSECURE", raising=False)
    monkeypatch.setenv("OSAPI_TOKEN", TOKEN)
    url = "http://osapi.internal:8080"
    assert main(["osapi", "list", "--url", url]) == 2
    err = capsys.readouterr().err
    assert "--allow-insecure" in err and "JOBWISE_ALLOW_INSECURE=1" in err
    assert "allow_insecure=True" not in err
    # Accepted: it then tries to connect, which the test's network block refuses at once.
    monkeypatch.setattr(
        httpx.HTTPTransport,
        "handle_request",
        lambda self, request: httpx.Response(200, json={"items": []}, request=request),
    )
    assert main(["osapi", "list", "--url", url, "--allow-insecure", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


# -- the command line ---------------------------------------------------------------------------


@contextlib.contextmanager
def cli_emulator(monkeypatch: pytest.MonkeyPatch, seed: int) -> Iterator[EmulatorServer]:
    """An emulator of its own, which the command line is pointed at."""
    with run_emulator(profile="fast", latency=(0.02, 0.05), seed=seed) as server:
        monkeypatch.setenv("OSAPI_URL", server.base_url)
        monkeypatch.setenv("OSAPI_TOKEN", TOKEN)
        yield server


def failed_jobs(
    server: EmulatorServer, capsys: pytest.CaptureFixture[str], count: int, **body: Any
) -> list[str]:
    """``count`` jobs that have failed, waited for through the command line."""
    failed = make_jobs(server, count=count, **FAILING, **body)
    assert all(main(["osapi", "wait", job_id]) == 1 for job_id in failed)
    capsys.readouterr()
    return failed


def test_cli_retry_wait_follows_the_new_job(
    server: EmulatorServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OSAPI_URL", server.base_url)
    monkeypatch.setenv("OSAPI_TOKEN", TOKEN)
    (job_id,) = make_jobs(server, hosts=["db-01", "db-02"], failing_hosts=["db-02"])
    assert main(["osapi", "wait", job_id, "--json"]) == 1  # partial_failure
    capsys.readouterr()
    assert main(["osapi", "retry", job_id, "--target-hostname", "db-01", "--wait", "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["id"] != job_id and done["status"] == "completed"
    assert main(["osapi", "retry", job_id, "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["retried"] == job_id and created["id"] not in (job_id, done["id"])


def test_cli_retry_failed_retries_each_failed_job_once_and_waits(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with cli_emulator(monkeypatch, seed=8) as server:
        failed = make_jobs(server, count=2, **FAILING)
        fine = make_jobs(server, hosts=["web-01"])
        assert main(["osapi", "wait", fine[0]]) == 0
        assert all(main(["osapi", "wait", job_id]) == 1 for job_id in failed)
        capsys.readouterr()
        assert main(["osapi", "retry-failed", "--json"]) == 1  # fail-01 fails again
        finals = json.loads(capsys.readouterr().out)
        with OsapiJobs(server.base_url, TOKEN) as jobs:
            listed = {job.id: job for job in jobs.list()}
    assert len(finals) == 2 and {job["status"] for job in finals} == {"failed"}
    assert not {job["id"] for job in finals} & set(failed)
    assert len(listed) == 5  # two failed, one fine, two new: each failed job retried once


def test_cli_retry_failed_skips_jobs_already_retried_and_names_each_original(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # osapi keeps a retried job failed (only a retried event marks it): a second run must not
    # run the originals' operations again, only the new jobs that failed too.
    with cli_emulator(monkeypatch, seed=9) as server:
        failed = failed_jobs(server, capsys, count=2)
        assert main(["osapi", "retry-failed", "--json"]) == 1  # fail-01 fails again
        first = json.loads(capsys.readouterr().out)
        assert main(["osapi", "retry-failed"]) == 1
        second = capsys.readouterr()
        with OsapiJobs(server.base_url, TOKEN) as jobs:
            listed = [job.id for job in jobs.list()]
            assert {job.status for job in jobs.list() if job.id in failed} == {"failed"}
    assert len(listed) == 6  # 2 failed, their 2 retries, and those 2 retried once: none twice
    assert "skipped 2 failed jobs already retried" in second.err
    assert sorted(job["retried"] for job in first) == sorted(failed)
    new_ids = {job["id"] for job in first}
    lines = second.out.splitlines()  # NEW_ID  failed  retry of ORIGINAL  error: ...
    assert len(lines) == 2 and {line.split()[4] for line in lines} == new_ids
    assert all(line.split()[2:4] == ["retry", "of"] for line in lines)


# -- lost retries among the client's own jobs ---------------------------------------------------


class FailingTransport(httpx.BaseTransport):
    """Answers 500 to the retry POSTs of ``doomed`` without passing them on: a 500 that stored
    nothing, as CreateJob's failed publish may (the client cannot tell it from a stored one)."""

    def __init__(self, doomed: set[str]) -> None:
        self.inner = httpx.HTTPTransport()
        self.doomed = doomed
        self.failed = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        job_id = request.url.path.split("/")[-2]
        if request.method == "POST" and job_id in self.doomed:
            self.doomed.discard(job_id)
            self.failed += 1
            return httpx.Response(500, json={"error": "publish failed"}, request=request)
        return self.inner.handle_request(request)


def _retried_into(jobs: OsapiJobs, job_id: str) -> list[str]:
    """The new jobs the server says it made from ``job_id`` (its retried events)."""
    timeline = jobs.retrieve(job_id).timeline
    assert not isinstance(timeline, jobwise.Unset)
    return [str(event.message) for event in timeline if event.event == "retried"]


def test_a_lost_retry_never_adopts_another_retrys_new_job(server: EmulatorServer) -> None:
    # A and B share one operation; retry(A) is answered, retry(B) gets a 500 that stored
    # nothing. A's new job is this client's own: B's retry must be sent again, not take it.
    a, b = make_jobs(server, operation={"type": "file.deploy", "path": "/d"}, count=2)
    transport = FailingTransport({b})
    with osapi(server, transport=transport) as jobs:
        new_a = jobs.retry(a)
        new_b = jobs.retry(b)
        assert transport.failed == 1
        assert new_b not in (new_a, a, b)
        assert len(_retried_into(jobs, b)) == 1 and new_b in _retried_into(jobs, b)[0]
        assert len(_retried_into(jobs, a)) == 1  # nothing retried twice


def test_a_lost_retry_excludes_the_jobs_this_client_has_listed(server: EmulatorServer) -> None:
    # The jobs listed before the retry was sent cannot be its new job: only the one it made is.
    operation = {"type": "file.deploy", "path": "/e"}
    job_id, *others = make_jobs(server, operation=operation, count=3)
    with osapi(server, transport=LosingTransport(after=True)) as jobs:
        before = set(_listed(jobs))
        assert set(others) <= before
        new_id = jobs.retry(job_id)
        made = set(_listed(jobs)) - before
    assert made == {new_id}


def test_cli_retry_failed_goes_on_after_an_ambiguous_retry_and_prints_every_retry(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Six failed jobs of one operation; the third retry's answer is lost after it was stored,
    # and a job of that operation made by someone else appears meanwhile: that retry is
    # ambiguous (its own earlier retries are no candidates), the other five are retried once.
    with cli_emulator(monkeypatch, seed=10) as server:
        operation = {"type": "file.deploy", "path": "/f"}
        failed = failed_jobs(server, capsys, count=6, operation=operation)
        original = httpx.HTTPTransport.handle_request
        posts: list[str] = []
        stranger: list[str] = []

        def losing(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            response = original(self, request)
            if request.method == "POST" and request.url.path.endswith("/retry"):
                posts.append(request.url.path.split("/")[-2])
                if len(posts) == 3:
                    response.close()
                    stranger.extend(make_jobs(server, operation=operation))
                    raise httpx.ReadError("connection reset", request=request)
            return response

        monkeypatch.setattr(httpx.HTTPTransport, "handle_request", losing)
        assert main(["osapi", "retry-failed", "--json"]) == 7  # a decision is needed
        printed = json.loads(capsys.readouterr().out)
        monkeypatch.setattr(httpx.HTTPTransport, "handle_request", original)
        with OsapiJobs(server.base_url, TOKEN) as jobs:
            retried = {job_id: _retried_into(jobs, job_id) for job_id in failed}
    assert sorted(posts) == sorted(failed)  # each sent once
    assert all(len(made) == 1 for made in retried.values())  # none retried twice
    assert sorted(entry["retried"] for entry in printed) == sorted(failed)
    (ambiguous,) = [entry for entry in printed if entry["status"] == "ambiguous"]
    assert ambiguous["retried"] == posts[2]
    lost_into = retried[posts[2]][0]
    assert len(ambiguous["candidates"]) == 2 and stranger[0] in ambiguous["candidates"]
    assert any(candidate in lost_into for candidate in ambiguous["candidates"])
    made = [entry for entry in printed if entry["status"] != "ambiguous"]
    assert len(made) == 5 and {entry["status"] for entry in made} == {"failed"}
    for entry in made:
        assert entry["id"] in retried[entry["retried"]][0]


def test_cli_retry_failed_stopped_by_the_server_prints_the_retries_it_made(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with cli_emulator(monkeypatch, seed=11) as server:
        failed = failed_jobs(server, capsys, count=3)
        original = httpx.HTTPTransport.handle_request
        posts: list[str] = []

        def refusing(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            if request.method == "POST":
                posts.append(request.url.path)
                if len(posts) == 2:
                    return httpx.Response(403, json={"error": "token revoked"}, request=request)
            return original(self, request)

        monkeypatch.setattr(httpx.HTTPTransport, "handle_request", refusing)
        assert main(["osapi", "retry-failed"]) == 3  # the token was refused
    out, err = capsys.readouterr()
    (line,) = out.splitlines()  # NEW_ID  failed  retry of ORIGINAL ...
    assert line.split()[1:4] == ["failed", "retry", "of"] and line.split()[4] in failed
    assert "1 retry made (printed), 2 failed jobs not retried" in err
    assert len(posts) == 2 and "Traceback" not in err


def test_an_ambiguous_retry_prints_as_one_line_with_its_candidates(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from jobwise.cli.output import show

    entry = {"id": None, "status": "ambiguous", "retried": "j1", "candidates": ["c1", "c2"]}
    show(entry, False)
    assert capsys.readouterr().out == "-  ambiguous  retry of j1  candidates: c1, c2\n"


async def test_concurrent_retries_never_take_each_others_new_jobs(
    server: EmulatorServer,
) -> None:
    # retry(B)'s answer is lost after it was stored, while retry(A) of the same operation is
    # answered: A's new job was made in B's window, yet it is A's, and B's own is adopted.
    a, b = make_jobs(server, operation={"type": "file.deploy", "path": "/g"}, count=2)
    answered = asyncio.Event()

    class Transport(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            if request.method == "POST" and a in request.url.path:
                answered.set()
            elif request.method == "POST" and b in request.url.path and not answered.is_set():
                await response.aclose()
                await answered.wait()
                raise httpx.ReadError("connection reset", request=request)
            return response

    async with AsyncOsapiJobs(server.base_url, TOKEN, transport=Transport()) as jobs:
        new_b, new_a = await asyncio.gather(jobs.retry(b), jobs.retry(a))
    with osapi(server) as onlooker:
        assert [new_a in made for made in _retried_into(onlooker, a)] == [True]
        assert [new_b in made for made in _retried_into(onlooker, b)] == [True]


def interrupt_second(monkeypatch: pytest.MonkeyPatch, method: str) -> list[str]:
    """Make OsapiJobs's ``method`` raise KeyboardInterrupt (Ctrl-C) on its second call; returns
    the job ids it is called with."""
    original = getattr(OsapiJobs, method)
    calls: list[str] = []

    def interrupted(self: OsapiJobs, job_id: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(job_id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, job_id, *args, **kwargs)

    monkeypatch.setattr(OsapiJobs, method, interrupted)
    return calls


@pytest.mark.parametrize(
    ("method", "statuses", "said"),
    [
        ("retry", ["created"], "1 retry made (printed), 2 failed jobs not retried"),
        ("wait", ["failed", "created", "created"], "the 2 new jobs printed as created go on"),
    ],
    ids=["while-retrying", "while-waiting"],
)
def test_cli_retry_failed_interrupted_prints_every_new_job_it_made(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    statuses: list[str],
    said: str,
) -> None:
    with cli_emulator(monkeypatch, seed=12) as server:
        failed = failed_jobs(server, capsys, count=3)
        calls = interrupt_second(monkeypatch, method)
        assert main(["osapi", "retry-failed", "--json"]) == 130
    out, err = capsys.readouterr()
    printed = json.loads(out)
    assert [entry["status"] for entry in printed] == statuses
    assert said in err and "come back with `jobwise osapi wait`" in err
    assert not {entry["id"] for entry in printed} & set(failed)
    firsts = [entry["retried" if method == "retry" else "id"] for entry in printed][:2]
    assert firsts == calls[: len(firsts)]  # the retried originals, or the new jobs waited for
