"""Rate limits: a token bucket and a per-key window, each answering 429."""

from __future__ import annotations

import httpx
from jobwise_emulator import run_emulator

from .support import AUTH, run_requests


def test_rate_limit_answers_429_with_retry_after() -> None:
    with run_emulator(profile="fast", rate_limit=5, latency=(0, 0)) as server:
        answers = run_requests(server, 20)
    limited = [r for r in answers if isinstance(r, httpx.Response) and r.status_code == 429]
    assert limited, "20 requests in a burst above 5 rps must be limited"
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert int(limited[0].headers["retry-after-ms"]) >= 1


def test_requests_per_minute_per_key_answer_429_with_retry_after() -> None:
    with run_emulator(profile="fast", writer_rpm=5, latency=(0, 0)) as server:
        url = f"{server.base_url}/v1/applications/rl/jobs"
        mine = [httpx.get(url, headers=AUTH) for _ in range(6)]
        theirs = httpx.get(url, headers={"Authorization": "Bearer another-key"})
        osapi = httpx.get(f"{server.base_url}/job", headers=AUTH)
    assert [r.status_code for r in mine] == [200] * 5 + [429]
    assert 55 <= int(mine[-1].headers["Retry-After"]) <= 60
    assert mine[-1].json()["tpe"] == "TooManyRequests"
    assert theirs.status_code == 200 and osapi.status_code == 200
