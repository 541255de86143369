"""Where a source without a feed stopped reading, and how far one poll may move it on: the one
cursor contract of the sitemap, section page and Telegram crawlers. Pure: the stored cursors, what
a poll read, its time and the per-poll cap in; the entries to take, how many were left, and the
cursors to save out. The crawlers only fetch and parse their formats.

What a cursor records (one `storage.cursors.Cursor` row per source, kind and key):
- listed: what one sitemap (key: its URL; the root's is the source's URL) or section page (key:
  the page's URL) listed that the source has dealt with: taken, or there before the first poll.
  Entry and child URLs, as 8-byte digests; bounded by what the sitemap or page lists now (a
  sitemap at most `MAX_LISTED`, the protocol's limit) and, for dated sitemap entries, by `LATE`.
- high_water: a sitemap's mark, the newest date (UTC, ISO 8601) of the entries taken, never later
  than the poll that took them. Entries dated more than `LATE` before it are old; before the first
  poll the backfill window says how far back to go.
- child: a child sitemap's lastmod as written, with its validators. A child whose lastmod is the
  stored one is not read again.
- last_post: the id of a channel's newest post taken. Every post up to it was taken (or, on the
  first poll, was older than the backfill window); posts with a higher id are new.
- read_back: where a channel's next poll starts reading back (`?before=ID`) when the posts since
  the last one did not fit in the pages one poll reads; empty when it reads from the newest page.
- post_texts: a digest of the text of each of a channel's newest posts taken (`MAX_TEXTS`), as
  "ID:DIGEST ..."; a post read again, marked edited, whose text is not the one remembered is an
  edit, and the stored article takes its new text.
- section: a link of a section page that led to another section page. It is never taken again
  (the ingest records one when it fetches such a link).

When a cursor may move: a crawler returns the cursors with its poll and the ingest saves them only
once the poll's articles are stored, and not at all when one of them failed, so the next poll
reads the same entries again. A cursor that a poll does not return stays as it was.

Which entries are new, and how the per-poll cap (`max_articles_per_source`) applies:
- sitemap: an entry not listed before (in any of the source's sitemaps), dated at or after the
  mark less `LATE` (before the first poll: the backfill window), or without a date in a sitemap
  read before (or new in its index). Undated entries of a sitemap read for the first time were
  there before and are not taken. Of the new entries, dated oldest first, then undated, the first
  `cap` are taken; the rest stay unlisted, so the next poll takes them (ties of one date
  included). A capped poll saves no child cursor (nor the root's validators), so the next poll
  reads the same children again.
- section page: the links in page order, known sections and links taken before skipped, the
  first `cap` taken; the rest are taken by the next poll.
- channel: reading goes back to the last post taken (50 pages at most); of the unread posts the
  oldest `cap` are taken and the last post moves to the newest of them, so a burst longer than the
  cap is taken over several polls, oldest first. If the last post (before the first poll: the
  backfill window) was not reached, nothing is taken and read_back says where the next poll goes
  on reading back; if an older page failed, the posts read are taken and no cursor moves.
  Edits are not capped: every post read again (the newest page, each poll) whose text changed.

Known disagreements, kept as they are here for the next change to fix:
- Section links are kept for ever: a link once found to be a section is never read again,
  whatever it becomes, and the list only grows.
- An entry that first appears in a sitemap more than `LATE` after the date it carries (and after
  newer entries were taken) is old, and not taken.
- An edit is seen only while the post is on a page a poll reads (the newest page, or the pages
  back to the last post): an older post edited later keeps the text it was taken with, and a poll
  that starts at read_back looks for no edits.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from flows.stages.net.urls import canonicalize
from flows.stages.reading.dates import parse_date
from flows.stages.sources.pages import PageLink
from flows.stages.sources.sitemaps import ChildSitemap, SitemapEntry
from flows.stages.sources.telegram import TelegramPost
from storage.cursors import Cursor

CursorMap = Mapping[tuple[str, str], Cursor]  # a source's stored cursors by (kind, key)
HIGH_WATER = "high_water"
CHILD = "child"
LISTED = "listed"
LAST_POST = "last_post"
READ_BACK = "read_back"
POST_TEXTS = "post_texts"
SECTION = "section"

LATE = timedelta(days=2)  # how long after its date an entry may first appear and still be new
MAX_LISTED = 50_000  # entries of one sitemap looked at (the sitemap protocol's limit)
MAX_TEXTS = 200  # a channel's newest posts whose texts are remembered, to tell an edit

T = TypeVar("T")


@dataclass(frozen=True)
class Choice(Generic[T]):
    """What a poll takes, in the order to fetch it, and the cursors to save once it is stored."""

    chosen: list[T]
    left: int = 0  # new ones past the per-poll cap, not taken this poll
    skipped: int = 0  # known not to be articles (section links)
    undated: int = 0  # sitemap entries without a date there before the first poll, not taken
    over: int = 0  # sitemap entries past MAX_LISTED, not looked at
    cursors: tuple[Cursor, ...] = ()


# --- what a sitemap or page listed -----------------------------------------------------------------


def digest(url: str) -> bytes:
    """The 8 bytes a listed URL is remembered by."""
    return hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def listed(stored: CursorMap, key: str) -> set[bytes] | None:
    """The digests a sitemap or page listed (and the source dealt with), None if never saved or
    unreadable."""
    row = stored.get((LISTED, key))
    if row is None or row.value is None:
        return None
    try:
        raw = base64.b64decode(row.value, validate=True)
    except (ValueError, binascii.Error):
        return None
    if len(raw) % 8:
        return None
    return {raw[i : i + 8] for i in range(0, len(raw), 8)}


def all_listed(stored: CursorMap) -> set[bytes]:
    """Every digest any sitemap or page of the source listed."""
    found: set[bytes] = set()
    for kind, key in stored:
        if kind == LISTED:
            found |= listed(stored, key) or set()
    return found


def listed_cursor(source: str, key: str, digests: Iterable[bytes]) -> Cursor:
    return Cursor(source, LISTED, key, base64.b64encode(b"".join(sorted(set(digests)))).decode("ascii"))


# --- sitemaps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """One sitemap read this poll: its URL (the root's: the source's), its entries or, for an
    index (or a robots.txt), its children's URLs, and the sitemap that listed it."""

    url: str
    entries: Sequence[SitemapEntry] = ()
    children: Sequence[str] = ()
    parent: str | None = None


