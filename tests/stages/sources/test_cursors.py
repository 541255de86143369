"""The cursor contract as it stands: ties, the per-poll cap, missing dates, where each cursor moves.

Some of these pin behaviour the module's docstring lists as known disagreements (ties past the cap
retaken, a channel's oldest posts dropped): they change when the contract is fixed, on purpose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from flows.stages.sources.cursors import (
    CHILD,
    HIGH_WATER,
    LAST_POST,
    SECTION,
    CursorMap,
    child_cursor,
    child_unchanged,
    choose_entries,
    choose_links,
    choose_posts,
    last_post,
    read_back_further,
    section_links,
    unread_posts,
)
from flows.stages.sources.pages import PageLink
from flows.stages.sources.sitemaps import ChildSitemap, SitemapEntry
from flows.stages.sources.telegram import TelegramPost
from storage.cursors import Cursor

# the stored mark is read with today's plausibility rule (no date in the future): keep near today
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
BACKFILL = NOW - timedelta(days=2)


def mark(when: datetime) -> CursorMap:
    return {(HIGH_WATER, ""): Cursor("Map", HIGH_WATER, "", when.isoformat())}


def entry(i: int, when: datetime | None) -> SitemapEntry:
    return SitemapEntry(f"https://x.kz/{i}", when)


def post(i: int, when: datetime | None = NOW, text: str = "text") -> TelegramPost:
    return TelegramPost("chan", i, text, when)


# --- sitemaps ------------------------------------------------------------------------------------


def test_sitemap_entries_are_taken_oldest_first_from_the_mark_and_capped() -> None:
    entries = [entry(i, NOW - timedelta(hours=i)) for i in range(10)] + [entry(99, None)]
    choice = choose_entries("Map", entries, mark(NOW - timedelta(hours=4)), BACKFILL, 3)
    assert [e.url for e in choice.chosen] == ["https://x.kz/4", "https://x.kz/3", "https://x.kz/2"]
    assert choice.left == 2 and choice.undated == 1
    assert choice.cursors == (Cursor("Map", HIGH_WATER, "", (NOW - timedelta(hours=2)).isoformat()),)
    # an entry dated exactly at the mark is taken again (at or after)
    choice = choose_entries("Map", entries, mark(NOW - timedelta(hours=1)), BACKFILL, 10)
    assert [e.url for e in choice.chosen] == ["https://x.kz/1", "https://x.kz/0"] and choice.left == 0


def test_before_the_first_poll_the_backfill_window_is_the_mark() -> None:
    entries = [entry(1, BACKFILL - timedelta(seconds=1)), entry(2, BACKFILL), entry(3, NOW)]
    choice = choose_entries("Map", entries, {}, BACKFILL, 10)
    assert [e.url for e in choice.chosen] == ["https://x.kz/2", "https://x.kz/3"]
    assert choice.cursors == (Cursor("Map", HIGH_WATER, "", NOW.isoformat()),)
    # a stored mark that cannot be read counts as none
    broken = {(HIGH_WATER, ""): Cursor("Map", HIGH_WATER, "", "yesterday")}
    assert choose_entries("Map", entries, broken, BACKFILL, 10).chosen == choice.chosen


def test_ties_past_the_cap_are_retaken_and_the_mark_stays() -> None:
    day = NOW.replace(hour=0, minute=0, second=0)
    entries = [entry(i, day) for i in range(5)]
    first = choose_entries("Map", entries, {}, BACKFILL, 3)
    assert [e.url for e in first.chosen] == [f"https://x.kz/{i}" for i in range(3)] and first.left == 2
    stored = {(c.kind, c.key): c for c in first.cursors}
    again = choose_entries("Map", entries, stored, BACKFILL, 3)
    assert again.chosen == first.chosen and again.cursors == first.cursors


def test_undated_entries_are_counted_never_taken_and_move_no_mark() -> None:
    choice = choose_entries("Map", [entry(i, None) for i in range(4)], {}, BACKFILL, 10)
    assert choice.chosen == [] and choice.undated == 4 and choice.cursors == ()


def test_child_cursors_are_saved_only_by_a_poll_that_left_nothing() -> None:
    child = child_cursor("Map", ChildSitemap("https://x.kz/a.xml", "2026-12-01"), '"e"', None)
    assert child == Cursor("Map", CHILD, "https://x.kz/a.xml", "2026-12-01", '"e"', None)
    entries = [entry(i, NOW - timedelta(minutes=i)) for i in range(3)]
    assert child in choose_entries("Map", entries, {}, BACKFILL, 3, [child]).cursors
    assert child not in choose_entries("Map", entries, {}, BACKFILL, 2, [child]).cursors
    # nothing new at all: no mark, but the children read are saved
    assert choose_entries("Map", [], {}, BACKFILL, 2, [child]).cursors == (child,)


def test_a_child_is_unchanged_only_when_its_lastmod_is_the_stored_one() -> None:
    stored = {(CHILD, "https://x.kz/a.xml"): Cursor("Map", CHILD, "https://x.kz/a.xml", "2026-12-01")}
    assert child_unchanged(stored, ChildSitemap("https://x.kz/a.xml", "2026-12-01"))
    assert not child_unchanged(stored, ChildSitemap("https://x.kz/a.xml", "2026-12-02"))
    assert not child_unchanged(stored, ChildSitemap("https://x.kz/a.xml", None))
    assert not child_unchanged({}, ChildSitemap("https://x.kz/a.xml", "2026-12-01"))


@given(
    st.lists(st.one_of(st.none(), st.integers(0, 6 * 24)), max_size=40),
    st.integers(0, 6 * 24),
    st.integers(1, 30),
)
def test_sitemap_choice_invariants(hours_ago: list[int | None], mark_hours: int, cap: int) -> None:
    entries = [entry(i, None if h is None else NOW - timedelta(hours=h)) for i, h in enumerate(hours_ago)]
    since = NOW - timedelta(hours=mark_hours)
    choice = choose_entries("Map", entries, mark(since), BACKFILL, cap)
    new = [e for e in entries if e.published_at is not None and e.published_at >= since]
    dates = [e.published_at for e in choice.chosen]
    assert len(choice.chosen) == min(cap, len(new)) and choice.left == len(new) - len(choice.chosen)
    assert dates == sorted(dates) and choice.undated == hours_ago.count(None)
    assert all(d is not None and d >= since for d in dates)
    expected = (Cursor("Map", HIGH_WATER, "", max(d for d in dates if d).isoformat()),) if dates else ()
    assert choice.cursors == expected


# --- section pages ---------------------------------------------------------------------------------


def test_page_links_in_page_order_known_sections_skipped_capped() -> None:
    links = [PageLink(f"https://x.kz/news/{i}", None) for i in range(6)]
    stored = {(SECTION, "https://x.kz/news/1"): Cursor("Page", SECTION, "https://x.kz/news/1")}
    assert section_links(stored) == {"https://x.kz/news/1"}
    choice = choose_links(links, stored, 3)
    assert [canonical for _, canonical in choice.chosen] == [f"https://x.kz/news/{i}" for i in (0, 2, 3)]
    assert choice.skipped == 1 and choice.left == 2 and choice.cursors == ()
    # the cap records nothing: the next poll takes the same first links
    assert choose_links(links, stored, 3) == choice
    everything = choose_links(links, {}, 10)
    assert len(everything.chosen) == 6 and everything.left == 0 and everything.skipped == 0


def test_sections_past_the_cap_are_not_counted_as_skipped() -> None:
    links = [PageLink(f"https://x.kz/news/{i}", None) for i in range(4)]
    stored = {(SECTION, "https://x.kz/news/3"): Cursor("Page", SECTION, "https://x.kz/news/3")}
    choice = choose_links(links, stored, 2)
    assert choice.skipped == 0 and choice.left == 1


# --- Telegram channels ---------------------------------------------------------------------------


def test_the_last_post_is_read_from_a_digit_value_only() -> None:
    assert last_post({}) is None
    assert last_post({(LAST_POST, ""): Cursor("Chan", LAST_POST, "", "65")}) == 65
    assert last_post({(LAST_POST, ""): Cursor("Chan", LAST_POST, "", "x")}) is None
    assert last_post({(LAST_POST, ""): Cursor("Chan", LAST_POST, "", None)}) is None


def test_unread_posts_are_newer_than_the_last_and_not_read_this_poll() -> None:
    page = [post(i) for i in range(8, 13)]
    assert [p.id for p in unread_posts(page, {}, 9)] == [10, 11, 12]
    assert [p.id for p in unread_posts(page, {11: post(11)}, 9)] == [10, 12]
    assert [p.id for p in unread_posts(page, {}, None)] == [8, 9, 10, 11, 12]


def test_reading_back_stops_at_the_last_post_the_backfill_window_or_the_cap() -> None:
    page = [post(i) for i in range(10, 15)]
    assert read_back_further(page, page, 5, None, BACKFILL, 10)
    assert not read_back_further(page, page, 5, 12, BACKFILL, 10)  # reached the last post read
    assert not read_back_further(page, [], 5, None, BACKFILL, 10)  # nothing unread on this page
    assert not read_back_further(page, page, 10, None, BACKFILL, 10)  # the cap
    old = [post(9, BACKFILL - timedelta(minutes=1)), *page]
    assert not read_back_further(old, page, 5, None, BACKFILL, 10)  # first poll: the window
    assert read_back_further(old, page, 5, 8, BACKFILL, 10)  # later polls go by id alone


def test_a_burst_past_the_cap_keeps_the_newest_and_moves_the_last_post_to_the_newest_read() -> None:
    read = {i: post(i) for i in range(1, 11)}
    choice = choose_posts("Chan", read, 0, BACKFILL, 4, complete=True)
    assert [p.id for p in choice.chosen] == [7, 8, 9, 10]  # oldest first, the oldest six dropped
    assert choice.left == 6 and choice.cursors == (Cursor("Chan", LAST_POST, "", "10"),)


def test_the_last_post_stays_when_reading_back_was_cut_short_or_nothing_was_read() -> None:
    read = {i: post(i) for i in range(1, 4)}
    choice = choose_posts("Chan", read, 0, BACKFILL, 10, complete=False)
    assert [p.id for p in choice.chosen] == [1, 2, 3] and choice.cursors == ()
    assert choose_posts("Chan", {}, 0, BACKFILL, 10, complete=True).cursors == ()


def test_the_first_poll_takes_the_backfill_window_and_the_last_post_counts_every_post_read() -> None:
    read = {1: post(1, BACKFILL - timedelta(hours=1)), 2: post(2, None), 3: post(3, NOW)}
    choice = choose_posts("Chan", read, None, BACKFILL, 10, complete=True)
    assert [p.id for p in choice.chosen] == [2, 3] and choice.left == 0
    assert choice.cursors == (Cursor("Chan", LAST_POST, "", "3"),)
    # later polls go by id alone: an old post newer than the last one read is taken
    assert [p.id for p in choose_posts("Chan", read, 0, BACKFILL, 10, complete=True).chosen] == [1, 2, 3]
