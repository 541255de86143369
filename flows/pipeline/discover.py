"""`newswatch sources add URL`: what kind of source a URL is, and its feeds if it has any.

A feed URL is a feed; a page names its feeds (`<link rel=alternate>`, feed-looking links) or the
site has one at a common path; else a sitemap (robots.txt `Sitemap:` lines, common paths); else a
Telegram channel preview; else the page itself, polled for its article links.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from flows.stages.net.fetch import FEED_TYPES, Fetcher, FetchResult
from flows.stages.sources.discovery import (
    COMMON_FEED_PATHS,
    COMMON_SITEMAP_PATHS,
    alternate_feeds,
    feed_like_links,
    is_telegram,
    page_title,
    site_root,
    sniff,
)
from flows.stages.sources.feeds import FeedError, parse_feed
from flows.stages.sources.pages import article_links
from flows.stages.sources.sitemaps import SitemapError, parse_sitemap, robots_sitemaps
from flows.stages.sources.telegram import TelegramError, parse_channel_page, preview_url


@dataclass(frozen=True)
class Candidate:
    type: str  # feed | sitemap | page | telegram
    url: str
    title: str | None = None
    entries: int = 0  # entries (or article links, or posts) found in it
    how: str = ""  # where it was found


@dataclass
class Discovery:
    url: str
    candidates: list[Candidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


async def _feed(fetcher: Fetcher, url: str, how: str) -> Candidate | None:
    res = await fetcher.get(url, accept=FEED_TYPES, retries=0)
    if not res.ok or sniff(res.body) != "feed":
        return None
    try:
        feed = await asyncio.to_thread(
            parse_feed, res.body, res.final_url, content_type=res.headers.get("content-type")
        )
    except FeedError:
        return None
    return Candidate("feed", res.final_url if res.moved_to else url, feed.title, len(feed.entries), how)


async def _sitemap(fetcher: Fetcher, url: str, how: str, limit: int) -> Candidate | None:
    res = await fetcher.get(url, accept=None, retries=0)
    if not res.ok:
        return None
    try:
        parsed = await asyncio.to_thread(parse_sitemap, res.body, res.final_url, limit=limit)
    except SitemapError:
        return None
    count = len(parsed.children) if parsed.is_index else len(parsed.entries)
    return Candidate("sitemap", url, None, count, how)


async def discover(fetcher: Fetcher, url: str) -> Discovery:
    """Every source found for `url`, the best first (feeds, then sitemaps, channel, the page)."""
    found = Discovery(url)
    if is_telegram(url):
        url = preview_url(url)
    res = await fetcher.get(url, accept=None)
    if not res.ok:
        found.notes.append(f"{url}: {res.error}")
        return found
    itself = await _the_url_itself(fetcher, url, res, found.notes)
    if itself is not None:
        found.candidates.append(itself)
        return found
    ctype = res.headers.get("content-type")
    named = alternate_feeds(res.body, res.final_url, ctype)
    found.candidates += await _named_feeds(fetcher, named, found.notes)
    if not found.candidates:
        found.candidates += await _guessed_feed(fetcher, res, tried={feed_url for feed_url, _ in named})
    if not found.candidates:
        found.candidates += await _site_sitemap(fetcher, res)
    articles = article_links(res.body, res.final_url, ctype)
    title = page_title(res.body, ctype)
    found.candidates.append(Candidate("page", url, title, len(articles), "the page's article links"))
    if not articles:
        found.notes.append(f"{url}: no article links found on the page")
    return found


async def _the_url_itself(fetcher: Fetcher, url: str, res: FetchResult, notes: list[str]) -> Candidate | None:
    """The URL as a source of its own: a feed, a sitemap or a Telegram channel preview."""
    kind = sniff(res.body)
    if kind == "feed" and (cand := await _feed(fetcher, url, "the URL itself")):
        return cand
    limit = fetcher.settings.max_bytes
    if kind == "sitemap" and (cand := await _sitemap(fetcher, url, "the URL itself", limit)):
        return cand
    if kind == "telegram" or is_telegram(url):
        try:
            page = parse_channel_page(res.body, res.headers.get("content-type"))
        except TelegramError as exc:
            notes.append(str(exc))
            return None
        return Candidate("telegram", url, page.title, len(page.posts), "a channel preview")
    return None


async def _named_feeds(
    fetcher: Fetcher, named: list[tuple[str, str | None]], notes: list[str]
) -> list[Candidate]:
    """The feeds the page names (`<link rel=alternate>`) that can be read, with the page's titles."""
    found = []
    for feed_url, feed_title in named:
        cand = await _feed(fetcher, feed_url, '<link rel="alternate">')
        if cand:
            found.append(Candidate("feed", cand.url, feed_title or cand.title, cand.entries, cand.how))
        else:
            notes.append(f"{feed_url}: named by the page but not a readable feed")
    return found


async def _guessed_feed(fetcher: Fetcher, res: FetchResult, tried: set[str]) -> list[Candidate]:
    """The first readable feed among the page's feed-looking links and the common feed paths."""
    root = site_root(res.final_url)
    links = feed_like_links(res.body, res.final_url, res.headers.get("content-type"))[:5]
    tried = set(tried)
    for feed_url in [*links, *(root + p for p in COMMON_FEED_PATHS)]:
        if feed_url in tried:
            continue
        tried.add(feed_url)
        how = "a feed link on the page" if feed_url in links else "a common path"
        if cand := await _feed(fetcher, feed_url, how):
            return [cand]
    return []


async def _site_sitemap(fetcher: Fetcher, res: FetchResult) -> list[Candidate]:
    """The first readable sitemap among those robots.txt names and the common sitemap paths."""
    root = site_root(res.final_url)
    robots = await fetcher.get(root + "/robots.txt", accept=None, retries=0)
    maps = robots_sitemaps(robots.body.decode("utf-8", "replace"), root) if robots.ok else []
    for map_url in [*maps, *(root + p for p in COMMON_SITEMAP_PATHS)]:
        how = "robots.txt" if map_url in maps else "a common path"
        if cand := await _sitemap(fetcher, map_url, how, fetcher.settings.max_bytes):
            return [cand]
    return []
