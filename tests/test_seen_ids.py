"""SeenIds against a plain set: the same answers for every id, packed or not."""

from __future__ import annotations

import random
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st
from jobwise import seen_ids
from jobwise.seen_ids import SeenIds

HEX = "0123456789abcdef"


def _agrees(ids: list[str], recorded: SeenIds) -> None:
    reference: set[str] = set()
    for item_id in ids:
        assert recorded.add(item_id) == (item_id not in reference), item_id
        reference.add(item_id)
    assert len(recorded) == len(reference)


def _uuid_text(number: int) -> str:
    return str(uuid.UUID(int=number))


def test_a_million_style_listing_packs_and_never_answers_twice(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Past LOOSE (made small here) ids are packed; each is new exactly once, through resizes,
    and ids that differ only in case or form stay apart."""
    monkeypatch.setattr(seen_ids, "LOOSE", 50)
    monkeypatch.setattr(seen_ids, "_FIRST_BITS", 4)
    rng = random.Random(7)
    base = [_uuid_text(rng.getrandbits(128)) for _ in range(3000)]
    # Time-based ids vary only in their first half; the nil UUID's halves are all zero; the
    # same UUID in capitals or without hyphens is another id for the server and for us.
    sequential = [_uuid_text((n << 96) | 0x1234) for n in range(500)]
    odd = ["00000000-0000-0000-0000-000000000000", base[0].upper(), base[1].replace("-", "")]
    ids = base + sequential + odd + ["not-a-uuid", "123-456-789"]
    shuffled = ids * 2
    rng.shuffle(shuffled)
    recorded = SeenIds()
    _agrees(shuffled, recorded)
    assert recorded._packed
    assert len(recorded._highs) == len(base) + len(sequential) + 1  # the canonical UUIDs


def test_halves_that_collide_in_the_table_are_told_apart(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Ids with the same xor of halves land in the same slot: compared whole, none is lost."""
    monkeypatch.setattr(seen_ids, "LOOSE", 1)
    monkeypatch.setattr(seen_ids, "_FIRST_BITS", 3)
    same_slot = [_uuid_text((n << 64) | n) for n in range(1, 200)]  # high ^ low == 0 for all
    same_high = [_uuid_text((5 << 64) | n) for n in range(200)]
    same_low = [_uuid_text((n << 64) | 5) for n in range(200)]
    ids = same_slot + same_high + same_low
    _agrees(ids + ids[::-1], SeenIds())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(0, 40).map(lambda n: _uuid_text(n * 0x1_0000_0000_0001)),
            st.text(alphabet=HEX + "-AF", min_size=30, max_size=37),
            st.uuids().map(str),
        ),
        max_size=300,
    )
)
def test_any_ids_answer_as_a_set_does(ids: list[str]) -> None:
    seen_ids.LOOSE, before = 8, seen_ids.LOOSE
    try:
        _agrees(ids, SeenIds())
    finally:
        seen_ids.LOOSE = before
