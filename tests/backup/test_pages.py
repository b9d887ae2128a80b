"""Tests for lookervault.backup.pages: the cursor hands out offsets up to the short page."""

from __future__ import annotations

from lookervault.backup.pages import PageCursor


def test_cursor_without_an_end_hands_out_offsets_until_told() -> None:
    """Offsets step by the page size; a short page stops the offsets after it."""
    cursor = PageCursor(5, None)
    assert [cursor.next(), cursor.next(), cursor.next()] == [0, 5, 10]
    assert cursor.pages_left() is None
    cursor.short_page_at(10)
    assert cursor.next() is None


def test_cursor_with_a_known_end_stops_there() -> None:
    """A resumed end (or the listing's count) bounds the pages; the earliest end wins."""
    cursor = PageCursor(5, 10)
    assert cursor.pages_left() == 3
    assert cursor.next() == 0
    cursor.short_page_at(20)  # a later end does not extend it
    cursor.short_page_at(5)
    assert cursor.pages_left() == 1
    assert cursor.next() == 5
    assert cursor.next() is None
    assert cursor.pages_left() == 0


def test_follow_cap_steps_by_the_cap_after_the_first_page() -> None:
    """A first page cut to 3 items: offsets step by 3 from there; later calls change nothing."""
    cursor = PageCursor(5, None)
    assert cursor.next() == 0
    cursor.follow_cap(3)
    cursor.short_page_at(9)
    assert [cursor.next(), cursor.next(), cursor.next(), cursor.next()] == [3, 6, 9, None]
    cursor.follow_cap(2)  # too late: offsets were handed out at the cap already
    assert cursor.page_size == 3