def stored_child(stored: CursorMap, url: str) -> Cursor | None:
    """What the last poll saved of a child sitemap (its lastmod and validators), if anything."""
    return stored.get((CHILD, url))


def child_unchanged(stored: CursorMap, child: ChildSitemap) -> bool:
    """True if the index gives the child the lastmod stored last time: nothing new in it."""
    prev = stored_child(stored, child.url)
    return bool(child.lastmod) and prev is not None and prev.value == child.lastmod


def child_cursor(source: str, child: ChildSitemap, etag: str | None, last_modified: str | None) -> Cursor:
    """A child sitemap read this poll, to save if the poll was not capped."""
    return Cursor(source, CHILD, child.url, child.lastmod, etag, last_modified)


def is_new_sitemap(stored: CursorMap, listing: Listing) -> bool:
    """True for a sitemap never read whose index, read before, did not list it: it appeared since,
    so even its undated entries are new."""
    if listing.parent is None or listed(stored, listing.url) is not None:
        return False
    siblings = listed(stored, listing.parent)
    return siblings is not None and digest(listing.url) not in siblings


def floor_of(stored: CursorMap, backfill_start: datetime) -> datetime:
    """The oldest date a new entry may carry: the mark less `LATE`, before the first poll the
    backfill window's start."""
    mark = stored.get((HIGH_WATER, ""))
    when = parse_date(mark.value if mark else None)
    return when - LATE if when else backfill_start


def _sort_out(
    stored: CursorMap, listing: Listing, seen: set[bytes], read_now: set[bytes], floor: datetime
) -> tuple[list[SitemapEntry], set[bytes], int]:
    """One sitemap's new entries, what it listed that stays dealt with, and how many undated
    entries of a first read were held (there before the first poll)."""
    before = listed(stored, listing.url)
    first_read = before is None and not is_new_sitemap(stored, listing)
    new: list[SitemapEntry] = []
    kept: set[bytes] = set()
    held = 0
    for e in listing.entries[:MAX_LISTED]:
        d = digest(e.url)
        recent = e.published_at is None or e.published_at >= floor
        if d in seen:
            kept.update([d] if recent else [])
        elif e.published_at is None and first_read:
            kept.add(d)
            held += 1
        elif recent:
            new.append(e)
    for url in listing.children:  # a child is listed once read, or if it was there before
        d = digest(url)
        if before is None or d in before or d in read_now:
            kept.add(d)
    return new, kept, held


