"""Listing every job page after page, each once, never early and never forever."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from jobwise.errors import InvalidResponseError
from jobwise.seen_ids import SeenIds

T = TypeVar("T")
MAX_LISTED = 100_000_000
"""Jobs one listing may yield: 100x the largest listing benchmarked (1,000,000 jobs); a server
past it is taken to be inventing pages, and the listing stops with an error, not forever."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One answer of a list call: its items, the server's total (if said) and echoed limit."""

    items: list[T]
    total: int | None
    limit: int | None


class PageWalk(Generic[T]):
    """Offsets to ask for and when to stop (no I/O).

    * The next offset is ours (offset + items received), never the server's echo.
    * A full page is followed by another whatever ``total`` says (a server's total can be too
      small); a short page ends the listing unless ``total`` says more remain (a server that
      caps its pages without saying so); an empty page ends it. So it never stops early when
      ``pagination`` or ``totalCount`` is omitted or wrong, at the cost of one more call when
      the last page is exactly full.
    * Pages shift while they are read (new jobs arrive at the head, however many): the id of
      every job yielded is kept (:class:`~jobwise.seen_ids.SeenIds`: about 27 bytes a UUID
      past the first 4,096), so each is yielded once.
    * A page of jobs all seen before is no evidence that the server ignores the offset: jobs
      created meanwhile push seen ones into the next page. The same page twice in a row, with
      the same total (nothing new in the application), is: there the listing stops.
    """

    def __init__(self, page_size: int, key: Callable[[T], str]) -> None:
        self.page_size = page_size
        self.key = key
        self.offset = 0
        self.done = False
        self.seen = SeenIds()
        self._last: tuple[list[str], int | None] | None = None

    def take(self, page: Page[T]) -> list[T]:
        """The page's items not yielded before; updates the offset and ``done``."""
        ids = [self.key(item) for item in page.items]
        fresh: list[T] = []
        for item, item_id in zip(page.items, ids, strict=True):
            if self.seen.add(item_id):
                fresh.append(item)
        repeated = self._last == (ids, page.total)
        self._last = (ids, page.total)
        received = len(page.items)
        self.offset += received
        expected = min(self.page_size, page.limit) if page.limit else self.page_size
        if not received or repeated:
            self.done = True
        elif received < expected:
            self.done = page.total is None or self.offset >= page.total
        if not self.done and self.offset >= MAX_LISTED:
            raise InvalidResponseError(
                f"the listing passed {MAX_LISTED:,} jobs and the server still sends more"
            )
        return fresh
