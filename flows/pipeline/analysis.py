"""What is done to a fetched page after download: extraction, language, relevance and hashes
(`Analyzer`), and the process pool that runs it beside the downloads (`AnalysisPool`).

A page that kills its worker or runs past the deadline is failed, never retried; workers end when
the process that started the pool dies. Rescore's batches run in the same workers (`map`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import multiprocessing
import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict, TypeVar

from flows.config import Config, Topic
from flows.pipeline.worker_exit import exit_reason, exit_with
from flows.stages.reading.dates import better_date, is_day
from flows.stages.reading.extract import Extracted, ExtractionMode, extract_page, normalize_space
from flows.stages.reading.language import detect_language
from flows.stages.sources.feeds import FeedEntry
from flows.stages.stories.dedup import band_keys, text_hash
from flows.stages.stories.places import place_codes
from flows.stages.stories.relevance import Score, Scorer
from storage import ArticleRecord


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


class _TextFields(TypedDict):
    text: str
    language: str | None
    relevance: float
    is_relevant: bool
    countries: list[str]
    places: list[str]
    text_hash: str | None
    band_keys: list[int]


def _following(text: str, language: str | None, score: Score, title: str | None) -> _TextFields:
    """The record's fields that follow from its text: the text, its language, score, places, hashes."""
    return {
        "text": text,
        "language": language,
        "relevance": score.relevance,
        "is_relevant": score.is_relevant,
        "countries": score.countries,
        "places": place_codes(title, text),
        "text_hash": text_hash(text),
        "band_keys": band_keys(text),
    }


class Analyzer:
    """Everything done to a text after extraction: language, relevance, hashes. Pure."""

    def __init__(
        self, topic: Topic, threshold: float, seeds: Sequence[str] = (), extraction: ExtractionMode = "auto"
    ) -> None:
        self.scorer = Scorer(topic, threshold, seeds)
        self.extraction: ExtractionMode = extraction

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
            first_seen_at=datetime.now(UTC),
            **_following(text, language, score, title),
            **fields,  # type: ignore[arg-type]
        )

    def retext(self, rec: ArticleRecord, text: str, language_hint: str | None = None) -> ArticleRecord:
        """`rec` with another text (its outlet's template taken out): relevance, countries and
        hashes follow the text. The language detected on the page stays (detecting it again would
        cost most of an analysis, and menus seldom decide it); a record without one is detected."""
        language = rec.language or detect_language(f"{rec.title or ''}\n{text}", language_hint)
        score = self.scorer.score(rec.title, text, language)
        return dataclasses.replace(rec, **_following(text, language, score, rec.title))

    def page(self, job: PageJob) -> ArticleRecord:
        """The page's record. Its date: the feed's, unless the feed gives a day alone and the page
        a time on that day (`dates.better_date`); the page's own only where the feed gives none."""
        entry, listed = job.entry, job.entry.published_at
        if job.body:
            extracted = extract_page(
                job.body,
                job.final_url,
                job.content_type,
                feed_title=entry.title,
                feed_text=entry.feed_text,
                mode=self.extraction,
                date=listed is None or is_day(listed),
                date_search=listed is None,  # else only the page's metadata may give the time
                author_search=entry.author is None,  # and so does its author
            )
        else:
            extracted = Extracted(entry.feed_text, entry.title, entry.author, None, None, "feed")
        return self.record(
            url=job.url,
            canonical_url=job.canonical_url,
            source=job.source,
            title=extracted.title or entry.title,  # the feed's, or the page's headline (titles.choose)
            page_titles=extracted.titles,
            text=extracted.text,
            language_hint=job.language_hint,
            author=extracted.author or entry.author,
            published_at=better_date(listed, extracted.published_at),
            site_name=extracted.site_name,
            feed_summary=normalize_space(entry.feed_text)[:4000] or None,
            extraction=extracted.method,
            guid=entry.guid,
            revises=entry.revise,
        )


_WORKER: Analyzer | None = None  # one per worker process, built by its initializer
_MARKS: Path | None = None  # where a worker notes the page it works on (see AnalysisPool)


def _init_worker(
    topic_json: str,
    threshold: float,
    seeds: tuple[str, ...],
    extraction: ExtractionMode,
    ingest_pid: int | None = None,
    marks: str | None = None,
) -> None:
    global _WORKER, _MARKS
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group: the ingest stops us
    if ingest_pid is not None:
        exit_with(ingest_pid)
    _MARKS = Path(marks) if marks else None
    _WORKER = Analyzer(Topic.model_validate_json(topic_json), threshold, seeds, extraction)
    # the language profiles and the extractor's modules load now, not in a first page's deadline
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
                    self.config.settings.extraction,
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
                self.config.settings.extraction,
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
                gen.culprits[key] = f"the page killed its analysis worker ({exit_reason(code)}); not retried"
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
            try:
                done, _ = await asyncio.wait({waiter}, timeout=wait)
            except asyncio.CancelledError:  # an interrupted run: nobody will ask for this page
                waiter.cancel()
                raise
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

    def retext(self, jobs: Sequence[tuple[ArticleRecord, str, str | None]]) -> list[ArticleRecord]:
        """Records with new texts (record, text, language hint) scored again, in this process: a
        few milliseconds each, less than shipping them to the workers behind the queued pages."""
        return [self.local().retext(rec, text, hint) for rec, text, hint in jobs]

    def close(self, wait: bool = True) -> None:
        """Stop the workers: after their pages (`wait`), or at once (an interrupted run)."""
        if self._current is not None:
            executor = self._current.executor
            processes = list((getattr(executor, "_processes", None) or {}).values())
            executor.shutdown(wait=wait, cancel_futures=True)
            for process in [] if wait else processes:
                with contextlib.suppress(OSError, ValueError):
                    process.kill()
            self._current = None
        if self._marks is not None:
            self._marks.cleanup()
            self._marks = None


_T = TypeVar("_T")
_R = TypeVar("_R")


RescoreItem = tuple[int, str | None, str, str | None]  # id, title, text, source language hint
RescoreRow = tuple[int, str | None, float, bool, list[str], list[str]]  # ... countries, places


def rescore_rows(analyzer: Analyzer, items: Sequence[RescoreItem]) -> list[RescoreRow]:
    rows: list[RescoreRow] = []
    for article_id, title, text, hint in items:
        language, score = analyzer.analyse(title, text, hint)
        rows.append(
            (
                article_id,
                language,
                score.relevance,
                score.is_relevant,
                score.countries,
                place_codes(title, text),
            )
        )
    return rows


def rescore_in_worker(items: Sequence[RescoreItem]) -> list[RescoreRow]:
    assert _WORKER is not None, "worker not initialised"
    return rescore_rows(_WORKER, items)
