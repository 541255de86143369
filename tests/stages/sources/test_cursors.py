"""The cursor contract: ties, the per-poll cap, skewed and missing dates, where each cursor moves.

The property tests poll one generated source many times through the contract alone (the cursors a
poll returns are the next poll's stored ones) and check that every entry is taken exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.stages.sources.cursors import (
    CHILD,
    HIGH_WATER,
    LAST_POST,
    LATE,
    LISTED,
    MAX_TEXTS,
    POST_TEXTS,
    READ_BACK,
    SECTION,
    CursorMap,
    Listing,
    child_cursor,
    child_unchanged,
    choose_edits,
    choose_entries,
    choose_links,
    choose_posts,
    digest,
    last_post,
    listed,
    listed_cursor,
    post_texts,
    read_back_from,
    read_back_further,
    section_links,
    text_digest,
    unread_posts,
)
from flows.stages.sources.pages import PageLink
from flows.stages.sources.sitemaps import ChildSitemap, SitemapEntry
from flows.stages.sources.telegram import TelegramPost
from storage.cursors import Cursor

# the stored mark is read with today's plausibility rule (no date in the future): keep near today
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
BACKFILL = NOW - timedelta(days=2)
ROOT = "https://x.kz/sitemap.xml"


def mark(when: datetime) -> dict[tuple[str, str], Cursor]:
    return {(HIGH_WATER, ""): Cursor("Map", HIGH_WATER, "", when.isoformat())}


def entry(i: int, when: datetime | None) -> SitemapEntry:
    return SitemapEntry(f"https://x.kz/{i}", when)


def post(i: int, when: datetime | None = NOW, text: str = "text", edited: bool = False) -> TelegramPost:
    return TelegramPost("chan", i, text, when, edited=edited)


def saved(stored: CursorMap, cursors: Sequence[Cursor]) -> dict[tuple[str, str], Cursor]:
    """The stored cursors after a poll's are saved (replaced by kind and key)."""
    return {**stored, **{(c.kind, c.key): c for c in cursors}}


def urls(chosen: Sequence[SitemapEntry]) -> list[str]:
    return [e.url for e in chosen]


def the_mark(cursors: Sequence[Cursor]) -> str | None:
    return next((c.value for c in cursors if c.kind == HIGH_WATER), None)


# --- what a sitemap or page listed -----------------------------------------------------------------


def test_a_listing_is_kept_as_digests_and_a_broken_one_reads_as_none() -> None:
    row = listed_cursor("Map", ROOT, [digest("https://x.kz/1"), digest("https://x.kz/2")])
    assert row.kind == LISTED and row.key == ROOT and len(row.value or "") == 24  # 16 bytes, base64
    assert listed({(LISTED, ROOT): row}, ROOT) == {digest("https://x.kz/1"), digest("https://x.kz/2")}
    assert listed({}, ROOT) is None
    assert listed({(LISTED, ROOT): Cursor("Map", LISTED, ROOT, "not base64!")}, ROOT) is None
    assert listed({(LISTED, ROOT): Cursor("Map", LISTED, ROOT, "AAAA")}, ROOT) is None  # 3 bytes
    assert listed({(LISTED, ROOT): listed_cursor("Map", ROOT, [])}, ROOT) == set()


# --- sitemaps ------------------------------------------------------------------------------------


def test_new_entries_are_taken_oldest_first_then_undated_and_capped() -> None:
    entries = [entry(i, NOW - timedelta(hours=i)) for i in range(10)] + [entry(99, None)]
    stored = {(LISTED, ROOT): listed_cursor("Map", ROOT, [])}  # read before: the undated one is new
    since = NOW - timedelta(hours=4)
    choice = choose_entries("Map", [Listing(ROOT, entries)], stored, NOW, since, 3)
    assert urls(choice.chosen) == ["https://x.kz/4", "https://x.kz/3", "https://x.kz/2"]
    assert choice.left == 3 and choice.undated == 0  # 1, 0 and the undated one: the next poll
    assert the_mark(choice.cursors) == (NOW - timedelta(hours=2)).isoformat()
    after = saved(stored, choice.cursors)
    again = choose_entries("Map", [Listing(ROOT, entries)], after, NOW, since, 3)
    assert urls(again.chosen) == ["https://x.kz/1", "https://x.kz/0", "https://x.kz/99"]
    assert again.left == 0 and the_mark(again.cursors) == NOW.isoformat()


