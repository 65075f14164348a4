"""Run the emulator on loopback: in this thread (the CLI) or a background one (tests)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn

from jobwise_emulator.app import create_app
from jobwise_emulator.config import EmulatorConfig
from jobwise_emulator.connections import TrackingProtocol


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class EmulatorServer:
    """One emulator bound to ``host:port`` (port 0 takes a free one)."""

    def __init__(
        self, config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.app = create_app(config)
        self.sock = _bind(host, port)
        self.base_url = _url(self.sock)
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                http=TrackingProtocol,
                lifespan="off",
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=2,
            )
        )
        self._thread: threading.Thread | None = None

    @property
    def emulator(self) -> Any:
        """The live state (stores, stats) behind the app."""
        return self.app.state.emulator

    def serve_forever(self) -> None:
        """Serve in this thread until SIGINT or SIGTERM."""
        self._server.run(sockets=[self.sock])

    def start(self) -> str:
        """Serve in a daemon thread; returns the base URL once it accepts connections."""
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self.sock]},
            daemon=True,
            name="jobwise-emulator",
        )
        self._thread.start()
        for _ in range(500):
            if self._server.started:
                return self.base_url
            if not self._thread.is_alive():
                break
            threading.Event().wait(0.01)
        raise RuntimeError("the emulator did not start within 5 seconds")

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sock.close()


@contextlib.contextmanager
def run_emulator(
    config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0, **options: Any
) -> Iterator[EmulatorServer]:
    """Start an emulator for the ``with`` block; ``options`` are EmulatorConfig's fields.

    >>> with run_emulator(latency=(0, 0)) as server:
    ...     server.base_url
    'http://127.0.0.1:43211'
    """
    server = EmulatorServer(config or EmulatorConfig(**options), host, port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.asynccontextmanager
async def arun_emulator(
    config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0, **options: Any
) -> AsyncIterator[EmulatorServer]:
    """The async form of :func:`run_emulator` (the server runs in its own thread and loop)."""
    server = EmulatorServer(config or EmulatorConfig(**options), host, port)
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)
