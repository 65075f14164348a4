"""Requests that break Writer's spec answer 400 in Writer's shape."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .support import is_writer_error


@pytest.mark.parametrize(
    ("method", "path", "body", "params"),
    [
        ("POST", "/v1/applications/app/jobs", {"inputs": []}, None),
        ("POST", "/v1/applications/app/jobs", {"inputs": [{"id": "x", "value": "no list"}]}, None),
        ("POST", "/v1/applications/app/jobs", {"nothing": 1}, None),
        ("POST", "/v1/applications/app/jobs", None, None),
        ("GET", "/v1/applications/app/jobs", None, {"status": "queued"}),
        ("GET", "/v1/applications/app/jobs", None, {"offset": "-1"}),
        ("GET", "/v1/applications/app/jobs", None, {"limit": "abc"}),
        ("GET", "/v1/applications/app/jobs", None, {"limit": "101"}),
    ],
)
def test_writer_bad_requests_answer_400_in_writer_shape(
    http: httpx.Client, method: str, path: str, body: Any, params: Any
) -> None:
    response = http.request(method, path, json=body, params=params)
    assert response.status_code == 400
    assert is_writer_error(response.json()) and response.json()["tpe"] == "BadRequest"
