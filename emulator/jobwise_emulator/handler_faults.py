"""Faults decided inside handlers: 200 answers that are not JSON, and held create answers."""

from __future__ import annotations

import asyncio
import random

from starlette.responses import HTMLResponse

from jobwise_emulator.config import EmulatorConfig
from jobwise_emulator.stats import Stats

GARBAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>Bad Gateway</h1><p>The upstream answered nothing useful.</p></body></html>"
)


class HandlerFaults:
    """Seeded choices: which GETs and list pages answer HTML, which creates are held."""

    def __init__(self, config: EmulatorConfig, stats: Stats) -> None:
        self._config = config
        self._stats = stats
        rng = random.Random(f"handler-faults-{config.seed}")
        self._rngs = {name: random.Random(rng.random()) for name in ("get", "list", "hold")}

    def _roll(self, name: str, rate: float) -> bool:
        return rate > 0 and self._rngs[name].random() < rate

    def garbage(self, kind: str, forced: bool = False) -> HTMLResponse | None:
        """A 200 HTML answer for a job GET (``kind`` "get") or a list page ("list"), or None."""
        rate = self._config.garbage_get_rate if kind == "get" else self._config.garbage_list_rate
        if not (forced or self._roll(kind, rate)):
            return None
        self._stats.faults[f"garbage_{kind}"] += 1
        return HTMLResponse(GARBAGE, status_code=200)

    async def hold_create(self) -> None:
        """Wait ``hold_create`` seconds (speed-scaled) before a stored create is answered."""
        config = self._config
        if config.hold_create <= 0 or not self._roll("hold", config.hold_create_rate):
            return
        self._stats.faults["held_create"] += 1
        await asyncio.sleep(config.seconds(config.hold_create))
