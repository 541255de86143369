"""Polling sources without a feed: sitemaps, section pages and Telegram channels.

Each poll returns the same `Poll` a feed's does (entries to fetch, a `PollOutcome`, fetch-log
lines) plus the cursors to save once its articles are stored: a sitemap's high-water mark and
child sitemaps' lastmod, a channel's last post. `poll_any` picks the poll by `source.type`.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from flows.config import Settings, Source
from flows.pipeline.polling import Poll, SourceReport, conditional_headers, fetch_log_entry, poll_source
from flows.stages.net.fetch import HTML_TYPES, Fetcher, FetchResult
from flows.stages.net.urls import canonicalize
from flows.stages.reading.dates import parse_date
from flows.stages.sources.feeds import FeedEntry
from flows.stages.sources.pages import article_links
from flows.stages.sources.sitemaps import (
    ChildSitemap,
    SitemapEntry,
    SitemapError,
    parse_sitemap,
    select_new,
)
from flows.stages.sources.telegram import (
    TelegramError,
    TelegramPost,
    before_url,
    parse_channel_page,
    preview_url,
)
from storage import FetchLogEntry, PollOutcome, SourceState
from storage.cursors import Cursor

CursorMap = Mapping[tuple[str, str], Cursor]
MAX_CHILD_SITEMAPS = 200  # child sitemaps read in one poll (an index of years of archives: the newest)
MAX_SITEMAP_DEPTH = 3
MAX_CHANNEL_PAGES = 50  # ?before= pages read in one poll


def _failed(source: Source, res: FetchResult, log: list[FetchLogEntry], error: str | None = None) -> Poll:
    error = error or res.error or "failed"
    report = SourceReport(source.name, status="error", error=error, moved_to=res.moved_to)
    outcome = PollOutcome(source.name, ok=False, status=res.status, error=error, moved_to=res.moved_to)
    return Poll(source, report, outcome, log=log)


def _not_modified(source: Source, res: FetchResult, log: list[FetchLogEntry]) -> Poll:
    report = SourceReport(source.name, status="not_modified", moved_to=res.moved_to)
    return Poll(source, report, PollOutcome(source.name, ok=True, status=304, moved_to=res.moved_to), log=log)


def _ok(
    source: Source,
    res: FetchResult,
    log: list[FetchLogEntry],
    problem: str | None,
    *,
    validators: bool = True,
) -> Poll:
    report = SourceReport(source.name, problem=problem, moved_to=res.moved_to)
    outcome = PollOutcome(
        source.name,
        ok=True,
        status=res.status,
        etag=res.headers.get("etag") if validators else None,
        last_modified=res.headers.get("last-modified") if validators else None,
        feed_problem=problem,
        moved_to=res.moved_to,
    )
    return Poll(source, report, outcome, log=log)


def _headers(etag: str | None, last_modified: str | None, accept: str) -> dict[str, str]:
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


# --- sitemaps ------------------------------------------------------------------------------------


async def poll_sitemap(
    fetcher: Fetcher, source: Source, state: SourceState | None, cursors: CursorMap, settings: Settings
) -> Poll:
    """The entries of a sitemap (index) newer than the high-water mark, oldest first, capped."""
    name = source.name
    accept = "application/xml, text/xml;q=0.9, */*;q=0.5"
    res = await fetcher.get(
        source.url,
        headers=_headers(state.etag if state else None, state.last_modified if state else None, accept),
        accept=None,
    )
    log = [fetch_log_entry(name, "feed", res)]
    if res.not_modified:
        return _not_modified(source, res, log)
    if not res.ok:
        return _failed(source, res, log)
    limit = settings.max_bytes
    try:
        root = await asyncio.to_thread(parse_sitemap, res.body, res.final_url, limit=limit)
    except SitemapError as exc:
        return _failed(source, res, log, str(exc))
    entries: list[SitemapEntry] = list(root.entries)
    problems: list[str] = []
    child_cursors: list[Cursor] = []
    queue: list[tuple[ChildSitemap, int]] = [(c, 1) for c in root.children]
    seen: set[str] = {res.final_url}
    read = 0
    while queue:
        child, depth = queue.pop(0)
        if child.url in seen or depth > MAX_SITEMAP_DEPTH:
            continue
        seen.add(child.url)
        prev = cursors.get(("child", child.url))
        if child.lastmod and prev is not None and prev.value == child.lastmod:
            continue  # its lastmod has not moved: nothing new in it
        if read >= MAX_CHILD_SITEMAPS:
            problems.append(f"more than {MAX_CHILD_SITEMAPS} child sitemaps changed; the rest next poll")
            break
        read += 1
        cres = await fetcher.get(
            child.url,
            headers=_headers(prev.etag if prev else None, prev.last_modified if prev else None, accept),
            accept=None,
        )
        log.append(fetch_log_entry(name, "sitemap", cres))
        if cres.not_modified:
            continue
        if not cres.ok:
            problems.append(f"child sitemap {child.url}: {cres.error}")
            continue
        try:
            parsed = await asyncio.to_thread(parse_sitemap, cres.body, cres.final_url, limit=limit)
        except SitemapError as exc:
            problems.append(f"child sitemap {child.url}: {exc}")
            continue
        entries.extend(parsed.entries)
        queue.extend((c, depth + 1) for c in parsed.children)
        child_cursors.append(
            Cursor(
                name,
                "child",
                child.url,
                child.lastmod,
                cres.headers.get("etag"),
                cres.headers.get("last-modified"),
            )
        )
    mark = cursors.get(("high_water", ""))
    since = parse_date(mark.value if mark else None) or datetime.now(UTC) - timedelta(
        days=settings.backfill_days
    )
    chosen, more, undated = select_new(entries, since, settings.max_articles_per_source)
    if undated:
        problems.append(f"{undated} entries without lastmod or publication date not taken")
    if more:
        problems.append(
            f"more than max_articles_per_source ({settings.max_articles_per_source}) new entries; the rest next poll"
        )
    # capped: read the same children again next poll, and keep the root's validators unsaved
    poll = _ok(source, res, log, "; ".join(problems) or None, validators=not more)
    poll.entries = [
        (
            FeedEntry(e.url, e.url, e.title, None, None, e.published_at, None, None),
            canonicalize(e.url),
        )
        for e in chosen
    ]
    dated = [e.published_at for e in chosen if e.published_at is not None]
    if dated:
        poll.cursors.append(Cursor(name, "high_water", "", max(dated).isoformat()))
    if not more:
        poll.cursors.extend(child_cursors)
    return poll


# --- section pages ---------------------------------------------------------------------------------


async def poll_page(
    fetcher: Fetcher, source: Source, state: SourceState | None, cursors: CursorMap, settings: Settings
) -> Poll:
    """The article links of a section or home page not known to be section pages themselves."""
    headers = conditional_headers(state)
    headers["Accept"] = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
    res = await fetcher.get(source.url, headers=headers, accept=HTML_TYPES)
    log = [fetch_log_entry(source.name, "feed", res)]
    if res.not_modified:
        return _not_modified(source, res, log)
    if not res.ok:
        return _failed(source, res, log)
    links = await asyncio.to_thread(article_links, res.body, res.final_url, res.headers.get("content-type"))
    sections = {key for kind, key in cursors if kind == "section"}
    poll = _ok(source, res, log, None if links else "no article links found on the page")
    for link in links:
        canonical = canonicalize(link.url)
        if canonical in sections:
            poll.report.skipped += 1
            continue
        entry = FeedEntry(link.url, link.url, None, None, None, None, None, None, section_check=True)
        poll.entries.append((entry, canonical))
        if len(poll.entries) >= settings.max_articles_per_source:
            break
    return poll


# --- Telegram channels --------------------------------------------------------------------------------


def _post_entry(post: TelegramPost, fetch_links: bool) -> FeedEntry:
    content = html.escape(post.text).replace("\n", "<br>\n")
    return FeedEntry(
        link=post.permalink,
        raw_link=post.permalink,
        title=post.title,
        summary=None,
        content=content,
        published_at=post.published_at,
        author=post.forwarded_from or post.channel_title,
        guid=f"{post.channel}/{post.id}",
        fetch=post.link if (post.link and fetch_links) else "",
    )


async def poll_telegram(
    fetcher: Fetcher, source: Source, state: SourceState | None, cursors: CursorMap, settings: Settings
) -> Poll:
    """Every post since the last one read, reading back through `?before=ID` (bounded)."""
    name = source.name
    mark = cursors.get(("last_post", ""))
    last = int(mark.value) if mark and mark.value and mark.value.isdigit() else None
    cutoff = datetime.now(UTC) - timedelta(days=settings.backfill_days)
    url = preview_url(source.url)
    budget = settings.max_articles_per_source
    posts: dict[int, TelegramPost] = {}
    log: list[FetchLogEntry] = []
    problems: list[str] = []
    first: FetchResult | None = None
    complete = True
    page_url = url
    for _ in range(MAX_CHANNEL_PAGES):
        res = await fetcher.get(page_url, headers={"Accept": "text/html"}, accept=HTML_TYPES)
        log.append(fetch_log_entry(name, "feed" if first is None else "channel", res))
        if not res.ok:
            if first is None:
                return _failed(source, res, log)
            problems.append(f"stopped reading back at {page_url}: {res.error}")
            complete = False
            break
        try:
            page = await asyncio.to_thread(parse_channel_page, res.body, res.headers.get("content-type"))
        except TelegramError as exc:
            if first is None:
                return _failed(source, res, log, str(exc))
            problems.append(f"stopped reading back at {page_url}: {exc}")
            complete = False
            break
        first = first or res
        fresh = [p for p in page.posts if p.id not in posts and (last is None or p.id > last)]
        posts.update((p.id, p) for p in fresh)
        if last is not None:
            reached = any(p.id <= last for p in page.posts)
        else:
            reached = any(p.published_at is not None and p.published_at < cutoff for p in page.posts)
        if reached or not fresh or page.before is None or len(posts) >= budget:
            break
        page_url = before_url(url, page.before)
    else:
        problems.append(f"read back {MAX_CHANNEL_PAGES} pages; older posts not read")
    assert first is not None
    chosen = sorted(posts.values(), key=lambda p: p.id, reverse=True)
    if last is None:
        chosen = [p for p in chosen if p.published_at is None or p.published_at >= cutoff]
    if len(chosen) > budget:
        problems.append(
            f"{len(chosen) - budget} older posts beyond max_articles_per_source ({budget}) not taken"
        )
        chosen = chosen[:budget]
    poll = _ok(source, first, log, "; ".join(problems) or None, validators=False)
    for post in reversed(chosen):
        if not post.text and not post.link:
            poll.report.skipped += 1  # a photo or video alone: no text to store
            continue
        entry = _post_entry(post, settings.telegram_fetch_links)
        poll.entries.append((entry, canonicalize(entry.link)))
    if posts and complete:
        poll.cursors.append(Cursor(name, "last_post", "", str(max(posts))))
    return poll


# --- any type -------------------------------------------------------------------------------------------


async def poll_any(
    fetcher: Fetcher, source: Source, state: SourceState | None, cursors: CursorMap, settings: Settings
) -> Poll:
    """Poll `source` the way its type asks."""
    if source.type == "sitemap":
        return await poll_sitemap(fetcher, source, state, cursors, settings)
    if source.type == "page":
        return await poll_page(fetcher, source, state, cursors, settings)
    if source.type == "telegram":
        return await poll_telegram(fetcher, source, state, cursors, settings)
    return await poll_source(fetcher, source, state, settings.max_articles_per_source)
