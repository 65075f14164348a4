"""What a server's rate-limit headers say, read alone (the budget's use of it: test_pacing)."""

from __future__ import annotations

import httpx
import pytest
from jobwise.rate_headers import RateHeaders, read_rate_headers


def read(headers: dict[str, str], wall: float = 0.0) -> RateHeaders | None:
    return read_rate_headers(httpx.Headers(headers), 60.0, lambda: wall)


def test_an_answer_without_rate_headers_says_nothing() -> None:
    assert read({"content-type": "application/json", "x-request-id": "1"}) is None


@pytest.mark.parametrize(
    ("headers", "said"),
    [
        ({"RateLimit-Limit": "400"}, RateHeaders(400.0, None)),
        ({"RateLimit-Limit": "100;w=10"}, RateHeaders(600.0, None)),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"}, RateHeaders(None, 7.0)),
        (
            {"RateLimit-Limit": "10", "RateLimit-Remaining": "3", "RateLimit-Reset": "7"},
            RateHeaders(10.0, None),
        ),
    ],
)
def test_the_limit_and_a_spent_allowance_are_read(
    headers: dict[str, str], said: RateHeaders
) -> None:
    assert read(headers) == said


def test_an_epoch_reset_is_read_against_the_wall_clock() -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000007"}
    assert read(headers, wall=1_700_000_000.0) == RateHeaders(None, 7.0)
    assert read(headers, wall=1_700_000_009.0) == RateHeaders(None, 0.0)


@pytest.mark.parametrize("value", ["many", "-5", "inf", "nan", ""])
def test_an_unreadable_limit_is_no_limit(value: str) -> None:
    assert read({"RateLimit-Limit": value}) == RateHeaders(None, None)