def test_the_mark_never_moves_back_and_entries_late_by_up_to_late_are_new() -> None:
    late = entry(1, NOW - LATE + timedelta(minutes=1))
    choice = choose_entries(
        "Map",
        [Listing(ROOT, [late, entry(2, NOW - LATE - timedelta(minutes=1))])],
        mark(NOW),
        NOW,
        BACKFILL,
        3,
    )
    assert urls(choice.chosen) == ["https://x.kz/1"] and the_mark(choice.cursors) == NOW.isoformat()


def test_before_the_first_poll_the_backfill_window_is_the_floor() -> None:
    entries = [entry(1, BACKFILL - timedelta(seconds=1)), entry(2, BACKFILL), entry(3, NOW)]
    choice = choose_entries("Map", [Listing(ROOT, entries)], {}, NOW, BACKFILL, 10)
    assert urls(choice.chosen) == ["https://x.kz/2", "https://x.kz/3"]
    assert the_mark(choice.cursors) == NOW.isoformat()
    # a stored mark that cannot be read counts as none
    broken = {(HIGH_WATER, ""): Cursor("Map", HIGH_WATER, "", "yesterday")}
    assert choose_entries("Map", [Listing(ROOT, entries)], broken, NOW, BACKFILL, 10).chosen == choice.chosen


def test_ties_past_the_cap_are_taken_by_the_next_poll() -> None:
    day = NOW.replace(hour=0, minute=0, second=0)
    entries = [entry(i, day) for i in range(5)]
    first = choose_entries("Map", [Listing(ROOT, entries)], {}, NOW, BACKFILL, 3)
    assert urls(first.chosen) == [f"https://x.kz/{i}" for i in range(3)] and first.left == 2
    again = choose_entries("Map", [Listing(ROOT, entries)], saved({}, first.cursors), NOW, BACKFILL, 3)
    assert urls(again.chosen) == ["https://x.kz/3", "https://x.kz/4"] and again.left == 0
    assert the_mark(again.cursors) == day.isoformat()


def test_an_entry_dated_ahead_moves_the_mark_no_further_than_the_poll() -> None:
    skewed = entry(1, NOW + timedelta(hours=5))  # local time written with Z
    first = choose_entries("Map", [Listing(ROOT, [skewed])], {}, NOW, BACKFILL, 10)
    assert urls(first.chosen) == ["https://x.kz/1"] and the_mark(first.cursors) == NOW.isoformat()
    later = [skewed, entry(2, NOW + timedelta(minutes=30)), entry(3, NOW - timedelta(hours=1))]
    again = choose_entries("Map", [Listing(ROOT, later)], saved({}, first.cursors), NOW, BACKFILL, 10)
    assert urls(again.chosen) == ["https://x.kz/3", "https://x.kz/2"]  # the skewed one not again


def test_undated_entries_of_a_first_read_are_held_and_those_listed_later_taken() -> None:
    first = choose_entries("Map", [Listing(ROOT, [entry(i, None) for i in range(4)])], {}, NOW, BACKFILL, 10)
    assert first.chosen == [] and first.undated == 4 and the_mark(first.cursors) is None
    stored = saved({}, first.cursors)
    later = [entry(i, None) for i in range(6)]
    second = choose_entries("Map", [Listing(ROOT, later)], stored, NOW, BACKFILL, 10)
    assert urls(second.chosen) == ["https://x.kz/4", "https://x.kz/5"] and second.undated == 0
    third = choose_entries("Map", [Listing(ROOT, later)], saved(stored, second.cursors), NOW, BACKFILL, 10)
    assert third.chosen == []


