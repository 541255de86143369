"""The ingest cycle composed from its steps; Prefect flows and the CLI both call it.

An ingest polls every due source, chooses the entries not stored yet (each link once), fetches
and analyses their pages in a process pool (both cores) while further pages download, cleans
them by outlet and stores them in short batches, spool first. Then it records the polls, saves
the cursors, refreshes the search index, runs the watches and closes the run record.
A source's ETag/Last-Modified is saved only after its articles are stored, so a crash mid-run
means the next run sees the same entries again and nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from flows.config import Config, Source
from flows.pipeline.analysis import AnalysisPool
from flows.pipeline.cleaning import SiteCleaner
from flows.pipeline.entries import Todo, choose_entries, stored_already
from flows.pipeline.fetch_analyse import entry_failed, read_entry
from flows.pipeline.headlines import SiteHeadlines
from flows.pipeline.maintenance import prune_history
from flows.pipeline.poll_due import backing_off, due_sources, poll_due
from flows.pipeline.polling import Poll, SourceReport
from flows.pipeline.replay import replay_spool
from flows.pipeline.settle import Settled, settle_polls
from flows.pipeline.store_batches import BatchWriter
from flows.pipeline.watches import WatchSummary, run_watches
from flows.progress import Reporter, SilentReporter
from flows.stages.net.fetch import Fetcher, Resolver, host_of
from flows.stages.net.netguard import hosts_resolver
from flows.stages.reading.templates import site_of
from flows.stages.stories.search import refresh_index
from storage import DatabaseBusy, Store
from storage.spool import Spool, WriterLock


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


@dataclass(frozen=True)
class Run:
    run_id: int
    spool: Spool
    replayed: int  # articles an earlier run had left in the spool, stored at the start of this one


@dataclass(frozen=True)
class Polled:
    polls: list[Poll]  # the due sources' polls, each with its entries' counts on its report
    backing_off: list[SourceReport]  # the sources not due
    busy: str | None  # why the database was given up on while storing, if it was

    @property
    def reports(self) -> list[SourceReport]:
        return [p.report for p in self.polls] + self.backing_off


@dataclass
class AfterRun:
    waited_seconds: float  # for the database, until the run record was closed
    spooled: int = 0
    watches: WatchSummary | None = None
    note: str | None = None


async def ingest(
    config: Config,
    store: Store,
    *,
    reporter: Reporter | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
    workers: int | None = None,
    sources: Sequence[Source] | None = None,
    poll_now: bool = False,
) -> IngestSummary:
    """One ingest cycle over the enabled sources (or `sources`); one ingest writes at a time.
    `poll_now` polls them all, also those backing off after failures."""
    reporter = reporter or SilentReporter()
    lock = WriterLock(
        store.path, timeout=store.lock_timeout, on_wait=reporter.message, zone=config.settings.tz
    )
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
            poll_now=poll_now,
        )
    finally:
        lock.release()


async def _ingest_locked(
    config: Config,
    store: Store,
    *,
    reporter: Reporter,
    transport: httpx.AsyncBaseTransport | None,
    resolver: Resolver | None,
    workers: int | None,
    sources: Sequence[Source] | None,
    poll_now: bool = False,
) -> IngestSummary:
    started = time.monotonic()
    run = await open_run(config, store, reporter)
    try:
        if resolver is None and config.settings.hosts:
            resolver = hosts_resolver(config.settings.hosts)
        polled = await poll_and_store(
            config, store, run, reporter, transport, resolver, workers, sources, poll_now
        )
        settled = settle_polls(polled.polls)
        summary = IngestSummary(
            run.run_id,
            polled.reports,
            time.monotonic() - started,
            store.waited_seconds,
            replayed=run.replayed,
        )
        after = await after_run(
            config, store, run, settled, summary, polled.busy, reporter, transport, resolver
        )
        return dataclasses.replace(
            summary,
            waited_seconds=after.waited_seconds,
            spooled=after.spooled,
            note=after.note,
            watches=after.watches,
        )
    except (asyncio.CancelledError, KeyboardInterrupt):  # Ctrl-C: asyncio cancels the run
        with contextlib.suppress(Exception):
            store.interrupt_run(run.run_id)  # with the articles it stored; their sources not marked
        raise
    except BaseException as exc:
        with contextlib.suppress(Exception):  # the original error matters more
            store.finish_run(run.run_id, "failed", message=f"{type(exc).__name__}: {exc}"[:2000])
        raise


async def open_run(config: Config, store: Store, reporter: Reporter) -> Run:
    """The database ready, the run recorded, and what an earlier run kept in the spool stored."""
    store.migrate()
    store.sync_sources(config.sources)
    store.interrupt_stale_runs("ingest")  # we hold the writer lock: a 'running' ingest was killed
    run_id = store.start_run("ingest")
    spool = Spool(store.path)
    replayed, _ = await asyncio.to_thread(replay_spool, spool, store, run_id, reporter)
    if replayed:
        reporter.message(f"stored {replayed} articles an earlier run had kept in {spool.dir}")
    return Run(run_id, spool, replayed)


async def poll_and_store(
    config: Config,
    store: Store,
    run: Run,
    reporter: Reporter,
    transport: httpx.AsyncBaseTransport | None,
    resolver: Resolver | None,
    workers: int | None,
    sources: Sequence[Source] | None,
    poll_now: bool = False,
) -> Polled:
    """The due sources (all chosen ones, `poll_now`) polled, and their new entries fetched,
    analysed and stored."""
    now = datetime.now(UTC)
    states = store.source_states()
    chosen = list(sources) if sources is not None else config.enabled_sources
    due = chosen if poll_now else due_sources(chosen, states, now)
    waiting = backing_off(chosen, due, states, config.settings.tz)
    trusted = {host_of(s.url) for s in config.sources}
    pool = AnalysisPool(config, workers, seeds=store.seed_texts())
    async with Fetcher.open(
        config.settings, transport=transport, trusted_hosts=trusted, resolver=resolver
    ) as fetcher:
        polls = await poll_due(fetcher, store, due, states, config.settings, reporter)
        try:
            busy = await store_entries(polls, store, fetcher, pool, run, reporter)
        except asyncio.CancelledError:
            pool.close(wait=False)  # interrupted: the pages in the workers are not waited for
            raise
        finally:
            pool.close()
    return Polled(polls, waiting, busy)


async def store_entries(
    polls: list[Poll], store: Store, fetcher: Fetcher, pool: AnalysisPool, run: Run, reporter: Reporter
) -> str | None:
    """Every entry not stored yet fetched, analysed and stored; per-source counts go on the polls.
    Returns why the database was given up on (the rest of the run only spooled), if it was."""
    known = await stored_already(store, polls)
    todo = choose_entries(polls, known.urls)
    if not todo:
        return known.busy
    reporter.phase("articles", len(todo))
    cleaner: SiteCleaner[Poll] = SiteCleaner(
        pool.retext,
        {p.source.name: p.source.language for p in polls},
        enabled=fetcher.settings.outlet_templates,
    )
    headlines = SiteHeadlines(enabled=fetcher.settings.outlet_templates)
    writer = BatchWriter(
        store, run.spool, run.run_id, cleaner, reporter, busy=known.busy, headlines=(headlines, pool.retext)
    )
    await writer.load_templates(
        sorted({site_of(t.canonical) for t in todo}), sorted({host_of(t.canonical) for t in todo})
    )
    inflight = asyncio.Semaphore(max(8, fetcher.settings.max_concurrency * 2))
    try:
        await asyncio.gather(*(read_and_store(t, fetcher, pool, inflight, writer, reporter) for t in todo))
    except asyncio.CancelledError:  # interrupted: what was analysed is stored, the rest left for later
        await writer.finish()
        raise
    return await writer.finish()


async def read_and_store(
    todo: Todo,
    fetcher: Fetcher,
    pool: AnalysisPool,
    inflight: asyncio.Semaphore,
    writer: BatchWriter,
    reporter: Reporter,
) -> None:
    """One entry read and handed to the batch writer; an error costs only this entry."""
    try:
        record = await read_entry(todo, fetcher, pool, inflight)
        full = record is not None and writer.arrive(todo.poll, record)
        reporter.advance()
        if full:
            await writer.write()
    except Exception as exc:  # noqa: BLE001 - an entry can only ever cost itself
        entry_failed(todo, exc)


async def after_run(
    config: Config,
    store: Store,
    run: Run,
    settled: Settled,
    summary: IngestSummary,
    busy: str | None,
    reporter: Reporter,
    transport: httpx.AsyncBaseTransport | None,
    resolver: Resolver | None,
) -> AfterRun:
    """The polls recorded, cursors saved, search index refreshed, watches run, the run closed. A
    database busy past its timeout leaves them to the next run; the articles stay in the spool."""
    after = AfterRun(store.waited_seconds)
    try:
        if busy is not None:  # the database may be free again: store what was kept
            _, after.spooled = await asyncio.to_thread(replay_spool, run.spool, store, run.run_id, reporter)
        store.record_polls(run.run_id, settled.outcomes)
        store.log_fetches(run.run_id, settled.fetches)
        store.save_cursors(settled.cursors)
        await asyncio.to_thread(refresh_index, store, reporter)  # search finds this run's articles
        after.watches = await run_watches(  # new stories of watches, announced
            config, store, run.run_id, reporter=reporter, transport=transport, resolver=resolver
        )
        after.waited_seconds = store.waited_seconds
        store.finish_run(
            run.run_id,
            "ok",
            sources_polled=settled.polled,
            new=summary.new,
            duplicate=summary.duplicate,
            failed=summary.failed,
            message=f"waited {store.waited_seconds:.1f} s for the database" if store.waited_seconds else None,
        )
        prune_history(config, store, reporter)  # fetch_log and run: settings.retention_days
    except DatabaseBusy as exc:
        after.spooled = run.spool.count()
        after.waited_seconds = store.waited_seconds
        after.note = (
            f"{exc}. {after.spooled} fetched articles are kept in {run.spool.dir} and will be stored"
            " by the next run; source health of this run is not recorded"
        )
        reporter.message(after.note)
    return after
