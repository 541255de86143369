"""One chosen entry read: its page fetched, analysed in the process pool, and kept if it is an
article. What becomes of the entry is counted on its poll's report and logged on its poll.
"""

from __future__ import annotations

import asyncio
import logging

from flows.pipeline.analysis import AnalysisPool, PageJob
from flows.pipeline.entries import Todo
from flows.pipeline.polling import fetch_log_entry
from flows.stages.net.fetch import Fetcher, FetchResult
from flows.stages.sources.pages import looks_like_section
from storage import ArticleRecord, FetchLogEntry
from storage.cursors import Cursor

log = logging.getLogger(__name__)


async def read_entry(
    todo: Todo, fetcher: Fetcher, pool: AnalysisPool, inflight: asyncio.Semaphore
) -> ArticleRecord | None:
    """The entry's article, analysed; None when there is none to store (counted on the report).
    `inflight` bounds the pages held between download and analysis."""
    async with inflight:
        res = await fetch_entry(fetcher, todo)
        if res is None:
            return None
        record = await analyse_entry(pool, todo, res)
    if record is None or not await worth_storing(todo, res, record):
        return None
    return record


async def fetch_entry(fetcher: Fetcher, todo: Todo) -> FetchResult | None:
    """The entry's page (logged on its poll); None when it failed or was refused and the feed
    gives no text of its own (counted failed or skipped)."""
    poll, entry = todo.poll, todo.entry
    target = entry.link if entry.fetch is None else entry.fetch
    if target:
        res = await fetcher.get(target, check_robots=True)
        poll.log.append(fetch_log_entry(poll.source.name, "article", res))
    else:  # the entry is the article (a Telegram post): nothing to fetch
        res = FetchResult(entry.link, entry.link, error="not fetched")
    if res.ok or entry.feed_text:
        return res
    if res.skipped:
        poll.report.skipped += 1
    else:
        poll.report.failed += 1
    return None


def page_job(todo: Todo, res: FetchResult) -> PageJob:
    """What an analysis worker needs of the entry and its page (none if it was not fetched)."""
    return PageJob(
        source=todo.poll.source.name,
        url=todo.entry.link,
        canonical_url=todo.canonical,
        body=res.body if res.ok else b"",
        content_type=res.headers.get("content-type"),
        final_url=res.final_url,
        entry=todo.entry,
        language_hint=todo.poll.source.language,
    )


async def analyse_entry(pool: AnalysisPool, todo: Todo, res: FetchResult) -> ArticleRecord | None:
    """The page extracted and analysed; None when the analysis failed (counted and logged)."""
    job = page_job(todo, res)
    try:
        return await pool.analyse(job)
    except Exception as exc:  # noqa: BLE001 - one bad page is recorded and skipped
        poll = todo.poll
        poll.report.failed += 1
        poll.log.append(
            FetchLogEntry(
                poll.source.name, "extract", todo.entry.link, "error", error=f"{type(exc).__name__}: {exc}"
            )
        )
        return None


def is_section(res: FetchResult) -> bool:
    """A link of a section page that leads to another section page (many article links, little text)."""
    return looks_like_section(res.body, res.final_url, res.headers.get("content-type"))


async def worth_storing(todo: Todo, res: FetchResult, record: ArticleRecord) -> bool:
    """False for a section page found among a section page's links (remembered, so it is never
    fetched again, and counted skipped) and for an article without text (counted failed)."""
    poll = todo.poll
    if todo.entry.section_check and res.ok and await asyncio.to_thread(is_section, res):
        poll.sections.append(Cursor(poll.source.name, "section", todo.canonical))
        poll.report.skipped += 1
        return False
    if not record.text.strip():
        poll.report.failed += 1
        return False
    return True


def entry_failed(todo: Todo, exc: Exception) -> None:
    """An unexpected error while reading an entry: it costs only that entry (counted and logged)."""
    poll, link = todo.poll, todo.entry.link
    log.warning(
        "entry %s of %s failed: %r",
        link[:300],
        poll.source.name,
        exc,
        exc_info=log.isEnabledFor(logging.DEBUG),
    )
    poll.report.failed += 1
    poll.log.append(
        FetchLogEntry(poll.source.name, "article", link[:2000], "error", error=f"{type(exc).__name__}: {exc}")
    )
