"""Polling sources without a feed: sitemaps, section pages and Telegram channels, one crawler a
module (sitemap, page, telegram), each fetching and parsing its own format.

Each poll returns the same `Poll` a feed's does (entries to fetch, a `PollOutcome`, fetch-log
lines) plus the cursors to save once its articles are stored; what a cursor records, when it may
move and how the per-poll cap applies are one contract for all three, in
`flows.stages.sources.cursors`. `poll_any` picks the poll by `source.type`.
"""

from __future__ import annotations

from flows.config import Settings, Source
from flows.pipeline.crawl.page import poll_page
from flows.pipeline.crawl.sitemap import poll_sitemap
from flows.pipeline.crawl.telegram import poll_telegram
from flows.pipeline.polling import Poll, poll_source
from flows.stages.net.fetch import Fetcher
from flows.stages.sources.cursors import CursorMap
from storage import SourceState

__all__ = ["poll_any", "poll_page", "poll_sitemap", "poll_telegram"]


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
