"""Helpers of the batch tests: inputs to run, and what an emulator counted."""

from __future__ import annotations

from typing import Any

import httpx


def stats(base_url: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(f"{base_url}/_emulator/stats").json()
    return answer


def requests_of(seen: dict[str, Any]) -> int:
    """The API requests an emulator's stats count (not its own admin routes)."""
    by_route = seen["requests"]
    return sum(sum(codes.values()) for route, codes in by_route.items() if "_emulator" not in route)


def products(n: int, fail_every: int = 0) -> list[dict[str, str]]:
    return [
        {"Product": f"product {i}" + (" fail" if fail_every and i % fail_every == 0 else "")}
        for i in range(n)
    ]
