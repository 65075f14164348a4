"""The one settlement of a lost POST, for both APIs: the rule, the window, the scan of a
listing for candidates, and adopt / re-send / ambiguous."""

from __future__ import annotations

import pytest
from jobwise.errors import APIConnectionError
from jobwise.lost_posts import (
    OSAPI_SKEW,
    CandidateScan,
    Listed,
    Settlement,
    Window,
    may_be_stored,
    not_stored,
    settle,
)

DATE = "Mon, 07 Dec 2026 16:00:00 GMT"
NOON = 1796659200.0  # DATE in Unix seconds


def test_a_window_is_drawn_back_from_the_servers_date() -> None:
    window = Window.back_from(DATE, elapsed=10.0, wall=0.0)
    assert window == Window(NOON - 10 - OSAPI_SKEW, NOON + OSAPI_SKEW)
    # Without a readable Date, the client's wall clock stands in.
    assert Window.back_from("not a date", 10.0, wall=100.0) == Window(
        100 - 10 - OSAPI_SKEW, 100 + OSAPI_SKEW
    )
    assert window.holds(NOON) and window.holds(None)
    assert not window.holds(NOON - 13) and not window.holds(NOON + 3)


def page(*jobs: tuple[str, float | None, bool]) -> list[Listed]:
    return [Listed(*job) for job in jobs]


def test_the_scan_keeps_candidates_since_the_windows_open_and_ends_at_an_older_page() -> None:
    scan = CandidateScan(lambda: 100.0)
    assert not scan.read(
        page(("new", 120.0, True), ("known", 110.0, False), ("undated", None, True))
    )
    assert not scan.read(page(("edge", 100.0, True), ("old", 99.0, True)))  # not wholly older
    assert scan.found == {"new": 120.0, "undated": None, "edge": 100.0}
    assert not CandidateScan(lambda: 100.0).read(page(("a", 101.0, True), ("b", 99.0, True)))
    done = CandidateScan(lambda: 100.0)
    done.read(page(("a", 101.0, True)))
    assert done.read(page(("b", 99.0, True), ("c", 98.0, True)))  # a page wholly older ends it
    assert scan.within(Window(105.0, 125.0)) == ["new", "undated"]


def test_a_listing_not_newest_first_is_read_whole() -> None:
    scan = CandidateScan(lambda: 100.0)
    assert not scan.read(page(("a", 150.0, True)))
    assert not scan.read(page(("b", 200.0, True)))  # newer than a page before it: no order
    assert not scan.read(page(("c", 50.0, True)))  # wholly older, yet not the end
    assert not scan.read(page(("d", 130.0, True)))
    assert scan.found == {"a": 150.0, "b": 200.0, "d": 130.0}


def test_opens_is_read_at_the_first_page() -> None:
    opens = [0.0]
    scan = CandidateScan(lambda: opens[0])
    opens[0] = 100.0  # the first answer dated the server's clock
    scan.read(page(("a", 50.0, True)))
    assert scan.found == {}


@pytest.mark.parametrize(
    ("candidates", "may_adopt", "settlement"),
    [
        ([], True, Settlement.RESEND),
        ([], False, Settlement.RESEND),
        (["j1"], True, Settlement.ADOPT),
        (["j1"], False, Settlement.AMBIGUOUS),
        (["j1", "j2"], True, Settlement.AMBIGUOUS),
    ],
)
def test_settle(candidates: list[str], may_adopt: bool, settlement: Settlement) -> None:
    assert settle(candidates, may_adopt=may_adopt) is settlement


def test_a_candidate_two_lost_posts_may_have_made_is_adopted_by_neither() -> None:
    assert settle(["j1"], claims={"j1": 2}) is Settlement.AMBIGUOUS
    assert settle(["j1"], claims={"j1": 1, "j2": 2}) is Settlement.ADOPT


def test_the_rule_reads_what_the_failure_says() -> None:
    sent = APIConnectionError("reset", may_have_arrived=True)
    refused = APIConnectionError("refused", may_have_arrived=False)
    assert may_be_stored(sent) and not not_stored(sent)
    assert not may_be_stored(refused) and not_stored(refused)
