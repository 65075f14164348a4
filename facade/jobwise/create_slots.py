"""How many creates a batch sends side by side to a server that may ignore Idempotency-Key.

A create whose answer is lost is settled from the listing, in the window of time it was in
flight: Writer's jobs do not carry their inputs, so two lost creates whose windows overlap can
only be told apart when one of them made nothing. Creates in flight together are exactly such
windows. So creates start one at a time, and go side by side only:

* on a connection that has lost none of the last :data:`CALM` creates (a network that drops
  one answer in four drops two side by side too, and they end ``ambiguous``); any lost create
  puts them back to one at a time;
* as far as the network, not the rate budget, holds them back: one more at a time when a create
  waited on the network at least four times as long as on the budget while others queued for a
  slot, one fewer when it waited longer on the budget than on the network. One at a time, a
  create a round trip of 0.3 s long allows 200 a minute of Writer's 400; three at a time reach
  the limit, and a loopback server with a budget in force keeps one.

The cost, stated: a lost create in flight beside others is settled with theirs, and where two
windows share an unknown job, both items end ``ambiguous`` (never another input's result).
"""

from __future__ import annotations

import asyncio
from types import TracebackType

CALM = 50
"""Creates answered in a row, none lost, before any go side by side."""
NETWORK_BOUND = 4.0
"""A create waited this many times longer on the network than on the budget: add a slot."""


class CreateSlots:
    """An async limit on creates in flight: 1 up to ``ceiling``, set by what creates show."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = max(1, ceiling)
        self.current = 1
        self.active = 0
        self.waiting = 0
        self.calm = 0
        self._changed = asyncio.Event()

    def answered(self, paced: float, network: float) -> None:
        """A create was answered after ``paced`` seconds waiting on the rate budget and
        ``network`` seconds on the network (its attempts, retries included)."""
        self.calm += 1
        if self.calm < CALM:
            return
        if network >= NETWORK_BOUND * paced and self.waiting and self.current < self.ceiling:
            self._resize(self.current + 1)
        elif paced > network and self.current > 1:
            self._resize(self.current - 1)

    def lost(self) -> None:
        """A create's answer was lost: one at a time again, until :data:`CALM` more answer."""
        self.calm = 0
        self._resize(1)

    def _resize(self, slots: int) -> None:
        self.current = slots
        self._changed.set()

    async def __aenter__(self) -> CreateSlots:
        self.waiting += 1
        try:
            while self.active >= self.current:
                self._changed.clear()
                await self._changed.wait()
        finally:
            self.waiting -= 1
        self.active += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.active -= 1
        self._changed.set()
