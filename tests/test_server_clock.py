"""What answers' Date headers teach of the server's clock."""

from __future__ import annotations

import time
from email.utils import formatdate

import httpx
import pytest
from jobwise._async.dated import AsyncDatedTransport
from jobwise.server_clock import DATE_SPAN, DRIFT, ServerClock
from jobwise.signals import TransportSignals

NOW = 1_800_000_000.0  # a whole second


def test_a_date_bounds_the_offset_from_the_second_it_names() -> None:
    clock = ServerClock()
    assert clock.bounds is None
    clock.observe(formatdate(NOW + 30.0, usegmt=True), NOW, NOW + 0.2)  # 30 s ahead
    assert clock.bounds == pytest.approx((29.8, 30.0 + DATE_SPAN))


def test_bounds_learned_long_ago_widen_by_the_clocks_drift_since() -> None:
    # A server clock 0.1 % slow: 1,000 s on, its Date says 999. Intersected as they were, the
    # first answer's bounds kept a lowest offset the clock had drifted below (seed 36761: a
    # lost create's job stamped just before its window, and the create sent again).
    clock = ServerClock()
    clock.observe(formatdate(NOW, usegmt=True), NOW, NOW)
    clock.observe(formatdate(NOW + 999.0, usegmt=True), NOW + 1000.0, NOW + 1000.0)
    assert pytest.approx(1.0) == DRIFT * 1000.0
    assert clock.bounds == pytest.approx((-1.0, DATE_SPAN - 1.0))


def test_dates_narrow_the_bounds_and_a_clock_set_meanwhile_starts_them_again() -> None:
    clock = ServerClock()
    clock.observe(formatdate(NOW, usegmt=True), NOW + 0.5, NOW + 0.6)
    clock.observe(formatdate(NOW + 2.0, usegmt=True), NOW + 2.5, NOW + 2.55)
    assert clock.bounds == pytest.approx((-0.55, DATE_SPAN - 0.5))
    clock.observe(formatdate(NOW + 100.0, usegmt=True), NOW + 3.0, NOW + 3.1)  # set 97 s on
    assert clock.bounds == pytest.approx((96.9, 97.0 + DATE_SPAN))


@pytest.mark.parametrize("date", [None, "", "yesterday", "Mon, 99 Foo 2026 25:61:61 GMT"])
def test_a_missing_or_garbled_date_teaches_nothing(date: str | None) -> None:
    clock = ServerClock()
    clock.observe(date, NOW, NOW + 0.1)
    assert clock.bounds is None


def test_a_date_of_no_zone_is_read_as_gmt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")  # read as local time, it was 5 hours off
    time.tzset()
    clock = ServerClock()
    clock.observe(formatdate(NOW, usegmt=True).replace("GMT", "-0000"), NOW, NOW)
    monkeypatch.undo()
    time.tzset()
    assert clock.bounds == pytest.approx((0.0, DATE_SPAN))


async def test_the_dated_transport_reads_the_wall_clock_around_the_network_only() -> None:
    """Below the pacing: the time a request waited for its turn is not the server's."""
    wall = [NOW]

    def server(request: httpx.Request) -> httpx.Response:
        wall[0] += 0.25  # the round trip
        return httpx.Response(200, headers={"date": formatdate(NOW + 10.0, usegmt=True)})

    signals = TransportSignals()
    dated = AsyncDatedTransport(httpx.MockTransport(server), signals.server_clock, lambda: wall[0])
    await dated.handle_async_request(httpx.Request("GET", "http://127.0.0.1/v1/jobs"))
    assert signals.server_clock.bounds == pytest.approx((9.75, 10.0 + DATE_SPAN))
