"""What the sync and async connections share: options, headers, and turning answers into
results or jobwise errors. No I/O here."""

from __future__ import annotations

from collections.abc import Callable
from json import JSONEncoder
from typing import Any, TypeVar

import httpx

from jobwise._version import __version__
from jobwise.attempts import CALL_TIMEOUT, longest
from jobwise.errors import (
    APIConnectionError,
    APITimeoutError,
    InvalidArgumentError,
    InvalidResponseError,
    error_for,
)
from jobwise.retries import IDEMPOTENCY_MODES, RetryPolicy, never_sent, parse_retry_after
from jobwise.settings import Settings

T = TypeVar("T")
Timeout = float | httpx.Timeout | None
Request = dict[str, Any]
"""One request as the generated code builds it: ``httpx.Client.request``'s keyword arguments."""
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=50)
encode_json = JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
"""How httpx encodes a ``json=`` body (httpx._content.encode_json). One encoder made once:
``json.dumps`` with any option makes a new one each call (1.6 of a body's 3.0 us)."""


def auth_headers(settings: Settings, http_client: httpx.Client | httpx.AsyncClient | None) -> Any:
    """A caller's client's headers, with the bearer token and jobwise's User-Agent."""
    merged = dict(http_client.headers) if http_client is not None else {}
    merged["Authorization"] = f"Bearer {settings.token}"
    merged.setdefault("User-Agent", f"jobwise/{__version__}")
    return merged


def retry_policy_of(max_retries: int, retry_policy: RetryPolicy | None) -> RetryPolicy:
    """The retry policy: ``retry_policy`` when given, else the default with ``max_retries``."""
    if retry_policy is not None:
        return retry_policy
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise InvalidArgumentError("max_retries", f"must be an integer >= 0; got {max_retries!r}")
    return RetryPolicy(max_retries=max_retries)


def idempotency_mode(value: object) -> str:
    """A checked ``idempotency`` option."""
    if value not in IDEMPOTENCY_MODES:
        raise InvalidArgumentError(
            "idempotency", f"must be one of {', '.join(IDEMPOTENCY_MODES)}; got {value!r}"
        )
    return str(value)


def check_timeout(value: Timeout) -> httpx.Timeout:
    """A checked per-attempt timeout."""
    if isinstance(value, httpx.Timeout):
        return value
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError("timeout", f"must be a number of seconds; got {value!r}")
    if not value > 0:
        raise InvalidArgumentError("timeout", f"must be > 0; got {value}")
    return httpx.Timeout(float(value))