def _next_mark(stored: CursorMap, chosen: Sequence[SitemapEntry], now: datetime) -> datetime | None:
    """The newest date taken, never later than the poll (an entry dated ahead of its time moves
    the mark no further) nor earlier than the stored mark; None if no dated entry was taken."""
    dated = [e.published_at for e in chosen if e.published_at is not None]
    if not dated:
        return None
    prev = stored.get((HIGH_WATER, ""))
    mark = min(max(dated), now)
    return max(mark, parse_date(prev.value if prev else None) or mark)


def choose_entries(
    source: str,
    listings: Sequence[Listing],
    stored: CursorMap,
    now: datetime,
    backfill_start: datetime,
    cap: int,
    children: Sequence[Cursor] = (),
) -> Choice[SitemapEntry]:
    """The new entries of the sitemaps read this poll, dated oldest first then undated, at most
    `cap`, and what each sitemap listed that is now dealt with. The `children` read this poll are
    saved only if nothing was left."""
    floor = floor_of(stored, backfill_start)
    seen = all_listed(stored)
    read_now = {digest(listing.url) for listing in listings}
    new: dict[str, SitemapEntry] = {}
    keep: dict[str, set[bytes]] = {}
    undated = 0
    for listing in listings:
        found, kept, held = _sort_out(stored, listing, seen, read_now, floor)
        new.update((e.url, e) for e in found if e.url not in new)
        keep.setdefault(listing.url, set()).update(kept)
        undated += held
    ordered = sorted(new.values(), key=lambda e: (e.published_at is None, e.published_at or now))
    chosen = ordered[:cap]
    mark = _next_mark(stored, chosen, now)
    taken = {digest(e.url) for e in chosen}
    for listing in listings:
        for e in listing.entries[:MAX_LISTED]:
            d = digest(e.url)
            # taken now; or older than this poll's floor, yet new by the next poll's (after the
            # first poll, whose floor was the backfill window's start): dealt with, not taken
            when = e.published_at
            if d in taken or (mark and when and mark - LATE <= when < floor):
                keep[listing.url].add(d)
    cursors = [Cursor(source, HIGH_WATER, "", mark.isoformat())] if mark else []
    cursors.extend(listed_cursor(source, url, digests) for url, digests in keep.items())
    left = len(ordered) - len(chosen)
    if not left:
        cursors.extend(children)
    over = sum(max(len(listing.entries) - MAX_LISTED, 0) for listing in listings)
    return Choice(chosen, left=left, undated=undated, over=over, cursors=tuple(cursors))


# --- section pages ---------------------------------------------------------------------------------


def section_links(stored: CursorMap) -> set[str]:
    """The canonical links known to lead to section pages."""
    return {key for kind, key in stored if kind == SECTION}


def choose_links(
    source: str, page: str, links: Sequence[PageLink], stored: CursorMap, cap: int
) -> Choice[tuple[PageLink, str]]:
    """The links (with their canonical form) in page order, known sections and links taken before
    skipped, at most `cap`; the page's listing is what it lists now that was taken (the ingest
    records a section link when it fetches one)."""
    sections = section_links(stored)
    before = listed(stored, page) or set()
    chosen: list[tuple[PageLink, str]] = []
    kept: set[bytes] = set()
    skipped = left = 0
    for link in links:
        canonical = canonicalize(link.url)
        d = digest(canonical)
        if canonical in sections:
            skipped += 1
        elif d in before or d in kept:
            kept.add(d)
        elif len(chosen) < cap:
            chosen.append((link, canonical))
            kept.add(d)
        else:
            left += 1
    return Choice(chosen, left=left, skipped=skipped, cursors=(listed_cursor(source, page, kept),))


# --- Telegram channels ---------------------------------------------------------------------------


def _post_id(stored: CursorMap, kind: str) -> int | None:
    mark = stored.get((kind, ""))
    return int(mark.value) if mark and mark.value and mark.value.isdigit() else None


