"""What a client needs from its transports, in one small object: requests sent, congestion
answers seen, whether the server honours Idempotency-Key, and the server's clock. The retry,
echo and dated transports write it; the clients read it (and subscribe to congestion)
without reaching into a transport."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from jobwise.server_clock import ServerClock


class TransportSignals:
    """Counts attempts, tells subscribers of every 429 or 503, holds key trust and the
    server's clock."""

    def __init__(self) -> None:
        self.sent = 0
        self.keys_trusted = False
        """Whether the server honours Idempotency-Key (said by the user, or seen echoed)."""
        self.server_clock = ServerClock()
        """The server's clock, from each answer's Date (the dated transport's)."""
        self._congestion: list[Callable[[int], None]] = []

    def heard(self, request: httpx.Request, response: httpx.Response) -> None:
        """Trust keys once an answer echoes the request's Idempotency-Key back."""
        # Most answers echo none: one pass over the answer's raw names first, not two lookups
        # in httpx's Headers (each decodes every header) on every POST of an untrusted server.
        if not any(name.lower() == b"idempotency-key" for name, _ in response.headers.raw):
            return
        key = request.headers.get("idempotency-key")
        if key is not None and response.headers.get("idempotency-key") == key:
            self.keys_trusted = True

    def on_congestion(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call ``callback(status)`` on every 429 or 503 answer; returns what removes it."""
        self._congestion.append(callback)
        return lambda: self._congestion.remove(callback)

    def congested(self, status: int) -> None:
        """Tell every subscriber of a 429 or 503 answer."""
        for callback in self._congestion:
            callback(status)
