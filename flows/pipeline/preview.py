"""`newswatch sources test URL`: poll a source once, of any type, and analyse what it would give,
storing nothing (no database is opened)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from flows.clock import local
from flows.config import Config, Source
from flows.pipeline.analysis import Analyzer, PageJob
from flows.pipeline.crawl import poll_any
from flows.pipeline.polling import SourceReport
from flows.stages.net.fetch import Fetcher, host_of
from flows.stages.net.netguard import hosts_resolver
from flows.stages.sources.feeds import FeedEntry


@dataclass(frozen=True)
class PreviewItem:
    url: str
    title: str | None
    language: str | None = None
    relevance: float | None = None
    is_relevant: bool | None = None
    countries: tuple[str, ...] = ()
    words: int = 0
    published: str | None = None
    author: str | None = None
    error: str | None = None


@dataclass
class Preview:
    source: Source
    report: SourceReport
    entries: int = 0
    items: list[PreviewItem] = field(default_factory=list)


async def preview_source(config: Config, source: Source, limit: int = 10) -> Preview:
    """The source's entries as one poll finds them (first poll: no history), the first `limit`
    fetched and analysed like an ingest would; nothing is stored."""
    settings = config.settings
    resolver = hosts_resolver(settings.hosts) if settings.hosts else None
    analyzer = Analyzer(config.topic, settings.relevance_threshold, extraction=settings.extraction)
    trusted = {host_of(source.url), *(host_of(s.url) for s in config.sources)}
    async with Fetcher.open(settings, trusted_hosts=trusted, resolver=resolver) as fetcher:
        poll = await poll_any(fetcher, source, None, {}, settings)
        preview = Preview(source, poll.report, entries=len(poll.entries))

        async def one(entry_and_url: tuple[FeedEntry, str]) -> PreviewItem:
            entry, canonical = entry_and_url
            target = entry.link if entry.fetch is None else entry.fetch
            body, ctype, final = b"", None, entry.link
            if target:
                res = await fetcher.get(target, check_robots=True)
                if not res.ok and not entry.feed_text:
                    return PreviewItem(entry.link, entry.title, error=res.error)
                body, ctype, final = (
                    (res.body, res.headers.get("content-type"), res.final_url)
                    if res.ok
                    else (b"", None, entry.link)
                )
            job = PageJob(source.name, entry.link, canonical, body, ctype, final, entry, source.language)
            try:
                record = await asyncio.to_thread(analyzer.page, job)
            except Exception as exc:  # noqa: BLE001 - one page's failure is shown on its line
                return PreviewItem(entry.link, entry.title, error=f"{type(exc).__name__}: {exc}")
            return PreviewItem(
                entry.link,
                record.title,
                record.language,
                record.relevance,
                record.is_relevant,
                tuple(record.countries or ()),
                record.word_count,
                local(record.published_at, config.settings.tz) or None,
                record.author,
                None if record.text.strip() else "no text extracted",
            )

        preview.items = list(await asyncio.gather(*(one(e) for e in poll.entries[:limit])))
    return preview
