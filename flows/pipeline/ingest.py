"""The ingest cycle composed from plain functions; Prefect flows and the CLI both call it.

An ingest polls every due source, fetches each new link once, extracts and analyses pages in a
process pool (both cores) while further pages download, and stores them in short batches.
A source's ETag/Last-Modified is saved only after its articles are stored, so a crash mid-run
means the next run sees the same entries again and nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from flows.clock import local
from flows.config import Config, Source
from flows.pipeline.analysis import AnalysisPool, PageJob
from flows.pipeline.cleaning import SiteCleaner
from flows.pipeline.crawl import poll_any
from flows.pipeline.insert import insert_with_dedup
from flows.pipeline.maintenance import prune_history
from flows.pipeline.polling import Poll, SourceReport, failed_poll, fetch_log_entry, is_due
from flows.pipeline.replay import replay_spool
from flows.pipeline.watches import WatchSummary, run_watches
from flows.progress import Reporter, SilentReporter, show_waiting
from flows.stages.net.fetch import Fetcher, FetchResult, Resolver, host_of
from flows.stages.net.netguard import hosts_resolver
from flows.stages.sources.feeds import FeedEntry
from flows.stages.sources.pages import looks_like_section
from flows.stages.stories.near_duplicates import SiteLines
from flows.stages.stories.search import refresh_index
from storage import ArticleRecord, DatabaseBusy, FetchLogEntry, PollOutcome, Store
from storage.cursors import Cursor
from storage.spool import Spool, WriterLock

BATCH_SIZE = 100
log = logging.getLogger(__name__)


@dataclass
class IngestSummary:
    run_id: int
    reports: list[SourceReport]
    elapsed_seconds: float
    waited_seconds: float
    spooled: int = 0  # articles left in the spool for the next run (the database stayed busy)
    replayed: int = 0  # articles an earlier run had left in the spool, stored by this one
    note: str | None = None
    watches: WatchSummary | None = None

    @property
    def new(self) -> int:
        return sum(r.new for r in self.reports)

    @property
    def duplicate(self) -> int:
        return sum(r.duplicate for r in self.reports)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.reports)


async def ingest(
    config: Config,
    store: Store,
    *,
    reporter: Reporter | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
    workers: int | None = None,
    sources: Sequence[Source] | None = None,
) -> IngestSummary:
    """One ingest cycle over the enabled sources (or `sources`); one ingest writes at a time."""
    reporter = reporter or SilentReporter()
    lock = WriterLock(store.path, timeout=store.lock_timeout, on_wait=reporter.message)
    await asyncio.to_thread(lock.acquire)
    try:
        store.waited_seconds += lock.waited_seconds
        return await _ingest_locked(
            config,
            store,
            reporter=reporter,
            transport=transport,
            resolver=resolver,
            workers=workers,
            sources=sources,
        )
    finally:
        lock.release()


async def _ingest_locked(
    config: Config,
    store: Store,
    *,
    reporter: Reporter,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
    workers: int | None = None,
    sources: Sequence[Source] | None = None,
) -> IngestSummary:
    started = time.monotonic()
    settings = config.settings
    store.migrate()
    store.sync_sources(config.sources)
    store.interrupt_stale_runs("ingest")  # we hold the writer lock: a 'running' ingest was killed
    run_id = store.start_run("ingest")
    spool = Spool(store.path)
    replayed, _ = await asyncio.to_thread(replay_spool, spool, store, run_id, reporter)
    if replayed:
        reporter.message(f"stored {replayed} articles an earlier run had kept in {spool.dir}")
    reports: list[SourceReport] = []
    try:
        now = datetime.now(UTC)
        states = store.source_states()
        chosen = list(sources) if sources is not None else config.enabled_sources
        due = [s for s in chosen if is_due(states.get(s.name), now)]
        for s in chosen:
            if s not in due:
                st = states[s.name]
                reports.append(
                    SourceReport(
                        s.name,
                        status="backing_off",
                        error=f"failing ({st.consecutive_failures}x); next poll after"
                        f" {local(st.next_poll_at, settings.tz)}",
                    )
                )
        trusted = {host_of(s.url) for s in config.sources}
        if resolver is None and settings.hosts:
            resolver = hosts_resolver(settings.hosts)
        pool = AnalysisPool(config, workers, seeds=store.seed_texts())
        async with Fetcher.open(
            settings, transport=transport, trusted_hosts=trusted, resolver=resolver
        ) as fetcher:
            reporter.phase("feeds", len(due))
            waiting = {s.name for s in due}  # the progress line says which feeds are still out

            async def polled(s: Source) -> Poll:
                try:
                    cursors = await asyncio.to_thread(store.cursors, s.name) if s.type != "feed" else {}
                    poll = await poll_any(fetcher, s, states.get(s.name), cursors, settings)
                except Exception as exc:  # noqa: BLE001 - a feed can only ever cost its own source
                    log.warning(
                        "polling %s failed: %r", s.name, exc, exc_info=log.isEnabledFor(logging.DEBUG)
                    )
                    poll = failed_poll(s, f"unexpected error reading the feed: {type(exc).__name__}: {exc}")
                waiting.discard(s.name)
                show_waiting(reporter, sorted(waiting, key=str.lower))
                reporter.advance()
                return poll

            polls = list(await asyncio.gather(*(polled(s) for s in due)))
            try:
                busy = await _ingest_entries(polls, store, fetcher, pool, run_id, reporter, spool)
            finally:
                pool.close()
        for poll in polls:
            if poll.outcome is not None:
                outcome = poll.outcome
                if poll.report.failed:
                    # keep the old validators: the next poll must see the failed entries again
                    outcome = PollOutcome(**{**outcome.__dict__, "etag": None, "last_modified": None})
                    poll.cursors = []  # and the same entries of a sitemap or channel
                stored = poll.report.new + poll.report.duplicate  # copies are stored articles too
                outcome = PollOutcome(**{**outcome.__dict__, "new_articles": stored})
                poll.outcome = outcome
        reports = [p.report for p in polls] + reports
        summary = IngestSummary(
            run_id, reports, time.monotonic() - started, store.waited_seconds, replayed=replayed
        )
        try:
            if busy is not None:  # the database may be free again: store what was kept
                _, summary.spooled = await asyncio.to_thread(replay_spool, spool, store, run_id, reporter)
            store.record_polls(run_id, [p.outcome for p in polls if p.outcome is not None])
            store.log_fetches(run_id, [entry for p in polls for entry in p.log])
            store.save_cursors([c for p in polls for c in (*p.cursors, *p.sections)])
            await asyncio.to_thread(refresh_index, store, reporter)  # search finds this run's articles
            summary.watches = await run_watches(  # new stories of watches, announced
                config, store, run_id, reporter=reporter, transport=transport, resolver=resolver
            )
            summary.waited_seconds = store.waited_seconds
            store.finish_run(
                run_id,
                "ok",
                sources_polled=len(polls),
                new=summary.new,
                duplicate=summary.duplicate,
                failed=summary.failed,
                message=f"waited {store.waited_seconds:.1f} s for the database"
                if store.waited_seconds
                else None,
            )
            prune_history(config, store, reporter)  # fetch_log and run: settings.retention_days
        except DatabaseBusy as exc:
            summary.spooled = spool.count()
            summary.waited_seconds = store.waited_seconds
            summary.note = (
                f"{exc}. {summary.spooled} fetched articles are kept in {spool.dir} and will be stored"
                " by the next run; source health of this run is not recorded"
            )
            reporter.message(summary.note)
        return summary
    except BaseException as exc:
        with contextlib.suppress(Exception):  # the original error matters more
            store.finish_run(run_id, "failed", message=f"{type(exc).__name__}: {exc}"[:2000])
        raise


def is_section(res: FetchResult) -> bool:
    """A link of a section page that leads to another section page (many article links, little text)."""
    return looks_like_section(res.body, res.final_url, res.headers.get("content-type"))


def interleave_by_host(
    todo: list[tuple[Poll, FeedEntry, str]],
) -> list[tuple[Poll, FeedEntry, str]]:
    """Round-robin over hosts, so pages in flight spread over many hosts instead of queueing
    behind one host's per-host limit while the analysis workers wait."""
    by_host: dict[str, list[tuple[Poll, FeedEntry, str]]] = {}
    for item in todo:
        by_host.setdefault(host_of(item[1].link), []).append(item)
    queues = list(by_host.values())
    return [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]


