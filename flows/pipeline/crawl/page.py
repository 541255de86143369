"""Polling a section or home page: its article links, as the cursor contract chooses them
(`flows.stages.sources.cursors`); the ingest finds out which of them are sections themselves."""

from __future__ import annotations

import asyncio

from flows.config import Settings, Source
from flows.pipeline.crawl.polls import poll_failed, poll_not_modified, poll_ok
from flows.pipeline.polling import Poll, conditional_headers, fetch_log_entry
from flows.stages.net.fetch import HTML_TYPES, Fetcher
from flows.stages.sources.cursors import CursorMap, choose_links
from flows.stages.sources.feeds import FeedEntry
from flows.stages.sources.pages import article_links
from storage import SourceState


async def poll_page(
    fetcher: Fetcher, source: Source, state: SourceState | None, cursors: CursorMap, settings: Settings
) -> Poll:
    """The article links of a section or home page not taken before and not known to be section
    pages themselves, in page order, capped."""
    headers = conditional_headers(state)
    headers["Accept"] = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
    res = await fetcher.get(source.url, headers=headers, accept=HTML_TYPES)
    log = [fetch_log_entry(source.name, "feed", res)]
    if res.not_modified:
        return poll_not_modified(source, res, log)
    if not res.ok:
        return poll_failed(source, res, log)
    links = await asyncio.to_thread(article_links, res.body, res.final_url, res.headers.get("content-type"))
    cap = settings.max_articles_per_source
    choice = choose_links(source.name, source.url, links, cursors, cap)
    problem = None if links else "no article links found on the page"
    if choice.left:
        problem = f"{choice.left} more new links than max_articles_per_source ({cap}): taken next poll"
    # capped: keep the page's validators unsaved, so the next poll reads it again and goes on
    poll = poll_ok(source, res, log, problem, validators=not choice.left)
    poll.report.skipped += choice.skipped
    poll.cursors.extend(choice.cursors)
    for link, canonical in choice.chosen:
        entry = FeedEntry(link.url, link.url, None, None, None, None, None, None, section_check=True)
        poll.entries.append((entry, canonical))
    return poll
