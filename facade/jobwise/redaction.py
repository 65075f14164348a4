"""Credentials a server sends back (an echoed Idempotency-Key, the bearer token) are replaced in
its answer before anything reads it, so they reach no error (its message, ``body`` or
``headers``), no parsed job, no CLI output and no batch file."""

from __future__ import annotations

import httpx

from jobwise.http import header_values

REDACTED = b"[redacted]"
MIN_SECRET_LENGTH = 8
"""Shorter values are not credentials anyone issues (a one-letter test token is), and replacing
every occurrence of them would garble the answer."""


def _secrets(request: httpx.Request) -> list[bytes]:
    """The bearer token and the Idempotency-Key ``request`` carries."""
    # Read from the raw header bytes in one pass: two lookups in httpx's Headers (each decodes
    # every header) were a third of redacting each answer. Only ASCII values, where the text
    # httpx would decode is the same bytes; any other goes the way httpx reads it.
    found = header_values(request.headers, b"authorization", b"idempotency-key")
    auth, keys = found[b"authorization"], found[b"idempotency-key"]
    if all(value.isascii() for value in auth + keys):
        scheme, _, secret = b", ".join(auth).partition(b" ")
        given = (secret if scheme.lower() == b"bearer" else b"", b", ".join(keys))
        return [value for value in given if len(value) >= MIN_SECRET_LENGTH]
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    key = request.headers.get("idempotency-key", "")
    values = (token if scheme.lower() == "bearer" else "", key)
    return [value.encode() for value in values if len(value) >= MIN_SECRET_LENGTH]


def redacted(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    """``response`` (read whole), or a copy with every credential of ``request`` replaced."""
    body = response.content
    secrets = _secrets(request)
    if not secrets:
        return response
    raw = response.headers.raw
    # The header values joined once: a look per secret and header was nearly half of redacting each
    # answer. A secret in any value is in the joined bytes; one found only across a joint (a
    # secret holding a line break, which no header value may) costs a copy that replaces
    # nothing.
    values = b"\n".join([value for _, value in raw])
    hidden = [secret for secret in secrets if secret in body or secret in values]
    if not hidden:
        return response
    headers = []
    for name, value in response.headers.raw:
        if name.lower() == b"content-length":  # the body's length changes
            continue
        for secret in hidden:
            value = value.replace(secret, REDACTED)
        headers.append((name, value))
    for secret in hidden:
        body = body.replace(secret, REDACTED)
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=body,
        extensions=response.extensions,
        request=request,
    )