class RequestBuilder:
    """Builds the generated code's requests exactly as ``client.build_request`` does, at a
    fifth of its cost.

    httpx parses the base URL and the path again on every call: 190 us of the 330 us that a
    create spent in jobwise's own code (no network). The merged URL of each (path, query) is
    built by httpx once and kept; headers and body are built as httpx builds them."""

    CACHED_URLS = 1024
    """URLs kept at most (a listing's offsets are many; one batch's distinct paths are few)."""

    def __init__(self, client: httpx.Client | httpx.AsyncClient) -> None:
        self._client = client
        self._urls: dict[tuple[str, tuple[tuple[str, Any], ...]], httpx.URL] = {}

    def build(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> httpx.Request:
        """The request; the keyword arguments are ``httpx.Client.build_request``'s."""
        key = (url, tuple(params.items()) if params else ())
        merged = self._urls.get(key)
        if merged is None:
            if len(self._urls) >= self.CACHED_URLS:
                self._urls.clear()
            merged = self._urls[key] = self._client.build_request(method, url, params=params).url
        chosen = self._client.timeout if timeout is None else timeout
        options = {**(extensions or {}), "timeout": chosen.as_dict()}
        if headers and not all(type(v) is str for v in headers.values()):
            sent = self._client.headers.copy()  # what httpx makes of other values, or refuses
            sent.update(headers)
            return httpx.Request(method, merged, headers=sent, json=json, extensions=options)
        # httpx's Headers copied, updated, then looked up and rebuilt by Request._prepare took
        # 95 of the 125 us a create's request took to build (70% of a create's building CPU):
        # the same header list in the same order, as bytes, built once here: ~35 us.
        body = b"" if json is None else encode_json(json).encode("utf-8")
        raw = self._client.headers.raw
        if headers:
            added = [(name.encode("ascii"), text.encode("ascii")) for name, text in headers.items()]
            given = {name.lower() for name, _ in added}
            raw = [item for item in raw if item[0].lower() not in given] + added
        names = {name.lower() for name, _ in raw}
        if json is not None:  # httpx's encode_json's headers, each unless given
            if b"content-length" not in names:
                raw.append((b"Content-Length", str(len(body)).encode("ascii")))
            if b"content-type" not in names:
                raw.append((b"Content-Type", b"application/json"))
            names |= {b"content-length", b"content-type"}
        auto = []  # Request._prepare's
        if b"host" not in names and merged.host:
            auto.append((b"Host", merged.netloc))
        has_length = b"content-length" in names or b"transfer-encoding" in names
        if not has_length and method.upper() in ("POST", "PUT", "PATCH"):
            auto.append((b"Content-Length", b"0"))
        built = httpx.Request(
            method, merged, headers=auto + raw, stream=httpx.ByteStream(body), extensions=options
        )
        built.read()
        return built


def call_options(timeout: Timeout, within: float | None) -> dict[str, Any]:
    """httpx options of one call: ``timeout`` bounds its attempts (each phase, and each attempt
    whole) and the call, retries included; ``within`` bounds the call only. Empty when neither
    is given: the client's timeout and the retry policy's deadline apply."""
    options: dict[str, Any] = {}
    if timeout is not None:
        options["timeout"] = checked = check_timeout(timeout)
        whole = longest(checked.as_dict())
        if whole is not None:
            within = whole if within is None else min(within, whole)
    if within is not None:
        options["extensions"] = {CALL_TIMEOUT: within}
    return options


def header_values(headers: httpx.Headers, *names: bytes) -> dict[bytes, list[bytes]]:
    """The raw values of each of ``names`` (lower case) in ``headers``, in one pass over its
    raw bytes. A look-up in httpx's Headers walks every header, and the first one made decodes
    them all to choose an encoding: 28 of 1,297 samples of scripts/profile_batch.py went to
    the five an answer had (its Date, Content-Length and Content-Encoding), ~8 us a job."""
    found: dict[bytes, list[bytes]] = {name: [] for name in names}
    for name, value in headers.raw:
        held = found.get(name.lower())
        if held is not None:
            held.append(value)
    return found


def header_text(headers: httpx.Headers, name: str, values: list[bytes]) -> str | None:
    """``headers.get(name)``, given the raw ``values`` :func:`header_values` found for it: one
    ASCII value is the text httpx would decode; several, or other bytes, are left to httpx."""
    if not values:
        return None
    if len(values) == 1 and values[0].isascii():
        return values[0].decode("ascii")
    text: str | None = headers.get(name)
    return text


def check(response: httpx.Response) -> httpx.Response:
    """The response if it is a 2xx; else the matching APIError (any code, any body)."""
    if 200 <= response.status_code < 300:
        return response
    response.read()
    raise error_for(response, parse_retry_after(response.headers))


def parse(response: httpx.Response, parser: Callable[[Any], T]) -> T:
    """Parse a success body with a generated model; a mismatch is an InvalidResponseError."""
    try:
        return parser(response.json())
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        path = response.request.url.path
        raise InvalidResponseError(
            f"{response.request.method} {path} answered {response.status_code} with a body "
            f"that does not match openapi.yaml ({type(exc).__name__}: {exc})"
        ) from exc


def connection_error(exc: httpx.TransportError) -> Exception:
    """The jobwise error for a request that got no answer."""
    try:
        request: httpx.Request | None = exc.request
    except RuntimeError:
        request = None
    where = f"{request.method} {request.url.copy_with(query=None)}" if request else "request"
    arrived = not never_sent(exc)
    if isinstance(exc, httpx.TimeoutException):
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return APITimeoutError(f"{where} timed out ({detail})", arrived, request)
    return APIConnectionError(f"{where} failed: {type(exc).__name__}: {exc}", arrived, request)
