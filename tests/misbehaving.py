"""A tiny HTTP/1.1 server on 127.0.0.1 that misbehaves as a test scripts it, one answer per
connection: drip a body a byte at a time, drop the connection mid-body, echo what it was sent."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

Answer = Callable[[socket.socket, bytes], None]
"""Writes the answer to one request (given its head and body) on the socket."""

MAX_CONNECTIONS = 50
SERVE_SECONDS = 60.0


def head(status: int, length: int, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n"
        f"connection: close\r\n{extra}\r\n"
    ).encode()


def whole(status: int, body: Any, extra: str = "") -> Answer:
    """A well-formed answer."""
    data = json.dumps(body).encode()
    return lambda conn, request: conn.sendall(head(status, len(data), extra) + data)


def drip(body: Any, interval: float) -> Answer:
    """The head at once, then the body one byte every ``interval`` seconds."""
    data = json.dumps(body).encode()

    def answer(conn: socket.socket, request: bytes) -> None:
        conn.sendall(head(200, len(data)))
        for byte in data:
            time.sleep(interval)
            conn.sendall(bytes([byte]))

    return answer


def cut(status: int, body: Any) -> Answer:
    """The head and a third of the body, then the connection closes."""
    data = json.dumps(body).encode()
    return lambda conn, request: conn.sendall(head(status, len(data)) + data[: len(data) // 3])


def header(request: bytes, name: str) -> str:
    """A header's value in a raw request ("" when absent)."""
    for line in request.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.encode():
            return value.strip().decode()
    return ""


def echo_credentials(conn: socket.socket, request: bytes) -> None:
    """A POST is refused (400) with its Idempotency-Key and Authorization echoed in the body and
    the headers; a GET gets an empty list page."""
    if not request.startswith(b"POST"):
        whole(200, {"result": []})(conn, request)
        return
    key, auth = header(request, "idempotency-key"), header(request, "authorization")
    body = {"error": f"key {key} was used before", "details": f"you sent {auth}"}
    whole(400, body, f"idempotency-key: {key}\r\nx-seen: {auth}\r\n")(conn, request)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    top, _, body = data.partition(b"\r\n\r\n")
    for line in top.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            while len(body) < int(value):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                body += chunk
    return data


class Server:
    """Answers the n-th connection with ``answers[n]`` (the last repeats); ``requests`` holds
    what each connection sent."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers = answers
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.listener.settimeout(0.1)  # wake to notice the stop (close does not wake accept)
        ends = time.monotonic() + SERVE_SECONDS
        n = 0
        while n < MAX_CONNECTIONS and not self.stop.is_set() and time.monotonic() < ends:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(SERVE_SECONDS)
            answer = self.answers[min(n, len(self.answers) - 1)]
            n += 1
            threading.Thread(target=self._answer, args=(conn, answer), daemon=True).start()

    def _answer(self, conn: socket.socket, answer: Answer) -> None:
        with conn:
            request = _read_request(conn)
            self.requests.append(request)
            with suppress(OSError):  # the client hung up, as it should on a misbehaving answer
                answer(conn, request)


@contextmanager
def serving(*answers: Answer) -> Iterator[Server]:
    """A server answering connections in turn, stopped at the end."""
    server = Server(list(answers))
    server.thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.thread.join(timeout=5)
        server.listener.close()


@contextmanager
def never_answers() -> Iterator[str]:
    """The URL of a server that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    done = threading.Event()

    def hold() -> None:
        while not done.is_set():
            with suppress(TimeoutError):
                held.append(listener.accept()[0])

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        holder.join()
        for conn in [*held, listener]:
            conn.close()
