"""Where a source without a feed stopped reading, and how far one poll may move it on: the one
cursor contract of the sitemap, section page and Telegram crawlers. Pure: the stored cursors, what
a poll read and the per-poll cap in; the entries to take, how many were left, and the cursors to
save out. The crawlers only fetch and parse their formats.

What a cursor records (one `storage.cursors.Cursor` row per source, kind and key):
- high_water: a sitemap's mark, the newest date (UTC, ISO 8601) of the entries taken. Entries dated
  before it are old; before the first poll the backfill window says how far back to go.
- child: a child sitemap's lastmod as written, with its validators. A child whose lastmod is the
  stored one is not read again.
- last_post: the id of a channel's newest post read. Posts with a higher id are new.
- section: a link of a section page that led to another section page. It is never taken again
  (the ingest records one when it fetches such a link).

When a cursor may move: a crawler returns the cursors with its poll and the ingest saves them only
once the poll's articles are stored, and not at all when one of them failed, so the next poll
reads the same entries again. A cursor that a poll does not return stays as it was.

How the per-poll cap (`max_articles_per_source`) applies:
- sitemap: of the new dated entries, oldest first, the first `cap` are taken and the mark moves to
  the newest date among them. A capped poll saves no child cursor (nor the root's validators), so
  the next poll reads the same children again and goes on from the mark.
- section page: the links in page order, known sections skipped, the first `cap` taken. Nothing
  else is recorded.
- channel: reading back stops once `cap` posts are read; of the unread posts the newest `cap` are
  taken. The last post moves to the newest post read, unless reading back was cut short by an
  error.

Known disagreements, kept as they are here for the next change to fix:
- The sitemap mark is the newest date taken. When more entries than the cap share that date (a
  sitemap stamped with the day it was generated), every poll takes the same first ones and the
  rest are never taken, and the mark never moves. One entry dated ahead of its time moves the mark
  past entries still to come, and they are never taken. Entries without a date are never taken.
- The channel cap keeps the newest posts while the last post moves to the newest read: the oldest
  posts of a burst longer than the cap are lost for good.
- The section page cap records nothing: a page listing more links than the cap retakes the same
  first ones every poll, and the rest are never taken.
- Section links are kept for ever: a link once found to be a section is never read again, whatever
  it becomes, and the list only grows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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
LAST_POST = "last_post"
SECTION = "section"

T = TypeVar("T")


@dataclass(frozen=True)
class Choice(Generic[T]):
    """What a poll takes, in the order to fetch it, and the cursors to save once it is stored."""

    chosen: list[T]
    left: int = 0  # new ones past the per-poll cap, not taken this poll
    skipped: int = 0  # known not to be articles (section links)
    undated: int = 0  # without a date, not taken (sitemap entries)
    cursors: tuple[Cursor, ...] = ()


# --- sitemaps ------------------------------------------------------------------------------------


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


def choose_entries(
    source: str,
    entries: Sequence[SitemapEntry],
    stored: CursorMap,
    backfill_start: datetime,
    cap: int,
    children: Sequence[Cursor] = (),
) -> Choice[SitemapEntry]:
    """The entries dated at or after the mark (or `backfill_start` before there is one), oldest
    first, at most `cap`. Undated entries are counted, not taken: whether they are new cannot be
    told, and a large undated sitemap would be the whole site's archive.

    Oldest first, so a capped poll moves the mark only as far as it read and the next poll goes on
    from there. The `children` read this poll are saved only if nothing was left."""
    mark = stored.get((HIGH_WATER, ""))
    since = parse_date(mark.value if mark else None) or backfill_start
    new = sorted(
        (e for e in entries if e.published_at is not None and e.published_at >= since),
        key=lambda e: e.published_at or since,
    )
    chosen = new[:cap]
    left = len(new) - len(chosen)
    dated = [e.published_at for e in chosen if e.published_at is not None]
    cursors = [Cursor(source, HIGH_WATER, "", max(dated).isoformat())] if dated else []
    if not left:
        cursors.extend(children)
    undated = sum(1 for e in entries if e.published_at is None)
    return Choice(chosen, left=left, undated=undated, cursors=tuple(cursors))


# --- section pages ---------------------------------------------------------------------------------


def section_links(stored: CursorMap) -> set[str]:
    """The canonical links known to lead to section pages."""
    return {key for kind, key in stored if kind == SECTION}


def choose_links(links: Sequence[PageLink], stored: CursorMap, cap: int) -> Choice[tuple[PageLink, str]]:
    """The links (with their canonical form) in page order, known sections skipped, at most `cap`.
    Saves no cursor: the ingest records a section link when it fetches one."""
    sections = section_links(stored)
    chosen: list[tuple[PageLink, str]] = []
    skipped = 0
    rest: Sequence[PageLink] = ()
    for i, link in enumerate(links):
        canonical = canonicalize(link.url)
        if canonical in sections:
            skipped += 1
            continue
        chosen.append((link, canonical))
        if len(chosen) >= cap:
            rest = links[i + 1 :]
            break
    left = sum(1 for link in rest if canonicalize(link.url) not in sections)
    return Choice(chosen, left=left, skipped=skipped)


# --- Telegram channels ---------------------------------------------------------------------------


def last_post(stored: CursorMap) -> int | None:
    """The id of the newest post read by an earlier poll, None before the first."""
    mark = stored.get((LAST_POST, ""))
    return int(mark.value) if mark and mark.value and mark.value.isdigit() else None


def unread_posts(
    page: Sequence[TelegramPost], read: Mapping[int, TelegramPost], last: int | None
) -> list[TelegramPost]:
    """The posts of a page read neither earlier in this poll nor by an earlier poll."""
    return [p for p in page if p.id not in read and (last is None or p.id > last)]


def read_back_further(
    page: Sequence[TelegramPost],
    fresh: Sequence[TelegramPost],
    read: int,
    last: int | None,
    backfill_start: datetime,
    cap: int,
) -> bool:
    """True if the page older than this one may hold unread posts worth the next request: this
    page had unread posts and reached neither the last post read (before the first poll: a post
    older than the backfill window) nor, with `read` posts so far, the cap."""
    if last is not None:
        reached = any(p.id <= last for p in page)
    else:
        reached = any(p.published_at is not None and p.published_at < backfill_start for p in page)
    return not reached and bool(fresh) and read < cap


def choose_posts(
    source: str,
    read: Mapping[int, TelegramPost],
    last: int | None,
    backfill_start: datetime,
    cap: int,
    *,
    complete: bool,
) -> Choice[TelegramPost]:
    """The newest `cap` of the unread posts (before the first poll: of those in the backfill
    window), oldest first. The last post moves to the newest read if reading back was `complete`."""
    chosen = sorted(read.values(), key=lambda p: p.id, reverse=True)
    if last is None:
        chosen = [p for p in chosen if p.published_at is None or p.published_at >= backfill_start]
    left = max(len(chosen) - cap, 0)
    chosen = chosen[:cap]
    cursors = (Cursor(source, LAST_POST, "", str(max(read))),) if read and complete else ()
    return Choice(list(reversed(chosen)), left=left, cursors=cursors)
