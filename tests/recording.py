"""What cassette tests need: where to record, how to sleep, and what to scrub.

Replay (the default, ``--record-mode=none``) needs no server: the base URL points nowhere and
sleeping is instant. Recording (``make record``) starts a fresh emulator, or uses the live APIs
when WRITER_API_KEY, WRITER_BASE_URL and WRITER_APP_ID are set.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from jobwise_emulator import run_emulator

from .fakes import FakeClock

TOKEN = "test-token-not-a-secret"
NOWHERE = "http://127.0.0.1:9"
REDACTED = "<REDACTED>"


def secrets() -> list[str]:
    """Every credential that might be in play while recording."""
    found = [TOKEN]
    for name in ("WRITER_API_KEY", "OSAPI_TOKEN"):
        value = os.environ.get(name)
        if value:
            found.append(value)
    return found


def _scrub(text: str) -> str:
    for secret in secrets():
        text = text.replace(secret, REDACTED)
    return text


def scrub_request(request: Any) -> Any:
    """Remove credentials from a request before it is written (vcrpy hook)."""
    request.uri = _scrub(request.uri)
    if request.body is None:  # vcrpy's aiohttp stub: no body; its httpx stub: b""
        request.body = b""
    if isinstance(request.body, bytes):
        request.body = _scrub(request.body.decode("utf-8", "replace")).encode()
    for name in list(request.headers):
        if name.lower() in ("authorization", "cookie", "x-api-key"):
            del request.headers[name]
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Remove credentials from a response before it is written (vcrpy hook)."""
    body = response.get("body", {}).get("string")
    if isinstance(body, bytes):
        response["body"]["string"] = _scrub(body.decode("utf-8", "replace")).encode()
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() == "set-cookie":
            del headers[name]
        else:
            headers[name] = [_scrub(value) for value in headers[name]]
    return response


VCR_CONFIG = {
    "filter_headers": ["authorization", "cookie", "x-api-key"],
    "before_record_request": scrub_request,
    "before_record_response": scrub_response,
    "match_on": ["method", "path", "query", "body"],
    "decode_compressed_response": True,
}


@dataclass
class Target:
    """Where a cassette test talks to, and its clock."""

    base_url: str
    token: str
    app_id: str
    recording: bool
    live: bool
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    asleep: Callable[[float], Awaitable[None]]

    def emulator_only(self) -> None:
        """Skip when recording against a live API (the step needs the emulator)."""
        if self.live:
            pytest.skip("needs the emulator's admin routes")

    def script(self, *answers: dict[str, Any]) -> None:
        """Queue the emulator's next answers (recorded, so replay sees them too)."""
        self.emulator_only()
        httpx.post(f"{self.base_url}/_emulator/script", json={"answers": list(answers)})

    def osapi_jobs(self, **body: Any) -> list[str]:
        """Make osapi jobs on the emulator."""
        self.emulator_only()
        ids: list[str] = httpx.post(f"{self.base_url}/_emulator/osapi/jobs", json=body).json()[
            "job_ids"
        ]
        return ids


def target(record_mode: str) -> Iterator[Target]:
    """A recording target (live API or fresh emulator), or a replay one."""
    if record_mode == "none":
        fake = FakeClock()
        yield Target(NOWHERE, TOKEN, "cassette-app", False, False, fake, fake.sleep, fake.asleep)
        return
    live = all(os.environ.get(v) for v in ("WRITER_API_KEY", "WRITER_BASE_URL", "WRITER_APP_ID"))
    if live:
        yield Target(
            os.environ["WRITER_BASE_URL"],
            os.environ["WRITER_API_KEY"],
            os.environ["WRITER_APP_ID"],
            True,
            True,
            time.monotonic,
            time.sleep,
            asyncio.sleep,
        )
        return
    with run_emulator(profile="fast", latency=(0.2, 0.4), seed=21, idempotency="honour") as server:
        yield Target(
            server.base_url,
            TOKEN,
            "cassette-app",
            True,
            False,
            time.monotonic,
            time.sleep,
            asyncio.sleep,
        )
