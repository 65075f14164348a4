"""Listing every job page after page, in constant memory, never early and never forever."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One answer of a list call: its items, the server's total (if said) and echoed limit."""

    items: list[T]
    total: int | None
    limit: int | None


class PageWalk(Generic[T]):
    """Offsets to ask for and when to stop (no I/O).

    * The next offset is ours (offset + items received), never the server's echo.
    * It stops on ``total`` when the server gives one, else on a short or empty page,
      so it never stops early when ``pagination`` is omitted.
    * Pages shift while they are read (new jobs arrive at the head): the ids of the last
      ``memory`` pages are kept, so a job seen twice is yielded once, in constant memory.
    * A full page of nothing new means the server ignores the offset: stop, do not loop.
    """

    def __init__(self, page_size: int, key: Callable[[T], str], memory: int = 3) -> None:
        self.page_size = page_size
        self.key = key
        self.offset = 0
        self.done = False
        self.recent: deque[set[str]] = deque(maxlen=memory)

    def take(self, page: Page[T]) -> list[T]:
        """The page's items not yielded before; updates the offset and ``done``."""
        ids: set[str] = set()
        fresh: list[T] = []
        for item in page.items:
            item_id = self.key(item)
            if item_id in ids or any(item_id in seen for seen in self.recent):
                continue
            ids.add(item_id)
            fresh.append(item)
        self.recent.append(ids)
        received = len(page.items)
        self.offset += received
        expected = min(self.page_size, page.limit) if page.limit else self.page_size
        if received == 0 or (received and not fresh):
            self.done = True
        elif page.total is not None:
            self.done = self.offset >= page.total
        else:
            self.done = received < expected
        return fresh
