"""Polling one source's feed: due or backing off, conditional headers, the feed parsed in a thread,
its entries canonicalised; what happened is kept on a `Poll` for the ingest to store.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from flows.config import Source
from flows.stages.net.fetch import FEED_TYPES, Fetcher, FetchResult
from flows.stages.net.urls import canonicalize
from flows.stages.sources.feeds import FeedEntry, FeedError, parse_feed
from storage import FetchLogEntry, PollOutcome, SourceState
from storage.cursors import Cursor


@dataclass
class SourceReport:
    name: str
    status: str = "ok"  # ok | not_modified | error | backing_off
    new: int = 0  # stored: a story not seen before
    duplicate: int = 0  # stored: a copy of a story already known (shown as "copies")
    same_link: int = 0  # not stored: another source of this run gave the same link
    failed: int = 0
    skipped: int = 0
    known: int = 0
    error: str | None = None
    problem: str | None = None
    moved_to: str | None = None
    spooled: int = 0  # analysed, kept in the spool because the database was busy
    revised: int = 0  # stored articles that took an edited text (the earlier one kept as a revision)


@dataclass
class Poll:
    source: Source
    report: SourceReport
    outcome: PollOutcome | None
    entries: list[tuple[FeedEntry, str]] = field(default_factory=list)  # (entry, canonical url)
    log: list[FetchLogEntry] = field(default_factory=list)
    # --- where a source without a feed stopped reading, saved once its articles are stored
    cursors: list[Cursor] = field(default_factory=list)
    sections: list[Cursor] = field(default_factory=list)  # links found to be section pages (kept always)


def is_due(state: SourceState | None, now: datetime) -> bool:
    if state is None or state.consecutive_failures <= 0 or state.next_poll_at is None:
        return True
    return now >= state.next_poll_at


def conditional_headers(state: SourceState | None) -> dict[str, str]:
    headers: dict[str, str] = {
        "Accept": "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5"
    }
    if state is not None and state.etag:
        headers["If-None-Match"] = state.etag
    if state is not None and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def fetch_log_entry(source: str | None, kind: str, res: FetchResult) -> FetchLogEntry:
    return FetchLogEntry(
        source=source,
        kind=kind,
        url=res.url,
        final_url=res.final_url,
        status=res.status,
        outcome=res.outcome,
        error=res.error,
        bytes=len(res.body),
        elapsed_ms=round(res.elapsed_ms, 1),
    )


async def poll_source(fetcher: Fetcher, source: Source, state: SourceState | None, max_entries: int) -> Poll:
    report = SourceReport(source.name)
    res = await fetcher.get(source.url, headers=conditional_headers(state), accept=FEED_TYPES)
    fetches = [fetch_log_entry(source.name, "feed", res)]
    report.moved_to = res.moved_to
    if res.not_modified:
        report.status = "not_modified"
        return Poll(
            source, report, PollOutcome(source.name, ok=True, status=304, moved_to=res.moved_to), log=fetches
        )
    if not res.ok:
        report.status, report.error = "error", res.error
        return Poll(
            source,
            report,
            PollOutcome(source.name, ok=False, status=res.status, error=res.error, moved_to=res.moved_to),
            log=fetches,
        )
    try:
        # in a thread: a large or hostile feed must not stall the downloads of every other source
        feed = await asyncio.to_thread(
            parse_feed, res.body, res.final_url, content_type=res.headers.get("content-type")
        )
    except FeedError as exc:
        report.status, report.error = "error", str(exc)
        fetches = [dataclasses.replace(fetches[0], outcome="error", error=str(exc))]  # fetched, but no feed
        outcome = PollOutcome(source.name, ok=False, status=res.status, error=str(exc), moved_to=res.moved_to)
        return Poll(source, report, outcome, log=fetches)
    report.problem = feed.problem
    fetches.extend(
        FetchLogEntry(source.name, "link", link[:2000], "skipped", error=reason)
        for link, reason in feed.dropped
    )
    entries = [(e, canonicalize(e.link)) for e in feed.entries[:max_entries]]
    outcome = PollOutcome(
        source.name,
        ok=True,
        status=res.status,
        etag=res.headers.get("etag"),
        last_modified=res.headers.get("last-modified"),
        feed_problem=feed.problem,
        moved_to=res.moved_to,
    )
    return Poll(source, report, outcome, entries=entries, log=fetches)


def failed_poll(source: Source, error: str) -> Poll:
    report = SourceReport(source.name, status="error", error=error)
    entry = FetchLogEntry(source.name, "feed", source.url, "error", error=error)
    return Poll(source, report, PollOutcome(source.name, ok=False, error=error), log=[entry])
