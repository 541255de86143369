"""The ingest and seed stages composed from plain functions; Prefect flows and the CLI both call these.

An ingest polls every due source, fetches each new link once, extracts and analyses pages in a
process pool (both cores) while further pages download, and stores them in short batches.
A source's ETag/Last-Modified is saved only after its articles are stored, so a crash mid-run
means the next run sees the same entries again and nothing is lost.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import multiprocessing
import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import duckdb
import httpx

from flows.config import Config, Source, Topic
from flows.progress import Reporter, SilentReporter
from flows.stages.dedup import band_keys, text_hash
from flows.stages.extract import Extracted, extract_page, normalize_space
from flows.stages.feeds import FeedEntry, FeedError, parse_feed
from flows.stages.fetch import FEED_TYPES, Fetcher, FetchResult, Resolver, host_of
from flows.stages.language import detect_language
from flows.stages.near_duplicates import NearDuplicates, SiteLines
from flows.stages.netguard import hosts_resolver
from flows.stages.relevance import Score, Scorer
from flows.stages.search import refresh_index
from flows.stages.seeds import SeedDoc, load_seed_dir
from flows.stages.urls import canonicalize
from storage import (
    ArticleRecord,
    DatabaseBusy,
    FetchLogEntry,
    InsertResult,
    PollOutcome,
    SourceState,
    StorageError,
    Store,
)
from storage.spool import Spool, WriterLock, writing

BATCH_SIZE = 100
log = logging.getLogger(__name__)


@dataclass
class SourceReport:
    name: str
    status: str = "ok"  # ok | not_modified | error | backing_off
    new: int = 0
    duplicate: int = 0
    failed: int = 0
    skipped: int = 0
    known: int = 0
    error: str | None = None
    problem: str | None = None
    moved_to: str | None = None
    spooled: int = 0  # analysed, kept in the spool because the database was busy


@dataclass
class IngestSummary:
    run_id: int
    reports: list[SourceReport]
    elapsed_seconds: float
    waited_seconds: float
    spooled: int = 0  # articles left in the spool for the next run (the database stayed busy)
    replayed: int = 0  # articles an earlier run had left in the spool, stored by this one
    note: str | None = None

    @property
    def new(self) -> int:
        return sum(r.new for r in self.reports)

    @property
    def duplicate(self) -> int:
        return sum(r.duplicate for r in self.reports)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.reports)


# --- analysis (runs in worker processes) -------------------------------------------------------


@dataclass(frozen=True)
class PageJob:
    source: str
    url: str  # as the feed gave it (absolute)
    canonical_url: str
    body: bytes
    content_type: str | None
    final_url: str
    entry: FeedEntry
    language_hint: str | None


class Analyzer:
    """Everything done to a text after extraction: language, relevance, hashes. Pure."""

    def __init__(
        self, topic: Topic, threshold: float, seeds: Sequence[str] = (), fast_extraction: bool = False
    ) -> None:
        self.scorer = Scorer(topic, threshold, seeds)
        self.fast_extraction = fast_extraction

    def analyse(
        self, title: str | None, text: str, language_hint: str | None = None
    ) -> tuple[str | None, Score]:
        """Language, then relevance and countries (which use the language)."""
        language = detect_language(f"{title or ''}\n{text}", language_hint)
        return language, self.scorer.score(title, text, language)

    def record(
        self,
        *,
        url: str,
        canonical_url: str,
        source: str,
        title: str | None,
        text: str,
        language_hint: str | None = None,
        **fields: object,
    ) -> ArticleRecord:
        language, score = self.analyse(title, text, language_hint)
        return ArticleRecord(
            url=url,
            canonical_url=canonical_url,
            source=source,
            title=title,
            text=text,
            first_seen_at=datetime.now(UTC),
            language=language,
            relevance=score.relevance,
            is_relevant=score.is_relevant,
            countries=score.countries,
            text_hash=text_hash(text),
            band_keys=band_keys(text),
            **fields,  # type: ignore[arg-type]
        )

    def page(self, job: PageJob) -> ArticleRecord:
        entry = job.entry
        if job.body:
            extracted = extract_page(
                job.body,
                job.final_url,
                job.content_type,
                feed_title=entry.title,
                feed_text=entry.feed_text,
                fast=self.fast_extraction,
            )
        else:
            extracted = Extracted(entry.feed_text, entry.title, entry.author, None, None, "feed")
        return self.record(
            url=job.url,
            canonical_url=job.canonical_url,
            source=job.source,
            title=entry.title or extracted.title,
            text=extracted.text,
            language_hint=job.language_hint,
            author=extracted.author or entry.author,
            published_at=entry.published_at or extracted.published_at,
            site_name=extracted.site_name,
            feed_summary=normalize_space(entry.feed_text)[:4000] or None,
            extraction=extracted.method,
            guid=entry.guid,
        )


_WORKER: Analyzer | None = None  # one per worker process, built by its initializer
_MARKS: Path | None = None  # where a worker notes the page it works on (see AnalysisPool)
_PR_SET_PDEATHSIG = 1


def _exit_with(ingest_pid: int) -> None:
    """End this worker when the ingest that started it dies (SIGKILL gives it no chance to say so).

    The forkserver exits when its "alive" pipe closes, but every worker holds a copy of that pipe
    (and of the resource tracker's), so forkserver and tracker outlive a killed ingest until the
    workers go: a pidfd on the ingest ends them. The worker's parent is the forkserver, so
    PR_SET_PDEATHSIG covers the forkserver dying first."""
    import ctypes
    import select
    import signal
    import threading

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    try:
        pidfd = os.pidfd_open(ingest_pid)
    except ProcessLookupError:
        os._exit(1)  # gone before we started
    except (OSError, AttributeError):
        pidfd = -1  # no pidfd (old kernel): poll the pid instead

    def watch() -> None:
        if pidfd >= 0:
            select.select([pidfd], [], [])  # readable when the process has exited
        else:
            while True:
                try:
                    os.kill(ingest_pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="newswatch-parent-watch", daemon=True).start()


def _init_worker(
    topic_json: str,
    threshold: float,
    seeds: tuple[str, ...],
    fast_extraction: bool,
    ingest_pid: int | None = None,
    marks: str | None = None,
) -> None:
    global _WORKER, _MARKS
    if ingest_pid is not None:
        _exit_with(ingest_pid)
    _MARKS = Path(marks) if marks else None
    _WORKER = Analyzer(Topic.model_validate_json(topic_json), threshold, seeds, fast_extraction)
    # load the language profiles and the extractor's modules now: a worker's first page must not
    # spend its analysis deadline on them
    _WORKER.analyse("Warm-up", "Kazakhstan and Uzbekistan signed a water agreement on Friday in Astana.")
    extract_page(b"<html><body><p>Warm-up page for the extractor.</p></body></html>", "https://warm.up/")


@contextlib.contextmanager
def _marked(key: str) -> Iterator[None]:
    """A file named by this worker's pid holds the page it works on while it does, so the pool can
    tell which page killed a worker (or which worker to stop when a page takes too long)."""
    mark = _MARKS / str(os.getpid()) if _MARKS is not None else None
    if mark is not None:
        mark.write_text(key, encoding="utf-8")
    try:
        yield
    finally:
        if mark is not None:
            mark.unlink(missing_ok=True)


def _analyse_in_worker(job: PageJob) -> ArticleRecord:
    assert _WORKER is not None, "worker not initialised"
    with _marked(job.canonical_url):
        return _WORKER.page(job)


class AnalysisFailed(Exception):
    """A page whose analysis killed its worker or ran past the deadline; it is not tried again."""


@dataclass
class _Generation:
    """One process pool, and what was learnt when it broke."""

    executor: concurrent.futures.ProcessPoolExecutor
    number: int
    culprits: dict[str, str] = field(default_factory=dict)  # page key -> why it is failed
    broken: bool = False


class AnalysisPool:
    """A process pool started on first use, so a run with nothing new pays nothing for it.

    A page that kills its worker (memory, a crash in a parser) or runs past
    `analysis_timeout_seconds` is failed, never retried here or in the main process: the pool is
    started afresh and the other pages that were in flight (innocent) are tried once more in it.
    Workers exit when the process that started the pool dies."""

    def __init__(self, config: Config, workers: int | None = None, seeds: Sequence[str] = ()) -> None:
        self.config = config
        self.seeds = tuple(seeds)  # the seed corpus's texts, for relevance (closeness to the seeds)
        self.workers = workers if workers is not None else max(1, min(os.cpu_count() or 1, 4))
        self.deadline = config.settings.analysis_timeout_seconds
        self._current: _Generation | None = None
        self._count = 0
        self._marks: tempfile.TemporaryDirectory[str] | None = None
        self._local: Analyzer | None = None

    def _generation(self) -> _Generation:
        if self._current is None:
            if self._marks is None:
                self._marks = tempfile.TemporaryDirectory(prefix="newswatch-pool-")
            self._count += 1
            executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_init_worker,
                initargs=(
                    self.config.topic.model_dump_json(),
                    self.config.settings.relevance_threshold,
                    self.seeds,
                    self.config.settings.extraction == "fast",
                    os.getpid(),
                    self._marks.name,
                ),
            )
            self._current = _Generation(executor, self._count)
        return self._current

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        return self._generation().executor

    def local(self) -> Analyzer:
        if self._local is None:
            self._local = Analyzer(
                self.config.topic,
                self.config.settings.relevance_threshold,
                self.seeds,
                self.config.settings.extraction == "fast",
            )
        return self._local

    def _working_on(self) -> dict[int, str]:
        """pid -> page key of every worker that is in the middle of a page."""
        found: dict[int, str] = {}
        if self._marks is not None:
            for mark in Path(self._marks.name).iterdir():
                with contextlib.suppress(OSError, ValueError):
                    found[int(mark.name)] = mark.read_text(encoding="utf-8")
        return found

    def _retire(self, gen: _Generation) -> None:
        """Note which pages killed their workers, then let the next call start a fresh pool."""
        if gen.broken:
            return
        gen.broken = True
        # CPython's pid -> Process map of the executor; were it gone, no culprit would be named
        # and every page in flight tried once more: the culprit would fail on the second break
        processes = dict(getattr(gen.executor, "_processes", None) or {})
        for pid, key in self._working_on().items():
            if pid not in processes:
                continue  # not a worker of this pool
            code = processes[pid].exitcode
            # the executor stops the other workers with SIGTERM when one dies; the dead one has
            # another exit code (SIGKILL from the OOM killer, SIGSEGV, os._exit)
            if code is not None and code != -signal.SIGTERM and key not in gen.culprits:
                gen.culprits[key] = f"the page killed its analysis worker ({_exit_reason(code)}); not retried"
            if self._marks is not None:
                (Path(self._marks.name) / str(pid)).unlink(missing_ok=True)
        gen.executor.shutdown(wait=False, cancel_futures=True)
        if self._current is gen:
            self._current = None

    def _stop_worker_of(self, gen: _Generation, key: str) -> None:
        """Kill the worker that is still on `key` past the deadline (the pool breaks, and restarts)."""
        gen.culprits[key] = f"analysis took longer than {self.deadline:g} s; its worker was stopped"
        for pid, working_on in self._working_on().items():
            if working_on == key:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    async def _result(self, gen: _Generation, job: PageJob) -> ArticleRecord:
        """The job's result; the deadline counts from when a worker took the page, not from
        when it was queued behind others."""
        waiter = asyncio.wrap_future(gen.executor.submit(_analyse_in_worker, job))
        key, wait = job.canonical_url, self.deadline
        while True:
            done, _ = await asyncio.wait({waiter}, timeout=wait)
            if done:
                return waiter.result()
            started = self._started(key)
            running = time.time() - started if started is not None else 0.0
            if running >= self.deadline:
                self._stop_worker_of(gen, key)
                waiter.cancel()
                raise AnalysisFailed(gen.culprits[key])
            wait = self.deadline - running

    def _started(self, key: str) -> float | None:
        """When a worker started on `key` (its mark's time), None while the page is queued."""
        for pid, working_on in self._working_on().items():
            if working_on == key and self._marks is not None:
                with contextlib.suppress(OSError):
                    return (Path(self._marks.name) / str(pid)).stat().st_mtime
        return None

    async def analyse(self, job: PageJob) -> ArticleRecord:
        """One page's record; AnalysisFailed if it killed its worker or ran past the deadline.

        With one worker the page runs in a thread of this process, unbounded: that is for tests
        and small machines, where a separate process costs more than it saves."""
        if self.workers <= 1:
            return await asyncio.to_thread(self.local().page, job)
        for attempt in (1, 2):
            gen = self._generation()
            try:
                return await self._result(gen, job)
            except concurrent.futures.process.BrokenProcessPool:
                self._retire(gen)
                if job.canonical_url in gen.culprits:
                    raise AnalysisFailed(gen.culprits[job.canonical_url]) from None
                if attempt == 2:
                    raise AnalysisFailed(
                        "the analysis pool broke twice while this page was in it; not retried"
                    ) from None
        raise AssertionError("unreachable")

    def map(self, fn: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
        """`fn` over `items` in the workers, in order; a broken pool is started afresh and the batch
        tried once more, then AnalysisFailed (rescore: the batch is the unit, nothing runs here)."""
        for attempt in (1, 2):
            gen = self._generation()
            try:
                return list(gen.executor.map(fn, items))
            except concurrent.futures.process.BrokenProcessPool:
                self._retire(gen)
                if attempt == 2:
                    raise AnalysisFailed(
                        "an analysis worker died twice on this batch: "
                        + ("; ".join(gen.culprits.values()) or "no page named")
                    ) from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._current is not None:
            self._current.executor.shutdown(wait=True, cancel_futures=True)
            self._current = None
        if self._marks is not None:
            self._marks.cleanup()
            self._marks = None


_T = TypeVar("_T")
_R = TypeVar("_R")


def _exit_reason(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            name = signal.Signals(-code).name
            return f"{name}, as the out-of-memory killer sends" if name == "SIGKILL" else name
        return f"signal {-code}"
    return f"exit code {code}"


# --- feeds -------------------------------------------------------------------------------------


@dataclass
class Poll:
    source: Source
    report: SourceReport
    outcome: PollOutcome | None
    entries: list[tuple[FeedEntry, str]] = field(default_factory=list)  # (entry, canonical url)
    log: list[FetchLogEntry] = field(default_factory=list)


def is_due(state: SourceState | None, now: datetime) -> bool:
    if state is None or state.consecutive_failures <= 0 or state.next_poll_at is None:
        return True
    return now >= state.next_poll_at


def conditional_headers(state: SourceState | None) -> dict[str, str]:
    headers: dict[str, str] = {
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
    }
    if state is not None and state.etag:
        headers["If-None-Match"] = state.etag
    if state is not None and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def _log(source: str | None, kind: str, res: FetchResult) -> FetchLogEntry:
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
    fetches = [_log(source.name, "feed", res)]
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


def _failed_poll(source: Source, error: str) -> Poll:
    report = SourceReport(source.name, status="error", error=error)
    entry = FetchLogEntry(source.name, "feed", source.url, "error", error=error)
    return Poll(source, report, PollOutcome(source.name, ok=False, error=error), log=[entry])


# --- ingest ------------------------------------------------------------------------------------


def _to_thread_store_insert(
    store: Store, records: Sequence[ArticleRecord], run_id: int, site_lines: SiteLines | None = None
) -> list[InsertResult]:
    return insert_with_dedup(store, records, run_id, site_lines)


def insert_with_dedup(
    store: Store,
    records: Sequence[ArticleRecord],
    run_id: int | None = None,
    site_lines: SiteLines | None = None,
) -> list[InsertResult]:
    """Store a batch; each article joins the story cluster of its exact or near duplicate.

    `site_lines` carries what the batches of one run learn about the sites' recent articles.
    A lake runs the attempt again when another writer committed first, with fresh dedup state.
    """

    def attempt() -> list[InsertResult]:
        nd = NearDuplicates(records, site_lines=site_lines)
        return store.insert_articles(
            records,
            run_id=run_id,
            near_duplicate=nd.find,
            on_inserted=nd.inserted,
            before_commit=nd.flush,
            joins=nd.joins,
        )

    return store.retrying(attempt)


def _database_trouble(exc: Exception) -> bool:
    """Errors that say the database, not the batch, is at fault: the batch waits for a later run."""
    return isinstance(
        exc,
        StorageError  # cannot open it, or a lake that kept conflicting
        | duckdb.IOException
        | duckdb.OutOfMemoryException
        | duckdb.FatalException
        | duckdb.InternalException
        | duckdb.TransactionException,
    )


def _replay_spool(
    spool: Spool, store: Store, run_id: int, reporter: Reporter | None = None
) -> tuple[int, int]:
    """Store the batches left in the spool; returns (stored now, still waiting).

    A batch that can never be stored (unreadable, damaged lines, rows the database refuses) is
    moved to `spool/failed/` with the reason, after storing the rows of it that can be, so it
    blocks neither the batches behind it nor later runs. Database trouble is not the batch's
    fault: it is raised, and the batch stays for the next run.
    """
    say = reporter.message if reporter is not None else log.warning
    stored = 0
    paths = spool.pending()
    for i, path in enumerate(paths):
        try:
            records, problems = spool.read(path)
        except (OSError, UnicodeDecodeError) as exc:
            problems, records = [f"unreadable: {type(exc).__name__}: {exc}"], []
        try:
            try:
                if records:
                    _to_thread_store_insert(store, records, run_id)
                stored += len(records)
            except DatabaseBusy:
                raise
            except Exception as exc:  # noqa: BLE001 - which rows are refused is found out one by one
                if _database_trouble(exc):
                    raise
                for record in records:
                    try:
                        _to_thread_store_insert(store, [record], run_id)
                        stored += 1
                    except DatabaseBusy:
                        raise
                    except Exception as one:  # noqa: BLE001 - this row is refused; the others go on
                        if _database_trouble(one):
                            raise
                        problems.append(
                            f"refused {record.canonical_url!r}: {type(one).__name__}: {one}"[:500]
                        )
        except DatabaseBusy:  # stored rows are skipped when the batch is written again
            return stored, spool.lines(paths[i:])
        if not problems:
            spool.remove(path)
            continue
        moved = spool.set_aside(path, "; ".join(problems))
        say(
            f"spooled batch {path.name} cannot be stored ({'; '.join(problems)[:300]}); moved to {moved}"
            " with the reason beside it (move it back into the spool to try it again)"
        )
    return stored, 0


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
    replayed, _ = await asyncio.to_thread(_replay_spool, spool, store, run_id, reporter)
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
                        error=f"failing ({st.consecutive_failures}x); next poll after {st.next_poll_at:%Y-%m-%d %H:%M} UTC",
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

            async def polled(s: Source) -> Poll:
                try:
                    poll = await poll_source(fetcher, s, states.get(s.name), settings.max_articles_per_source)
                except Exception as exc:  # noqa: BLE001 - a feed can only ever cost its own source
                    log.warning(
                        "polling %s failed: %r", s.name, exc, exc_info=log.isEnabledFor(logging.DEBUG)
                    )
                    poll = _failed_poll(s, f"unexpected error reading the feed: {type(exc).__name__}: {exc}")
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
                outcome = PollOutcome(**{**outcome.__dict__, "new_articles": poll.report.new})
                poll.outcome = outcome
        reports = [p.report for p in polls] + reports
        summary = IngestSummary(
            run_id, reports, time.monotonic() - started, store.waited_seconds, replayed=replayed
        )
        try:
            if busy is not None:  # the database may be free again: store what was kept
                _, summary.spooled = await asyncio.to_thread(_replay_spool, spool, store, run_id, reporter)
            store.record_polls(run_id, [p.outcome for p in polls if p.outcome is not None])
            store.log_fetches(run_id, [entry for p in polls for entry in p.log])
            await asyncio.to_thread(refresh_index, store, reporter)  # search finds this run's articles
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
                poll.report.duplicate += 1  # another source of this run has the same link
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

    async def flush() -> None:
        if not pending:
            return
        batch = list(pending)
        pending.clear()
        records = [r for _, r in batch]
        kept = await asyncio.to_thread(spool.put, records)  # on disk before the database is tried
        async with write_lock:
            if not busy:
                try:
                    results = await asyncio.to_thread(
                        _to_thread_store_insert, store, records, run_id, site_lines
                    )
                except DatabaseBusy as exc:
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
            res = await fetcher.get(entry.link, check_robots=True)
            poll.log.append(_log(poll.source.name, "article", res))
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
        if not record.text.strip():
            poll.report.failed += 1
            reporter.advance()
            return
        pending.append((poll, record))
        reporter.advance()
        if len(pending) >= BATCH_SIZE:
            await flush()

    await asyncio.gather(*(handle(p, e, c) for p, e, c in todo))
    await flush()
    return busy[0] if busy else None


# --- rescore -----------------------------------------------------------------------------------


@dataclass
class RescoreSummary:
    articles: int
    relevant: int
    elapsed_seconds: float


RescoreItem = tuple[int, str | None, str, str | None]  # id, title, text, source language hint
RescoreRow = tuple[int, str | None, float, bool, list[str]]


def _rescore_rows(analyzer: Analyzer, items: Sequence[RescoreItem]) -> list[RescoreRow]:
    rows: list[RescoreRow] = []
    for article_id, title, text, hint in items:
        language, score = analyzer.analyse(title, text, hint)
        rows.append((article_id, language, score.relevance, score.is_relevant, score.countries))
    return rows


def _rescore_in_worker(items: Sequence[RescoreItem]) -> list[RescoreRow]:
    assert _WORKER is not None, "worker not initialised"
    return _rescore_rows(_WORKER, items)


def rescore(
    config: Config,
    store: Store,
    reporter: Reporter | None = None,
    *,
    batch_size: int = 500,
    workers: int | None = None,
) -> RescoreSummary:
    """Recompute language, relevance, is_relevant and countries of every stored article.

    For after the topic profile, the threshold or the seeds change. Articles are read and
    written back in batches by id, each batch in its own short transaction, so an analyst's
    session can get in between and an interrupted rescore can simply be run again.
    """
    on_wait = reporter.message if reporter is not None else None
    reporter = reporter or SilentReporter()
    with writing(store, "rescore", on_wait):  # no ingest or rebuild writes between the batches
        return _rescore_locked(config, store, reporter, batch_size, workers)


def _rescore_locked(
    config: Config, store: Store, reporter: Reporter, batch_size: int, workers: int | None
) -> RescoreSummary:
    started = time.monotonic()
    store.migrate()
    run_id = store.start_run("rescore")
    done = relevant = 0
    try:
        pool = AnalysisPool(config, workers, seeds=store.seed_texts())
        reporter.phase("rescore", store.count_articles())
        after = 0
        try:
            while items := store.articles_to_rescore(after, batch_size):
                if pool.workers > 1 and len(items) >= 4 * pool.workers:
                    chunks = [items[i :: pool.workers] for i in range(pool.workers)]
                    try:
                        rows = [row for part in pool.map(_rescore_in_worker, chunks) for row in part]
                    except AnalysisFailed:  # one article at a time: only the one that kills a worker is left
                        rows = []
                        for item in items:
                            try:
                                rows += pool.map(_rescore_in_worker, [[item]])[0]
                            except AnalysisFailed as exc:
                                reporter.message(f"article {item[0]} not rescored: {exc}")
                else:
                    rows = _rescore_rows(pool.local(), items)
                store.update_scores(rows)
                after = items[-1][0]
                done += len(rows)
                relevant += sum(1 for row in rows if row[3])
                reporter.advance(len(rows))
        finally:
            pool.close()
        store.finish_run(run_id, "ok", message=f"rescored {done} articles, {relevant} relevant")
    except BaseException as exc:
        with contextlib.suppress(Exception):
            store.finish_run(run_id, "failed", message=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    return RescoreSummary(done, relevant, time.monotonic() - started)


# --- seeds -------------------------------------------------------------------------------------


def seed(
    config: Config, store: Store, seed_dir: str | Path, reporter: Reporter | None = None
) -> tuple[int, int]:
    """Load the seed corpus; idempotent. Returns (loaded now, already there).

    Under the writer lock, so a seed beside a running ingest or rebuild waits its turn.
    """
    on_wait = reporter.message if reporter is not None else None
    reporter = reporter or SilentReporter()
    docs = load_seed_dir(seed_dir)  # a missing directory is reported at once, without waiting
    with writing(store, "seed", on_wait):
        return _seed_locked(config, store, docs, reporter)


def _seed_locked(
    config: Config, store: Store, docs: Sequence[SeedDoc], reporter: Reporter
) -> tuple[int, int]:
    store.migrate()
    known = store.known_canonical_urls(d.url for d in docs)
    analyzer = Analyzer(
        config.topic, config.settings.relevance_threshold, [f"{d.title}\n{d.text}" for d in docs]
    )
    reporter.phase("seeds", len(docs))
    records = []
    for doc in docs:
        if doc.url not in known:
            records.append(
                analyzer.record(
                    url=doc.url,
                    canonical_url=doc.url,
                    source="seed",
                    title=doc.title,
                    text=doc.text,
                    is_seed=True,
                    extraction="seed",
                )
            )
        reporter.advance()
    results = insert_with_dedup(store, records)
    inserted = sum(1 for r in results if r.inserted)
    refresh_index(store, reporter)
    return inserted, len(docs) - inserted
