"""Request counts by route and status, for tests and benchmarks."""

from __future__ import annotations

from collections import Counter


class Stats:
    """What the emulator saw."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, int]] = Counter()
        self.faults: Counter[str] = Counter()

    def count(self, label: str, status: int) -> None:
        """Count one answered request."""
        self.requests[(label, status)] += 1

    def requests_by_route(self) -> dict[str, dict[str, int]]:
        """``{"GET /job": {"200": 3}}``."""
        out: dict[str, dict[str, int]] = {}
        for (label, status), n in sorted(self.requests.items()):
            out.setdefault(label, {})[str(status)] = n
        return out
