"""Helpers of the emulator tests: requests in each API's shape, and a store on a clock
moved by hand."""

from __future__ import annotations

import time
from typing import Any

import httpx
from jobwise_emulator import EmulatorConfig, EmulatorServer
from jobwise_emulator.clock import Clock
from jobwise_emulator.writer_store import WriterStore

from ..conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def inputs(*values: str) -> dict[str, Any]:
    return {"inputs": [{"id": "Product", "value": list(values)}]}


def wait_final(http: httpx.Client, path: str, final: set[str]) -> dict[str, Any]:
    for _ in range(200):
        body: dict[str, Any] = http.get(path).json()
        if body["status"] in final:
            return body
        time.sleep(0.02)
    raise AssertionError(f"{path} never reached {final}")


WRITER_KINDS = {"BadRequest", "Unauthorized", "NotFound", "Conflict", "UnprocessableEntity"}
WRITER_KINDS |= {"TooManyRequests", "InternalServerError", "ServiceUnavailable"}
MISSING = "00000000-0000-4000-8000-000000000000"


def is_writer_error(body: Any) -> bool:
    """Writer's documented shape: a named kind, extras objects (never null)."""
    return (
        body["tpe"] in WRITER_KINDS
        and body["extras"] == {}
        and body["errors"][0]["extras"] == {}
        and bool(body["errors"][0]["description"] and body["errors"][0]["key"])
    )


def run_requests(server: EmulatorServer, n: int) -> list[httpx.Response | Exception]:
    out: list[httpx.Response | Exception] = []
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=10) as client:
        for i in range(n):
            try:
                out.append(client.post("/v1/applications/f/jobs", json=inputs(f"x{i}")))
            except httpx.HTTPError as exc:
                out.append(exc)
    return out


class FakeClock(Clock):
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.t = 1000.0

    def now(self) -> float:
        return self.t


def writer_store(**options: Any) -> tuple[WriterStore, FakeClock]:
    clock = FakeClock()
    return WriterStore(EmulatorConfig(profile="fast", seed=5, **options), clock), clock


def statuses(store: WriterStore, jobs: list[Any]) -> list[str]:
    store.advance()
    return [job.status for job in jobs]


def one(value: str) -> list[dict[str, Any]]:
    return [{"id": "Product", "value": [value]}]
