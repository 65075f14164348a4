"""The connection's request builder makes exactly what ``httpx.Client.build_request`` makes,
and an answer's headers read in one pass are what httpx reads."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from jobwise._api import osapi, writer
from jobwise.http import Request, RequestBuilder, call_options, header_text, header_values
from jobwise.validation import normalize_inputs

JOB = uuid.UUID("6f1c2c8e-3f0a-4a43-9d55-0d3c5b1b2a10")
REQUESTS: dict[str, Request] = {
    "writer create": writer.create_request(
        "app 1/é", normalize_inputs({"Product": ["shoe", "sock"]}), "key-123456789"
    ),
    "writer retry": writer.retry_request("job-1", "key-123456789"),
    "writer retrieve": writer.retrieve_request("job/1?x"),
    "writer list": writer.list_request("app-1", None, 200, 100),
    "osapi retrieve": osapi.under("/api", osapi.retrieve_request(JOB)),
    "osapi retry": osapi.retry_request(JOB, "web-01"),
    "osapi delete": osapi.delete_request(JOB),
    "osapi list": osapi.list_request(None, 0, 50),
    "a client's header replaced": {"method": "get", "url": "/j", "headers": {"x-CALLER": "new"}},
    "a header not text": {"method": "put", "url": "/j", "json": [1], "headers": {"X-N": b"1"}},
}
BASES = ("https://api.writer.com", "http://127.0.0.1:8080/api/", "http://[::1]:9/v")
OPTIONS: dict[str, dict[str, Any]] = {
    "client's": call_options(None, None),
    "timeout": call_options(5, None),
    "within": call_options(None, 2.5),
    "both": call_options(httpx.Timeout(3, connect=1), 9),
}


def _client(base_url: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": "Bearer secret-token", "X-Caller": "kept"},
        timeout=httpx.Timeout(7, read=11),
    )


def _same(built: httpx.Request, expected: httpx.Request) -> None:
    assert built.method == expected.method
    assert built.url == expected.url
    assert built.headers.multi_items() == expected.headers.multi_items()
    assert built.headers.raw == expected.headers.raw  # names as sent, in the same order
    assert built.stream.__class__ is expected.stream.__class__
    assert built.read() == expected.read()
    assert built.extensions == expected.extensions


@pytest.mark.parametrize("base_url", BASES)
@pytest.mark.parametrize("name", REQUESTS)
@pytest.mark.parametrize("options", OPTIONS)
def test_built_as_httpx_builds_it(base_url: str, name: str, options: str) -> None:
    client = _client(base_url)
    request = REQUESTS[name]
    builder = RequestBuilder(client)
    for _ in range(2):  # the first builds the URL, the second takes it from the cache
        _same(
            builder.build(**request, **OPTIONS[options]),
            client.build_request(**request, **OPTIONS[options]),
        )


def test_the_url_cache_stays_bounded() -> None:
    client = _client(BASES[0])
    builder = RequestBuilder(client)
    pages = RequestBuilder.CACHED_URLS * 2 + 7
    for offset in range(pages):
        request = writer.list_request("app-1", None, offset, 100)
        _same(builder.build(**request), client.build_request(**request))
    assert 0 < len(builder._urls) <= RequestBuilder.CACHED_URLS


def test_a_request_the_builder_does_not_know_fails_loudly() -> None:
    with pytest.raises(TypeError, match="files"):
        RequestBuilder(_client(BASES[0])).build("POST", "/upload", files={"f": b"x"})


@pytest.mark.parametrize(
    "raw",
    [
        [(b"Date", b"Tue, 08 Dec 2026 00:20:00 GMT"), (b"Content-Length", b"97")],
        [(b"date", b"a"), (b"DATE", b"b"), (b"content-length", b"1")],  # joined, as httpx does
        [(b"Server", b"x")],
        [(b"Date", "lundi 8 d\u00e9c".encode("latin-1")), (b"X", "\u00e9".encode())],
    ],
)
def test_headers_read_in_one_pass_are_what_httpx_reads(raw: list[tuple[bytes, bytes]]) -> None:
    headers = httpx.Headers(raw)
    found = header_values(headers, b"date", b"content-length")
    for name in ("date", "content-length"):
        assert header_text(headers, name, found[name.encode()]) == headers.get(name)
