"""What a client needs from its transports, in one small object: requests sent, congestion
answers seen, and whether the server honours Idempotency-Key. The retry transport writes it;
the clients read it (and subscribe to congestion) without reaching into the transport."""

from __future__ import annotations

from collections.abc import Callable


class TransportSignals:
    """Counts attempts, tells subscribers of every 429 or 503, and holds key trust."""

    def __init__(self) -> None:
        self.sent = 0
        self.keys_trusted = False
        """Whether the server honours Idempotency-Key (said by the user, or seen echoed)."""
        self._congestion: list[Callable[[int], None]] = []

    def on_congestion(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call ``callback(status)`` on every 429 or 503 answer; returns what removes it."""
        self._congestion.append(callback)
        return lambda: self._congestion.remove(callback)

    def congested(self, status: int) -> None:
        """Tell every subscriber of a 429 or 503 answer."""
        for callback in self._congestion:
            callback(status)
