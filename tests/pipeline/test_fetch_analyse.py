"""Reading one entry: what is counted when there is no page, and which analysed pages are kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from flows.config import Settings, Source
from flows.pipeline.entries import Todo
from flows.pipeline.fetch_analyse import fetch_entry, worth_storing
from flows.pipeline.polling import Poll, SourceReport
from flows.stages.net.fetch import Fetcher, FetchResult
from flows.stages.sources.feeds import FeedEntry
from storage import ArticleRecord

LINK = "https://t.me/s/channel/7"


def todo(content: str | None, *, fetch: str | None = "", section_check: bool = False) -> Todo:
    source = Source(name="Channel", url="https://t.me/s/channel", type="telegram")
    entry = FeedEntry(
        LINK, LINK, None, None, content, None, None, None, fetch=fetch, section_check=section_check
    )
    return Todo(Poll(source, SourceReport("Channel"), None), entry, LINK)


def fetched(t: Todo) -> FetchResult | None:
    async def run() -> FetchResult | None:
        async with Fetcher.open(Settings()) as fetcher:
            return await fetch_entry(fetcher, t)

    return asyncio.run(run())


def test_a_post_is_its_own_article_and_a_post_without_text_is_a_failure() -> None:
    post = todo("<p>The ministry announced a new water agreement.</p>")
    res = fetched(post)
    assert res is not None and res.error == "not fetched"
    assert post.poll.log == []  # nothing was fetched, nothing is logged
    empty = todo(None)
    assert fetched(empty) is None
    assert (empty.poll.report.failed, empty.poll.report.skipped) == (1, 0)


def record(text: str) -> ArticleRecord:
    return ArticleRecord(LINK, LINK, "Channel", None, text, datetime(2026, 12, 1, tzinfo=UTC))


def test_an_article_without_text_is_not_stored_and_counts_as_failed() -> None:
    t = todo(None, fetch=None, section_check=True)
    res = FetchResult(LINK, LINK, status=200, body=b"<html><body><p>A story.</p></body></html>")
    assert asyncio.run(worth_storing(t, res, record("A story."))) is True
    assert asyncio.run(worth_storing(t, res, record("  \n"))) is False
    assert (t.poll.report.failed, t.poll.report.skipped, t.poll.sections) == (1, 0, [])


def test_a_section_page_among_a_section_pages_links_is_remembered_and_skipped() -> None:
    links = "".join(
        f'<li><a href="/world/2026/12/story-number-{i}">Story number {i} of the day</a></li>'
        for i in range(40)
    )
    res = FetchResult(
        LINK,
        "https://news.test/world/",
        status=200,
        body=f"<html><body><ul>{links}</ul></body></html>".encode(),
        headers={"content-type": "text/html"},
    )
    t = todo(None, fetch=None, section_check=True)
    assert asyncio.run(worth_storing(t, res, record("Story number 1 of the day"))) is False
    assert (t.poll.report.skipped, [c.kind for c in t.poll.sections]) == (1, ["section"])
