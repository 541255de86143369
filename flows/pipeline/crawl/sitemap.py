"""Polling a sitemap (index): the root and the child sitemaps whose lastmod moved, read breadth
first (bounded in depth and number); which entries to take and the cursors to save are the cursor
contract's (`flows.stages.sources.cursors`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flows.config import Settings, Source
from flows.pipeline.crawl.polls import poll_failed, poll_not_modified, poll_ok, validator_headers
from flows.pipeline.polling import Poll, fetch_log_entry
from flows.stages.net.fetch import Fetcher
from flows.stages.net.urls import canonicalize
from flows.stages.sources.cursors import (
    MAX_LISTED,
    CursorMap,
    Listing,
    child_cursor,
    child_unchanged,
    choose_entries,
    stored_child,
)
from flows.stages.sources.feeds import FeedEntry
from flows.stages.sources.sitemaps import ChildSitemap, SitemapError, parse_sitemap
from storage import FetchLogEntry, SourceState
from storage.cursors import Cursor

MAX_CHILD_SITEMAPS = 200  # child sitemaps read in one poll (an index of years of archives: the newest)
MAX_SITEMAP_DEPTH = 3
ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.5"


@dataclass
class Children:
    """What the child sitemaps of one poll gave: what each listed, their cursors, what went wrong."""

    listings: list[Listing] = field(default_factory=list)
    cursors: list[Cursor] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def read_children(
    fetcher: Fetcher,
    source: Source,
    roots: list[ChildSitemap],
    root_url: str,
    cursors: CursorMap,
    limit: int,
    log: list[FetchLogEntry],
) -> Children:
    """The child sitemaps whose lastmod moved, breadth first; their fetches go to `log`."""
    found = Children()
    queue: list[tuple[ChildSitemap, int, str]] = [(c, 1, source.url) for c in roots]
    seen: set[str] = {root_url}
    read = 0
    while queue:
        child, depth, parent = queue.pop(0)
        if child.url in seen or depth > MAX_SITEMAP_DEPTH:
            continue
        seen.add(child.url)
        if child_unchanged(cursors, child):
            continue
        if read >= MAX_CHILD_SITEMAPS:
            found.problems.append(
                f"more than {MAX_CHILD_SITEMAPS} child sitemaps changed; the rest next poll"
            )
            break
        read += 1
        prev = stored_child(cursors, child.url)
        headers = validator_headers(prev.etag if prev else None, prev.last_modified if prev else None, ACCEPT)
        cres = await fetcher.get(child.url, headers=headers, accept=None)
        log.append(fetch_log_entry(source.name, "sitemap", cres))
        if cres.not_modified:
            continue
        if not cres.ok:
            found.problems.append(f"child sitemap {child.url}: {cres.error}")
            continue
        try:
            parsed = await asyncio.to_thread(parse_sitemap, cres.body, cres.final_url, limit=limit)
        except SitemapError as exc:
            found.problems.append(f"child sitemap {child.url}: {exc}")
            continue
        found.listings.append(Listing(child.url, parsed.entries, [c.url for c in parsed.children], parent))
        queue.extend((c, depth + 1, child.url) for c in parsed.children)
        etag, last_modified = cres.headers.get("etag"), cres.headers.get("last-modified")
        found.cursors.append(child_cursor(source.name, child, etag, last_modified))
    return found


async def poll_sitemap(
    fetcher: Fetcher, source: Source, state: SourceState | None, cursors: CursorMap, settings: Settings
) -> Poll:
    """The new entries of a sitemap (index), dated oldest first then undated, capped."""
    headers = validator_headers(state.etag if state else None, state.last_modified if state else None, ACCEPT)
    res = await fetcher.get(source.url, headers=headers, accept=None)
    log = [fetch_log_entry(source.name, "feed", res)]
    if res.not_modified:
        return poll_not_modified(source, res, log)
    if not res.ok:
        return poll_failed(source, res, log)
    try:
        root = await asyncio.to_thread(parse_sitemap, res.body, res.final_url, limit=settings.max_bytes)
    except SitemapError as exc:
        return poll_failed(source, res, log, str(exc))
    children = await read_children(
        fetcher, source, root.children, res.final_url, cursors, settings.max_bytes, log
    )
    cap = settings.max_articles_per_source
    now = datetime.now(UTC)
    backfill_start = now - timedelta(days=settings.backfill_days)
    listings = [Listing(source.url, root.entries, [c.url for c in root.children]), *children.listings]
    choice = choose_entries(source.name, listings, cursors, now, backfill_start, cap, children.cursors)
    problems = children.problems
    if choice.undated:
        problems.append(
            f"{choice.undated} entries without a date were listed before the first poll: not taken"
            " (those listed later are)"
        )
    if choice.over:
        problems.append(f"{choice.over} entries past the {MAX_LISTED} a sitemap may list not read")
    if choice.left:
        problems.append(f"more than max_articles_per_source ({cap}) new entries; the rest next poll")
    # capped: read the same children again next poll, and keep the root's validators unsaved
    poll = poll_ok(source, res, log, "; ".join(problems) or None, validators=not choice.left)
    poll.entries = [
        (FeedEntry(e.url, e.url, e.title, None, None, e.published_at, None, None), canonicalize(e.url))
        for e in choice.chosen
    ]
    poll.cursors.extend(choice.cursors)
    return poll