def test_a_child_new_in_its_index_gives_even_its_undated_entries() -> None:
    a, b, c = (f"https://x.kz/{n}.xml" for n in "abc")
    index = Listing(ROOT, children=[a, b])
    # first poll: child a read, b not (say the poll's limit of children): both listed as there
    first = choose_entries("Map", [index, Listing(a, [entry(1, None)], parent=ROOT)], {}, NOW, BACKFILL, 10)
    stored = saved({}, first.cursors)
    assert first.chosen == [] and listed(stored, ROOT) == {digest(a), digest(b)}
    # b read at last: it was there before, so its undated entries are old; c is new in the index
    listings = [
        Listing(ROOT, children=[a, b, c]),
        Listing(b, [entry(2, None)], parent=ROOT),
        Listing(c, [entry(3, None)], parent=ROOT),
    ]
    second = choose_entries("Map", listings, stored, NOW, BACKFILL, 10)
    assert urls(second.chosen) == ["https://x.kz/3"] and second.undated == 1
    assert listed(saved(stored, second.cursors), ROOT) == {digest(a), digest(b), digest(c)}


def test_a_child_not_read_and_new_in_its_index_stays_new() -> None:
    a, b = "https://x.kz/a.xml", "https://x.kz/b.xml"
    stored = saved({}, choose_entries("Map", [Listing(ROOT, children=[a])], {}, NOW, BACKFILL, 10).cursors)
    # b appears but cannot be read this poll: it is not listed, so it is still new when it is read
    second = choose_entries("Map", [Listing(ROOT, children=[a, b])], stored, NOW, BACKFILL, 10)
    stored = saved(stored, second.cursors)
    assert listed(stored, ROOT) == {digest(a)}
    third = choose_entries(
        "Map",
        [Listing(ROOT, children=[a, b]), Listing(b, [entry(7, None)], parent=ROOT)],
        stored,
        NOW,
        BACKFILL,
        10,
    )
    assert urls(third.chosen) == ["https://x.kz/7"]


def test_an_entry_moved_to_another_sitemap_is_not_taken_again() -> None:
    a, b = "https://x.kz/a.xml", "https://x.kz/b.xml"
    listings = [
        Listing(ROOT, children=[a, b]),
        Listing(a, [entry(1, NOW)], parent=ROOT),
        Listing(b, parent=ROOT),
    ]
    stored = saved({}, choose_entries("Map", listings, {}, NOW, BACKFILL, 10).cursors)
    moved = [Listing(a, parent=ROOT), Listing(b, [entry(1, NOW)], parent=ROOT)]
    assert choose_entries("Map", moved, stored, NOW, BACKFILL, 10).chosen == []


def test_child_cursors_are_saved_only_by_a_poll_that_left_nothing() -> None:
    child = child_cursor("Map", ChildSitemap("https://x.kz/a.xml", "2026-12-01"), '"e"', None)
    assert child == Cursor("Map", CHILD, "https://x.kz/a.xml", "2026-12-01", '"e"', None)
    entries = [Listing(ROOT, [entry(i, NOW - timedelta(minutes=i)) for i in range(3)])]
    assert child in choose_entries("Map", entries, {}, NOW, BACKFILL, 3, [child]).cursors
    assert child not in choose_entries("Map", entries, {}, NOW, BACKFILL, 2, [child]).cursors
    # nothing new at all: no mark, but the children read are saved
    assert child in choose_entries("Map", [], {}, NOW, BACKFILL, 2, [child]).cursors


def test_a_child_is_unchanged_only_when_its_lastmod_is_the_stored_one() -> None:
    stored = {(CHILD, "https://x.kz/a.xml"): Cursor("Map", CHILD, "https://x.kz/a.xml", "2026-12-01")}
    assert child_unchanged(stored, ChildSitemap("https://x.kz/a.xml", "2026-12-01"))
    assert not child_unchanged(stored, ChildSitemap("https://x.kz/a.xml", "2026-12-02"))
    assert not child_unchanged(stored, ChildSitemap("https://x.kz/a.xml", None))
    assert not child_unchanged({}, ChildSitemap("https://x.kz/a.xml", "2026-12-01"))


def test_old_dated_entries_are_not_remembered() -> None:
    entries = [entry(1, BACKFILL - timedelta(days=30)), entry(2, NOW)]
    choice = choose_entries("Map", [Listing(ROOT, entries)], {}, NOW, BACKFILL, 10)
    assert listed(saved({}, choice.cursors), ROOT) == {digest("https://x.kz/2")}


