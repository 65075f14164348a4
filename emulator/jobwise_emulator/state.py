"""One emulator's live state: its options, stores, key memory, stats and scripted answers."""

from __future__ import annotations

from jobwise_emulator.clock import Clock
from jobwise_emulator.config import EmulatorConfig
from jobwise_emulator.handler_faults import HandlerFaults
from jobwise_emulator.idempotency import IdempotencyCache
from jobwise_emulator.osapi_store import OsapiStore
from jobwise_emulator.stats import Stats
from jobwise_emulator.writer_store import WriterStore


class EmulatorState:
    """What the handlers share."""

    def __init__(self, config: EmulatorConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock = clock or Clock()
        self.writer = WriterStore(config, clock)
        self.osapi = OsapiStore(config, clock)
        self.idempotency = IdempotencyCache(honour=config.idempotency == "honour")
        self.stats = Stats()
        self.faults = HandlerFaults(config, self.stats)
        self.script: list[tuple[int, dict[str, str]]] = []