async def _ingest_entries(
    polls: list[Poll],
    store: Store,
    fetcher: Fetcher,
    pool: AnalysisPool,
    run_id: int,
    reporter: Reporter,
    spool: Spool | None = None,
) -> str | None:
    """Fetch, analyse and store every entry not stored yet; per-source counts go on the polls.

    Each batch goes to the spool before the database; if the database stays busy past the
    store's lock_timeout, the rest of the run only spools. Returns why the database was given up on.
    """
    spool = spool or Spool(store.path)
    busy: list[str] = []
    candidates = [c for p in polls for _, c in p.entries]
    try:
        known = await asyncio.to_thread(store.known_canonical_urls, candidates)
    except DatabaseBusy as exc:  # fetch everything; inserts skip what is already stored
        busy.append(str(exc))
        known = set()
    todo: list[tuple[Poll, FeedEntry, str]] = []
    claimed: set[str] = set()
    for poll in polls:
        for entry, canonical in poll.entries:
            if canonical in known:
                poll.report.known += 1
            elif canonical in claimed:
                poll.report.same_link += 1  # another source of this run has the link: not stored twice
            else:
                claimed.add(canonical)
                todo.append((poll, entry, canonical))
    if not todo:
        return busy[0] if busy else None
    todo = interleave_by_host(todo)
    reporter.phase("articles", len(todo))
    inflight = asyncio.Semaphore(max(8, fetcher.settings.max_concurrency * 2))
    pending: list[tuple[Poll, ArticleRecord]] = []
    write_lock = asyncio.Lock()
    site_lines = SiteLines()
    cleaner: SiteCleaner[Poll] = SiteCleaner(
        pool.retext,
        {p.source.name: p.source.language for p in polls},
        enabled=fetcher.settings.outlet_templates,
    )
    if not busy and cleaner.enabled:
        await asyncio.to_thread(cleaner.load, store, sorted({p.source.name for p, _, _ in todo}))

    async def flush() -> None:
        if not pending:
            return
        batch = list(pending)
        pending.clear()
        records = await asyncio.to_thread(cleaner.clean, [r for _, r in batch])  # the outlets' templates out
        batch = [(poll, rec) for (poll, _), rec in zip(batch, records, strict=True)]
        kept = await asyncio.to_thread(spool.put, records)  # on disk before the database is tried
        async with write_lock:
            if not busy:
                page_lines = cleaner.take_unsaved()  # stored with the batch, in its transaction
                try:
                    results = await asyncio.to_thread(
                        insert_with_dedup, store, records, run_id, site_lines, page_lines
                    )
                except DatabaseBusy as exc:
                    cleaner.put_back(page_lines[0])
                    busy.append(str(exc))
                    reporter.message(f"{exc}; fetched articles are kept in {spool.dir}")
            if busy:
                for poll, _ in batch:
                    poll.report.spooled += 1
                return
            await asyncio.to_thread(spool.remove, kept)
            for (poll, _), result in zip(batch, results, strict=True):
                if not result.inserted:
                    poll.report.known += 1
                elif result.duplicate_of is not None:
                    poll.report.duplicate += 1
                else:
                    poll.report.new += 1

    async def handle(poll: Poll, entry: FeedEntry, canonical: str) -> None:
        try:
            await handle_one(poll, entry, canonical)
        except Exception as exc:  # noqa: BLE001 - an entry can only ever cost itself
            log.warning(
                "entry %s of %s failed: %r",
                entry.link[:300],
                poll.source.name,
                exc,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            poll.report.failed += 1
            poll.log.append(
                FetchLogEntry(
                    poll.source.name,
                    "article",
                    entry.link[:2000],
                    "error",
                    error=f"{type(exc).__name__}: {exc}",
                )
            )

    async def handle_one(poll: Poll, entry: FeedEntry, canonical: str) -> None:
        async with inflight:
            target = entry.link if entry.fetch is None else entry.fetch
            if target:
                res = await fetcher.get(target, check_robots=True)
                poll.log.append(fetch_log_entry(poll.source.name, "article", res))
            else:  # the entry is the article (a Telegram post): nothing to fetch
                res = FetchResult(entry.link, entry.link, error="not fetched")
            if not res.ok and not entry.feed_text:
                if res.skipped:
                    poll.report.skipped += 1
                else:
                    poll.report.failed += 1
                reporter.advance()
                return
            job = PageJob(
                source=poll.source.name,
                url=entry.link,
                canonical_url=canonical,
                body=res.body if res.ok else b"",
                content_type=res.headers.get("content-type"),
                final_url=res.final_url,
                entry=entry,
                language_hint=poll.source.language,
            )
            try:
                record = await pool.analyse(job)
            except Exception as exc:  # noqa: BLE001 - one bad page is recorded and skipped
                poll.report.failed += 1
                poll.log.append(
                    FetchLogEntry(
                        poll.source.name, "extract", entry.link, "error", error=f"{type(exc).__name__}: {exc}"
                    )
                )
                reporter.advance()
                return
        if entry.section_check and res.ok and await asyncio.to_thread(is_section, res):
            poll.sections.append(Cursor(poll.source.name, "section", canonical))  # never fetched again
            poll.report.skipped += 1
            reporter.advance()
            return
        if not record.text.strip():
            poll.report.failed += 1
            reporter.advance()
            return
        pending.extend(cleaner.arrive(poll, record))  # an outlet known too little waits for more pages
        reporter.advance()
        if len(pending) >= BATCH_SIZE:
            await flush()

    await asyncio.gather(*(handle(p, e, c) for p, e, c in todo))
    held = cleaner.release_all()
    for start in range(0, len(held), BATCH_SIZE):
        pending.extend(held[start : start + BATCH_SIZE])
        await flush()
    await flush()
    return busy[0] if busy else None