# A generated sitemap polled many times: entries arrive between polls, some share one date (a
# sitemap stamped with the day it was made), some are dated hours ahead (local time written as
# UTC), some have no date; what was there before the first poll is dated before the window or
# undated. Every new entry is taken exactly once.
arrivals = st.lists(
    st.lists(st.one_of(st.none(), st.sampled_from([-600, -1, 0, 0, 0, 1, 30, 300])), max_size=12),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 8),
    st.integers(0, 5),
    arrivals,
    st.integers(1, 7),
    st.booleans(),
)
def test_every_new_sitemap_entry_is_taken_exactly_once(
    old_dated: int, old_undated: int, batches: list[list[int | None]], cap: int, index: bool
) -> None:
    day = NOW.replace(hour=0, minute=0, second=0)
    listing: list[SitemapEntry] = [entry(i, BACKFILL - timedelta(days=1 + i)) for i in range(old_dated)]
    listing += [entry(100 + i, None) for i in range(old_undated)]
    expected: set[str] = set()
    taken: list[str] = []
    stored: dict[tuple[str, str], Cursor] = {}
    n = 1000
    for poll_no in range(len(batches) + 500):
        for minutes in batches[poll_no] if poll_no < len(batches) else []:
            n += 1
            when = None if minutes is None else (day if minutes == 0 else NOW + timedelta(minutes=minutes))
            listing.append(entry(n, when))
            if when is not None or poll_no > 0:  # undated before the first poll: there before
                expected.add(f"https://x.kz/{n}")
        child = "https://x.kz/c.xml"
        parts = [Listing(ROOT, children=[child]), Listing(child, list(listing), parent=ROOT)]
        choice = choose_entries(
            "Map", parts if index else [Listing(ROOT, list(listing))], stored, NOW, BACKFILL, cap
        )
        assert len(choice.chosen) <= cap
        taken += urls(choice.chosen)
        stored = saved(stored, choice.cursors)
        when = the_mark(choice.cursors)
        assert when is None or datetime.fromisoformat(when) <= NOW  # never ahead of the poll
        if poll_no >= len(batches) and not choice.left:
            break
    assert sorted(taken) == sorted(expected)  # each once, none skipped, nothing old


# --- section pages ---------------------------------------------------------------------------------


def test_page_links_in_page_order_known_sections_and_links_taken_before_skipped() -> None:
    page = "https://x.kz/news"
    links = [PageLink(f"https://x.kz/news/{i}", None) for i in range(6)]
    stored = {(SECTION, "https://x.kz/news/1"): Cursor("Page", SECTION, "https://x.kz/news/1")}
    assert section_links(stored) == {"https://x.kz/news/1"}
    choice = choose_links("Page", page, links, stored, 3)
    assert [canonical for _, canonical in choice.chosen] == [f"https://x.kz/news/{i}" for i in (0, 2, 3)]
    assert choice.skipped == 1 and choice.left == 2
    # the next poll goes on with the links past the cap
    stored = saved(stored, choice.cursors)
    again = choose_links("Page", page, links, stored, 3)
    assert [canonical for _, canonical in again.chosen] == [f"https://x.kz/news/{i}" for i in (4, 5)]
    assert again.left == 0
    stored = saved(stored, again.cursors)
    # a link the page no longer lists is forgotten; a new one is taken
    newer = [PageLink("https://x.kz/news/9", None), *links[3:]]
    last = choose_links("Page", page, newer, stored, 3)
    assert [canonical for _, canonical in last.chosen] == ["https://x.kz/news/9"]
    assert listed(saved(stored, last.cursors), page) == {
        digest(f"https://x.kz/news/{i}") for i in (3, 4, 5, 9)
    }


def test_sections_past_the_cap_are_not_counted_as_skipped_twice() -> None:
    links = [PageLink(f"https://x.kz/news/{i}", None) for i in range(4)]
    stored = {(SECTION, "https://x.kz/news/3"): Cursor("Page", SECTION, "https://x.kz/news/3")}
    choice = choose_links("Page", "https://x.kz/", links, stored, 2)
    assert choice.skipped == 1 and choice.left == 1


# --- Telegram channels ---------------------------------------------------------------------------


