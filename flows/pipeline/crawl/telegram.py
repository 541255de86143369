"""Polling a Telegram channel's public preview (t.me/s/NAME): the newest page (or where an earlier
poll said to go on), then back through `?before=ID` (bounded); which posts to take and where the
last post moves are the cursor contract's (`flows.stages.sources.cursors`)."""

from __future__ import annotations

import asyncio
import dataclasses
import html
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flows.config import Settings, Source
from flows.pipeline.crawl.polls import poll_failed, poll_ok
from flows.pipeline.polling import Poll, fetch_log_entry
from flows.stages.net.fetch import HTML_TYPES, Fetcher, FetchResult
from flows.stages.net.urls import canonicalize
from flows.stages.sources.cursors import (
    Choice,
    CursorMap,
    choose_edits,
    choose_posts,
    last_post,
    read_back_from,
    read_back_further,
    unread_posts,
)
from flows.stages.sources.feeds import FeedEntry
from flows.stages.sources.telegram import (
    ChannelPage,
    TelegramError,
    TelegramPost,
    before_url,
    parse_channel_page,
    preview_url,
)
from storage import FetchLogEntry, SourceState

MAX_CHANNEL_PAGES = 50  # ?before= pages read in one poll


@dataclass
class Reading:
    """The channel pages of one poll: the first page's fetch, the unread posts by id, all fetches,
    and how reading back ended: "reached" the last post taken (or the backfill window, or the
    channel's start), "bounded" by MAX_CHANNEL_PAGES, or "broken" by an older page that failed."""

    first: FetchResult | None = None
    posts: dict[int, TelegramPost] = field(default_factory=dict)
    again: dict[int, TelegramPost] = field(default_factory=dict)  # posts taken before, read again
    log: list[FetchLogEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stop: str = "reached"


def post_entry(post: TelegramPost, fetch_links: bool) -> FeedEntry:
    """A post as a feed entry: its text as the content, the article it links to as what to fetch."""
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


async def read_channel(
    fetcher: Fetcher, source: Source, last: int | None, start: int | None, backfill_start: datetime
) -> Reading | Poll:
    """The channel's pages, newest first (or from `?before=start`), until the contract says the
    older ones hold nothing unread; the failed poll if the first page itself cannot be read."""
    url = preview_url(source.url)
    reading = Reading()
    page_url = url if start is None else before_url(url, start)
    for _ in range(MAX_CHANNEL_PAGES):
        res = await fetcher.get(page_url, headers={"Accept": "text/html"}, accept=HTML_TYPES)
        reading.log.append(fetch_log_entry(source.name, "feed" if reading.first is None else "channel", res))
        page: ChannelPage | None = None
        error = res.error
        if res.ok:
            try:
                page = await asyncio.to_thread(parse_channel_page, res.body, res.headers.get("content-type"))
            except TelegramError as exc:
                error = str(exc)
        if page is None:
            if reading.first is None:
                return poll_failed(source, res, reading.log, error)
            reading.problems.append(f"stopped reading back at {page_url}: {error}")
            reading.stop = "broken"
            return reading
        reading.first = reading.first or res
        fresh = unread_posts(page.posts, reading.posts, last)
        reading.posts.update((p.id, p) for p in fresh)
        reading.again.update((p.id, p) for p in page.posts if last is not None and p.id <= last)
        if page.before is None or not read_back_further(page.posts, fresh, last, backfill_start):
            return reading
        page_url = before_url(url, page.before)
    reading.stop = "bounded"
    return reading


async def poll_telegram(
    fetcher: Fetcher, source: Source, state: SourceState | None, cursors: CursorMap, settings: Settings
) -> Poll:
    """The posts since the last one taken, oldest first, capped, reading back through `?before=ID`
    (bounded)."""
    last = last_post(cursors)
    start = read_back_from(cursors)
    backfill_start = datetime.now(UTC) - timedelta(days=settings.backfill_days)
    cap = settings.max_articles_per_source
    reading = await read_channel(fetcher, source, last, start, backfill_start)
    if isinstance(reading, Poll):
        return reading
    assert reading.first is not None
    choice = choose_posts(
        source.name, reading.posts, last, backfill_start, cap, stop=reading.stop, resumed=start is not None
    )
    problems = [*reading.problems, *capped(reading, choice, last, cap)]
    poll = poll_ok(source, reading.first, reading.log, "; ".join(problems) or None, validators=False)
    for post in choice.chosen:
        if not post.text and not post.link:
            poll.report.skipped += 1  # a photo or video alone: no text to store
            continue
        entry = post_entry(post, settings.telegram_fetch_links)
        poll.entries.append((entry, canonicalize(entry.link)))
    edits = choose_edits(source.name, reading.again, choice.chosen, cursors)
    for post in edits.chosen:
        entry = post_entry(post, settings.telegram_fetch_links)
        if post.text and entry.fetch == "":  # the post's text is the article, not a page it links to
            poll.entries.append((dataclasses.replace(entry, revise=True), canonicalize(entry.link)))
    poll.cursors.extend([*choice.cursors, *edits.cursors])
    return poll


def capped(reading: Reading, choice: Choice[TelegramPost], last: int | None, cap: int) -> list[str]:
    """What the note says of the posts left for the next poll."""
    notes = []
    if reading.stop == "bounded":
        since = "the backfill window's start" if last is None else f"post {last}"
        notes.append(
            f"more than {MAX_CHANNEL_PAGES} pages of posts since {since}: the next poll reads on back"
            f" from post {min(reading.posts)}, and takes the oldest first"
        )
    if choice.left and choice.chosen:
        notes.append(
            f"{len(choice.chosen) + choice.left} new posts, more than max_articles_per_source ({cap}):"
            f" the oldest {len(choice.chosen)} taken, the other {choice.left} next poll"
        )
    return notes
