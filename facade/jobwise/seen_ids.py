"""The ids a listing has yielded, each kept exactly and, past :data:`LOOSE` of them, compactly.

A listing keeps every id it yields so that pages shifting under new jobs never yield one twice
(:class:`jobwise.pagination.PageWalk`), and no published order lets it forget any. As strings
in a set they cost about 120 bytes each (a 36-character string, 85; its slot, 34): 108 MB
listing a million jobs, for a client that needs 42 MB listing ten thousand. Writer's and
osapi's job ids are UUIDs (both publish ``format: uuid``), 16 bytes of information each: once
there are many, each id in the canonical form (lowercase, hyphenated) is kept as its two 64-bit
halves in arrays, indexed by an open-addressing table of 4-byte slots (at most two thirds full):
about 27 bytes an id (a million: 27 MB, 35 MB at the peak of a resize). The form's text and its
128 bits determine each other, so equality stays exactly that of the strings; any other id
stays a string. The cost: about 2.5 us an id past :data:`LOOSE` (a set: 0.3 us), a fifth more
time listing a million jobs on loopback.
"""

from __future__ import annotations

import re
from array import array

LOOSE = 1 << 12
"""Ids kept as strings before the UUIDs among them are packed: a listing or a batch's sweep of
fewer (40 pages of 100) keeps the set's speed. At 65,536 the strings' 8 MB
stayed in the process's arenas once packed: 53 bytes a job listing 300,000 where this makes
it 25."""
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_MIX = 0x9E3779B97F4A7C15
"""Fibonacci hashing's multiplier (2**64 over the golden ratio): its product's top bits spread
ids whose varying bits are anywhere in them (time-based UUIDs vary only in their first half)."""
_LOW = (1 << 64) - 1
_FIRST_BITS = 13  # the table's first size: 2**13 slots, LOOSE ids fill half


class SeenIds:
    """A set of ids that only grows: :meth:`add` records one and tells whether it was new."""

    def __init__(self) -> None:
        self._strings: set[str] = set()
        self._packed = False
        self._highs = array("Q")
        self._lows = array("Q")
        self._bits = 0
        self._slots = array("I")
        """Each slot 0 (empty) or the 1-based index of an id's halves."""

    def __len__(self) -> int:
        return len(self._highs) + len(self._strings)

    def add(self, item_id: str) -> bool:
        """Record ``item_id``; whether it was not recorded before."""
        if self._packed and _UUID.match(item_id) is not None:
            number = int(item_id.replace("-", ""), 16)
            return self._put(number >> 64, number & _LOW)
        if item_id in self._strings:
            return False
        self._strings.add(item_id)
        if not self._packed and len(self._strings) >= LOOSE:
            self._pack()
        return True

    def _pack(self) -> None:
        self._packed = True
        self._index(_FIRST_BITS)
        for item_id in [s for s in self._strings if _UUID.match(s) is not None]:
            self._strings.discard(item_id)
            number = int(item_id.replace("-", ""), 16)
            self._put(number >> 64, number & _LOW)

    def _put(self, high: int, low: int) -> bool:
        """Record an id by its halves (linear probing); whether it was new."""
        highs, lows, slots, bits = self._highs, self._lows, self._slots, self._bits
        mask = (1 << bits) - 1
        slot = (((high ^ low) * _MIX) & _LOW) >> (64 - bits)
        while at := slots[slot]:
            if highs[at - 1] == high and lows[at - 1] == low:
                return False
            slot = (slot + 1) & mask
        highs.append(high)
        lows.append(low)
        slots[slot] = len(highs)
        if 3 * len(highs) > 2 << bits:
            self._index(bits + 1)
        return True

    def _index(self, bits: int) -> None:
        """A table of ``2**bits`` slots over the ids recorded (all distinct: no comparisons)."""
        self._bits = bits
        self._slots = slots = array("I", bytes(4 << bits))
        mask, shift = (1 << bits) - 1, 64 - bits
        for at, (high, low) in enumerate(zip(self._highs, self._lows, strict=True), 1):
            slot = (((high ^ low) * _MIX) & _LOW) >> shift
            while slots[slot]:
                slot = (slot + 1) & mask
            slots[slot] = at
