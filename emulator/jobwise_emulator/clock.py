"""One clock for the stores: monotonic seconds for timing, UTC wall time for timestamps."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Maps monotonic instants to wall-clock timestamps fixed at start."""

    def __init__(self) -> None:
        self._mono0 = time.monotonic()
        self._wall0 = datetime.now(UTC)

    def now(self) -> float:
        """Monotonic seconds."""
        return time.monotonic()

    def iso(self, instant: float) -> str:
        """The ISO 8601 UTC timestamp of a monotonic instant."""
        wall = self._wall0 + timedelta(seconds=instant - self._mono0)
        return wall.isoformat().replace("+00:00", "Z")