def last_post(stored: CursorMap) -> int | None:
    """The id of the newest post taken by an earlier poll, None before the first."""
    return _post_id(stored, LAST_POST)


def read_back_from(stored: CursorMap) -> int | None:
    """The id to start reading back from (`?before=`) instead of the newest page, if an earlier
    poll could not reach the last post; None to start at the newest page."""
    start = _post_id(stored, READ_BACK)
    last = last_post(stored)
    return start if start is not None and (last is None or start > last + 1) else None


def unread_posts(
    page: Sequence[TelegramPost], read: Mapping[int, TelegramPost], last: int | None
) -> list[TelegramPost]:
    """The posts of a page read neither earlier in this poll nor by an earlier poll."""
    return [p for p in page if p.id not in read and (last is None or p.id > last)]


def read_back_further(
    page: Sequence[TelegramPost], fresh: Sequence[TelegramPost], last: int | None, backfill_start: datetime
) -> bool:
    """True if the page older than this one may hold unread posts: this page had unread posts and
    did not reach the last post taken (before the first poll: a post older than the backfill
    window)."""
    if last is not None:
        reached = any(p.id <= last + 1 for p in page)  # ids are whole numbers: none in between
    else:
        reached = any(p.published_at is not None and p.published_at < backfill_start for p in page)
    return not reached and bool(fresh)


def choose_posts(
    source: str,
    read: Mapping[int, TelegramPost],
    last: int | None,
    backfill_start: datetime,
    cap: int,
    *,
    stop: str,
    resumed: bool = False,
) -> Choice[TelegramPost]:
    """The oldest `cap` of the unread posts (before the first poll: of those in the backfill
    window), oldest first. How reading back ended (`stop`) decides the cursors: "reached" the last
    post (or the window, or the channel's start), "bounded" by the pages one poll reads, "broken"
    by a page that failed. `resumed`: this poll started where read_back said."""
    candidates = sorted(read.values(), key=lambda p: p.id)
    if last is None:
        candidates = [p for p in candidates if p.published_at is None or p.published_at >= backfill_start]
    if stop == "bounded":  # posts between the last (or the window's start) and these are unknown
        return Choice([], left=len(candidates), cursors=(Cursor(source, READ_BACK, "", str(min(read))),))
    chosen = candidates[:cap]
    left = len(candidates) - len(chosen)
    if stop == "broken":
        return Choice(chosen, left=left)
    cursors: list[Cursor] = []
    upto = chosen[-1].id if left else max(read, default=None)  # nothing left: every post read is dealt with
    if upto is not None and (last is None or upto > last):
        cursors.append(Cursor(source, LAST_POST, "", str(upto)))
    if resumed and not left:
        cursors.append(Cursor(source, READ_BACK, "", ""))
    return Choice(chosen, left=left, cursors=tuple(cursors))


def text_digest(post: TelegramPost) -> str:
    """What a post's text is remembered by (16 hex digits)."""
    return hashlib.blake2b(post.text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def post_texts(stored: CursorMap) -> dict[int, str]:
    """The remembered text digests of a channel's newest posts, by id (what cannot be read is not)."""
    row = stored.get((POST_TEXTS, ""))
    found: dict[int, str] = {}
    for item in (row.value or "").split() if row else []:
        number, _, text = item.partition(":")
        if number.isdigit() and len(text) == 16:
            found[int(number)] = text
    return found


def choose_edits(
    source: str, again: Mapping[int, TelegramPost], taken: Sequence[TelegramPost], stored: CursorMap
) -> Choice[TelegramPost]:
    """Of the posts read again (taken by an earlier poll), those marked edited whose text is not
    the one remembered, oldest first; and the texts to remember: the newest `MAX_TEXTS` of those
    remembered, read again and `taken` now. A post read again whose text was never remembered
    (taken before texts were) is remembered, not taken: what it said before is not known."""
    texts = post_texts(stored)
    edited = [
        p
        for p in sorted(again.values(), key=lambda p: p.id)
        if p.edited and texts.get(p.id, text_digest(p)) != text_digest(p)
    ]
    texts.update((p.id, text_digest(p)) for p in (*again.values(), *taken))
    keep = sorted(texts)[-MAX_TEXTS:]
    return Choice(
        edited, cursors=(Cursor(source, POST_TEXTS, "", " ".join(f"{i}:{texts[i]}" for i in keep)),)
    )
