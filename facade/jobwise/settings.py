"""Where each client's base URL and credentials come from, checked before any request."""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from jobwise.errors import InvalidArgumentError

log = logging.getLogger("jobwise")

WRITER_DEFAULT_BASE_URL = "https://api.writer.com"
ALLOW_INSECURE_ENV = "JOBWISE_ALLOW_INSECURE"
_YES, _NO = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
_warned_hosts: set[str] = set()
DEFAULT_TIMEOUT = 60.0
"""Seconds one HTTP attempt may take (connect, read, write, pool each)."""


@dataclass(frozen=True)
class Settings:
    """A resolved base URL and bearer token; the token never shows in repr."""

    base_url: str
    token: str = field(repr=False)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def insecure_allowed(allow_insecure: bool) -> bool:
    """``allow_insecure``, or JOBWISE_ALLOW_INSECURE set to 1 (true, yes, on)."""
    if allow_insecure:
        return True
    value = os.environ.get(ALLOW_INSECURE_ENV, "").strip().lower()
    if value not in _YES + _NO:
        raise InvalidArgumentError(ALLOW_INSECURE_ENV, f"must be 1 or 0; got {value!r}")
    return value in _YES


def check_base_url(base_url: object, argument: str, *, allow_insecure: bool) -> str:
    """A usable http(s) URL without a trailing slash; plain http only to loopback or opted in
    (osapi runs on internal hosts over plain http), with a warning logged once per host."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise InvalidArgumentError(argument, f"must be an http(s) URL; got {base_url!r}")
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgumentError(argument, f"must be an http(s) URL with a host; got {url!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidArgumentError(argument, "must not carry credentials, a query or a fragment")
    host = parts.hostname
    if parts.scheme == "http" and not _is_loopback(host):
        if not insecure_allowed(allow_insecure):
            raise InvalidArgumentError(
                argument,
                f"refusing to send a bearer token over plain http to {host}; use https, or "
                f"allow it: allow_insecure=True, --allow-insecure or {ALLOW_INSECURE_ENV}=1",
            )
        if host not in _warned_hosts:
            _warned_hosts.add(host)
            log.warning("jobwise: sending a bearer token over plain http to %s", host)
    return url


def _token(value: object, argument: str, env: str) -> str:
    if value is None:
        value = os.environ.get(env)
        if not value:
            raise InvalidArgumentError(argument, f"missing: pass {argument}= or set {env}")
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(argument, "must be a non-empty string")
    if any(ch.isspace() for ch in value.strip()) or not value.isprintable():
        raise InvalidArgumentError(argument, "must not contain spaces or control characters")
    return value.strip()


def writer_settings(api_key: str | None, base_url: str | None, allow_insecure: bool) -> Settings:
    """Writer: ``api_key`` or WRITER_API_KEY; ``base_url`` or WRITER_BASE_URL or the public API."""
    url = base_url
    if url is None:
        url = os.environ.get("WRITER_BASE_URL") or WRITER_DEFAULT_BASE_URL
    checked = check_base_url(url, "base_url", allow_insecure=allow_insecure)
    if urlsplit(checked).path.lower().endswith("/v1"):
        # Writer's routes carry /v1 themselves: a base ending in it asked for /v1/v1/... and got
        # a 404 that read "no such job or application" (every SDK but Writer's takes /v1 in it).
        raise InvalidArgumentError(
            "base_url",
            f"must not end in /v1 (each path adds it); got {checked!r}: "
            f"pass {checked[: -len('/v1')]!r}",
        )
    return Settings(base_url=checked, token=_token(api_key, "api_key", "WRITER_API_KEY"))


class WriterSdkClient(Protocol):
    """What jobwise reads of a configured ``writerai.Writer`` or ``writerai.AsyncWriter``."""

    @property
    def api_key(self) -> str: ...
    @property
    def base_url(self) -> httpx.URL: ...
    @property
    def timeout(self) -> float | httpx.Timeout | None: ...
    @property
    def max_retries(self) -> int: ...


def writerai_options(client: WriterSdkClient) -> dict[str, Any]:
    """A writerai client's key, base URL, timeout (None: unbounded) and max_retries, as
    jobwise's options: nothing of its transport or its retries."""
    try:
        key, url, timeout, retries = (
            client.api_key,
            client.base_url,
            client.timeout,
            client.max_retries,
        )
    except AttributeError:
        raise InvalidArgumentError(
            "client", f"must be a writerai.Writer or AsyncWriter; got {client!r}"
        ) from None
    timeout = httpx.Timeout(None) if timeout is None else timeout
    return {"api_key": key, "base_url": str(url), "timeout": timeout, "max_retries": retries}


def osapi_settings(base_url: str | None, token: str | None, allow_insecure: bool) -> Settings:
    """osapi: ``base_url`` or OSAPI_URL (required); ``token`` or OSAPI_TOKEN (required)."""
    url = base_url if base_url is not None else os.environ.get("OSAPI_URL")
    if not url:
        raise InvalidArgumentError("base_url", "missing: pass base_url= or set OSAPI_URL")
    return Settings(
        base_url=check_base_url(url, "base_url", allow_insecure=allow_insecure),
        token=_token(token, "token", "OSAPI_TOKEN"),
    )


def check_rate_limit(value: object, argument: str = "rate_limit") -> float | None:
    """Requests per minute: None (not paced until the server tells) or a finite number > 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(argument, f"must be requests per minute; got {value!r}")
    if not 0 < value < float("inf"):
        raise InvalidArgumentError(argument, f"must be > 0 requests per minute; got {value}")
    return float(value)


def writer_rate_limit(value: object) -> float | None:
    """Writer's pace: ``rate_limit`` or WRITER_RPM (requests per minute), else none given."""
    if value is not None:
        return check_rate_limit(value)
    text = os.environ.get("WRITER_RPM", "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        problem = f"must be requests per minute; got {text!r}"
        raise InvalidArgumentError("WRITER_RPM", problem) from None
    return check_rate_limit(number, "WRITER_RPM")
