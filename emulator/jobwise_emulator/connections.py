"""Open connections by address, so a fault can drop one without answering."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # httptools is optional; h11 always comes with uvicorn
    _Base = H11Protocol  # type: ignore[assignment,misc]

Address = tuple[Any, ...]
OPEN: dict[tuple[Address | None, Address | None], asyncio.Transport] = {}


class TrackingProtocol(_Base):
    """uvicorn's HTTP protocol, registering each transport under (server, client)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._jobwise_key = (self.server, self.client)
        OPEN[self._jobwise_key] = transport

    def connection_lost(self, exc: Exception | None) -> None:
        OPEN.pop(getattr(self, "_jobwise_key", None), None)  # type: ignore[arg-type]
        super().connection_lost(exc)


class QuietDrops(logging.Filter):
    """Hides uvicorn's complaint about the answers :func:`drop` withholds on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without starting response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(QuietDrops())


def drop(scope: dict[str, Any]) -> bool:
    """Abort the connection a request came on; False when it cannot be found."""
    server, client = scope.get("server"), scope.get("client")
    transport = OPEN.get((tuple(server) if server else None, tuple(client) if client else None))
    if transport is None:
        return False
    transport.abort()
    return True
