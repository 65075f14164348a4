"""A lazy pager over a list endpoint; :class:`jobwise.pagination.PageWalk` decides."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

from jobwise.pagination import Page, PageWalk

T = TypeVar("T")


class AsyncPager(Generic[T]):
    """Every item, lazily: ``async for job in pager`` or ``async for page in pager.pages()``."""

    def __init__(
        self,
        fetch: Callable[[int, int], Awaitable[Page[T]]],
        page_size: int,
        key: Callable[[T], str],
    ) -> None:
        self._fetch = fetch
        self._page_size = page_size
        self._key = key

    async def pages(self) -> AsyncIterator[list[T]]:
        """Each page's new items (a page whose items were all seen before is skipped)."""
        walk = PageWalk(self._page_size, self._key)
        while not walk.done:
            fresh = walk.take(await self._fetch(walk.offset, self._page_size))
            if fresh:
                yield fresh

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page:
                yield item