def test_the_last_post_and_where_to_read_back_from_are_read_from_digit_values_only() -> None:
    assert last_post({}) is None
    assert last_post({(LAST_POST, ""): Cursor("Chan", LAST_POST, "", "65")}) == 65
    assert last_post({(LAST_POST, ""): Cursor("Chan", LAST_POST, "", "x")}) is None
    assert last_post({(LAST_POST, ""): Cursor("Chan", LAST_POST, "", None)}) is None
    start = {
        (LAST_POST, ""): Cursor("Chan", LAST_POST, "", "65"),
        (READ_BACK, ""): Cursor("Chan", READ_BACK, "", "90"),
    }
    assert read_back_from(start) == 90
    assert read_back_from({**start, (READ_BACK, ""): Cursor("Chan", READ_BACK, "", "")}) is None
    assert (
        read_back_from({**start, (READ_BACK, ""): Cursor("Chan", READ_BACK, "", "66")}) is None
    )  # nothing between


def test_unread_posts_are_newer_than_the_last_and_not_read_this_poll() -> None:
    page = [post(i) for i in range(8, 13)]
    assert [p.id for p in unread_posts(page, {}, 9)] == [10, 11, 12]
    assert [p.id for p in unread_posts(page, {11: post(11)}, 9)] == [10, 12]
    assert [p.id for p in unread_posts(page, {}, None)] == [8, 9, 10, 11, 12]


def test_reading_back_stops_at_the_last_post_or_the_backfill_window_never_at_the_cap() -> None:
    page = [post(i) for i in range(10, 15)]
    assert read_back_further(page, page, None, BACKFILL)
    assert not read_back_further(page, page, 12, BACKFILL)  # reached the last post taken
    assert not read_back_further(page, [], None, BACKFILL)  # nothing unread on this page
    old = [post(9, BACKFILL - timedelta(minutes=1)), *page]
    assert not read_back_further(old, page, None, BACKFILL)  # first poll: the window
    assert read_back_further(old, page, 7, BACKFILL)  # later polls go by id alone
    assert not read_back_further(old, page, 8, BACKFILL)  # 9 follows 8: nothing older is unread


def test_a_burst_past_the_cap_is_taken_oldest_first_over_polls() -> None:
    read = {i: post(i) for i in range(1, 11)}
    choice = choose_posts("Chan", read, 0, BACKFILL, 4, stop="reached")
    assert [p.id for p in choice.chosen] == [1, 2, 3, 4] and choice.left == 6
    assert choice.cursors == (Cursor("Chan", LAST_POST, "", "4"),)
    rest = {i: p for i, p in read.items() if i > 4}
    again = choose_posts("Chan", rest, 4, BACKFILL, 10, stop="reached")
    assert [p.id for p in again.chosen] == [5, 6, 7, 8, 9, 10] and again.left == 0
    assert again.cursors == (Cursor("Chan", LAST_POST, "", "10"),)


def test_the_last_post_stays_when_reading_back_broke_or_nothing_was_read() -> None:
    read = {i: post(i) for i in range(5, 8)}
    choice = choose_posts("Chan", read, 0, BACKFILL, 10, stop="broken")
    assert [p.id for p in choice.chosen] == [5, 6, 7] and choice.cursors == ()
    assert choose_posts("Chan", {}, 0, BACKFILL, 10, stop="reached").cursors == ()


def test_a_gap_longer_than_a_poll_reads_is_read_on_from_where_it_stopped() -> None:
    read = {i: post(i) for i in range(500, 600)}
    bounded = choose_posts("Chan", read, 10, BACKFILL, 50, stop="bounded")
    assert bounded.chosen == [] and bounded.cursors == (Cursor("Chan", READ_BACK, "", "500"),)
    older = {i: post(i) for i in range(11, 500)}
    resumed = choose_posts("Chan", older, 10, BACKFILL, 1000, stop="reached", resumed=True)
    assert len(resumed.chosen) == 489
    assert resumed.cursors == (Cursor("Chan", LAST_POST, "", "499"), Cursor("Chan", READ_BACK, "", ""))
    capped = choose_posts("Chan", older, 10, BACKFILL, 50, stop="reached", resumed=True)
    assert capped.cursors == (Cursor("Chan", LAST_POST, "", "60"),)  # read_back stays: go on from 500


def test_the_first_poll_takes_the_backfill_window_and_the_last_post_counts_every_post_read() -> None:
    read = {1: post(1, BACKFILL - timedelta(hours=1)), 2: post(2, None), 3: post(3, NOW)}
    choice = choose_posts("Chan", read, None, BACKFILL, 10, stop="reached")
    assert [p.id for p in choice.chosen] == [2, 3] and choice.left == 0
    assert choice.cursors == (Cursor("Chan", LAST_POST, "", "3"),)
    # nothing in the window: the last post still moves past what was read
    quiet = choose_posts("Chan", {1: read[1]}, None, BACKFILL, 10, stop="reached")
    assert quiet.chosen == [] and quiet.cursors == (Cursor("Chan", LAST_POST, "", "1"),)
    # later polls go by id alone: an old post newer than the last one taken is taken
    assert [p.id for p in choose_posts("Chan", read, 0, BACKFILL, 10, stop="reached").chosen] == [1, 2, 3]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=8), st.integers(1, 25), st.integers(5, 40))
def test_every_post_of_a_channel_is_taken_exactly_once(bursts: list[int], cap: int, pages: int) -> None:
    """A channel posting bursts between polls, read the way the crawler reads it (newest first, or
    from read_back, `per_page` posts a page, at most `pages` pages)."""
    per_page = 7
    channel: list[TelegramPost] = []
    stored: dict[tuple[str, str], Cursor] = {}
    taken: list[int] = []
    n = 0
    for poll_no in range(len(bursts) + 2000):
        for _ in range(bursts[poll_no] if poll_no < len(bursts) else 0):
            n += 1
            channel.append(post(n))
        last, start = last_post(stored), read_back_from(stored)
        visible = [p for p in channel if start is None or p.id < start]
        read: dict[int, TelegramPost] = {}
        stop = "reached"
        for page_no in range(pages + 1):
            if page_no == pages:
                stop = "bounded"
                break
            end = len(visible) - page_no * per_page
            page = visible[max(end - per_page, 0) : max(end, 0)]
            fresh = unread_posts(page, read, last)
            read.update((p.id, p) for p in fresh)
            if end - per_page <= 0 or not read_back_further(page, fresh, last, BACKFILL):
                break
        choice = choose_posts("Chan", read, last, BACKFILL, cap, stop=stop, resumed=start is not None)
        assert len(choice.chosen) <= cap
        taken += [p.id for p in choice.chosen]
        stored = saved(stored, choice.cursors)
        assert (last_post(stored) or 0) <= max(taken, default=0)  # never ahead of what was taken
        if poll_no >= len(bursts) and last_post(stored) == n:
            break
    assert taken == list(range(1, n + 1))  # each once, oldest first, none skipped


def test_a_post_read_again_marked_edited_with_another_text_is_an_edit() -> None:
    taken = [post(i, text=f"post {i}") for i in range(1, 6)]
    first = choose_edits("Chan", {}, taken, {})
    assert first.chosen == []
    stored = saved({}, first.cursors)
    assert post_texts(stored) == {p.id: text_digest(p) for p in taken}
    again = {
        2: post(2, text="post 2, corrected", edited=True),  # an edit
        3: post(3, text="post 3", edited=True),  # marked edited, the same text
        4: post(4, text="post 4, changed", edited=False),  # not marked: not an edit
        9: post(9, text="never remembered", edited=True),  # what it said before is not known
    }
    edits = choose_edits("Chan", again, [post(10, text="new")], stored)
    assert [p.id for p in edits.chosen] == [2]
    remembered = post_texts(saved(stored, edits.cursors))
    assert remembered[2] == text_digest(again[2]) and 9 in remembered and 10 in remembered
    # the edit is not taken again by the next poll
    assert choose_edits("Chan", again, [], saved(stored, edits.cursors)).chosen == []


def test_the_newest_texts_are_remembered_and_a_broken_row_is_skipped() -> None:
    many = [post(i, text=f"post {i}") for i in range(1, MAX_TEXTS + 51)]
    remembered = post_texts(saved({}, choose_edits("Chan", {}, many, {}).cursors))
    assert sorted(remembered) == list(range(51, MAX_TEXTS + 51))
    broken = {(POST_TEXTS, ""): Cursor("Chan", POST_TEXTS, "", "7:0123456789abcdef x:1 8:short 9")}
    assert post_texts(broken) == {7: "0123456789abcdef"}
