"""Maintenance of the stored articles: rescore (after the topic, the threshold or the seeds change)
and seeding (the seed corpus loaded, idempotently). Both run under the writer lock. And the
history kept for settings.retention_days (`prune_history`, by each ingest under its lock).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flows.config import Config
from flows.pipeline.analysis import AnalysisFailed, AnalysisPool, Analyzer, rescore_in_worker, rescore_rows
from flows.pipeline.insert import insert_with_dedup
from flows.progress import Reporter, SilentReporter
from flows.stages.sources.seeds import SeedDoc, load_seed_dir
from flows.stages.stories.search import refresh_index
from storage import StorageError, Store
from storage.errors import DatabaseError
from storage.spool import writing

log = logging.getLogger(__name__)


@dataclass
class RescoreSummary:
    articles: int
    relevant: int
    elapsed_seconds: float
    relevant_before: int = 0
    gained: int = 0  # relevant now, not before
    lost: int = 0  # relevant before, not now
    # relevant articles per country, before and after ("" counts the relevant ones without a country)
    countries_before: Counter[str] = field(default_factory=Counter)
    countries_after: Counter[str] = field(default_factory=Counter)

    def count(self, old: tuple[bool, list[str]] | None, new_relevant: bool, new_countries: list[str]) -> None:
        """Count one rescored article: its stored scores (`old`) and its new ones."""
        was_relevant, was_countries = old or (False, [])
        self.relevant_before += was_relevant
        self.gained += new_relevant and not was_relevant
        self.lost += was_relevant and not new_relevant
        if was_relevant:
            self.countries_before.update(was_countries or [""])
        if new_relevant:
            self.countries_after.update(new_countries or [""])


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
    with writing(
        store, "rescore", on_wait, config.settings.tz
    ):  # no ingest or rebuild writes between the batches
        return _rescore_locked(config, store, reporter, batch_size, workers)


def _rescore_locked(
    config: Config, store: Store, reporter: Reporter, batch_size: int, workers: int | None
) -> RescoreSummary:
    started = time.monotonic()
    store.migrate()
    run_id = store.start_run("rescore")
    summary = RescoreSummary(0, 0, 0.0)
    try:
        pool = AnalysisPool(config, workers, seeds=store.seed_texts())
        reporter.phase("rescore", store.count_articles())
        after = 0
        try:
            while items := store.articles_to_rescore(after, batch_size):
                if pool.workers > 1 and len(items) >= 4 * pool.workers:
                    chunks = [items[i :: pool.workers] for i in range(pool.workers)]
                    try:
                        rows = [row for part in pool.map(rescore_in_worker, chunks) for row in part]
                    except AnalysisFailed:  # one article at a time: only the one that kills a worker is left
                        rows = []
                        for item in items:
                            try:
                                rows += pool.map(rescore_in_worker, [[item]])[0]
                            except AnalysisFailed as exc:
                                reporter.message(f"article {item[0]} not rescored: {exc}")
                else:
                    rows = rescore_rows(pool.local(), items)
                stored = store.scores_of(items[0][0], items[-1][0])
                store.update_scores(rows)
                after = items[-1][0]
                for row in rows:
                    summary.count(stored.get(row[0]), row[3], row[4])
                summary.articles += len(rows)
                summary.relevant += sum(1 for row in rows if row[3])
                reporter.advance(len(rows))
        finally:
            pool.close()
        store.finish_run(
            run_id,
            "ok",
            message=f"rescored {summary.articles} articles, relevant {summary.relevant_before} -> {summary.relevant}",
        )
    except BaseException as exc:
        with contextlib.suppress(Exception):
            store.finish_run(run_id, "failed", message=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    summary.elapsed_seconds = time.monotonic() - started
    return summary


def seed(
    config: Config, store: Store, seed_dir: str | Path, reporter: Reporter | None = None
) -> tuple[int, int]:
    """Load the seed corpus; idempotent. Returns (loaded now, already there).

    Under the writer lock, so a seed beside a running ingest or rebuild waits its turn.
    """
    on_wait = reporter.message if reporter is not None else None
    reporter = reporter or SilentReporter()
    docs = load_seed_dir(seed_dir)  # a missing directory is reported at once, without waiting
    with writing(store, "seed", on_wait, config.settings.tz):
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
                    published_at=doc.published_at,  # the seed's own date, when its text gives one
                )
            )
        reporter.advance()
    results = insert_with_dedup(store, records)
    inserted = sum(1 for r in results if r.inserted)
    refresh_index(store, reporter)
    return inserted, len(docs) - inserted


def prune_history(config: Config, store: Store, reporter: Reporter) -> None:
    """The fetch log's rows and the runs older than settings.retention_days removed; a failure
    is said and left for the next ingest, never the run's failure (its articles are stored)."""
    days = config.settings.retention_days
    try:
        fetches, runs = store.prune_history(days)
    except (StorageError, DatabaseError) as exc:
        reporter.message(f"history older than {days} days not pruned this time: {exc}")
        return
    if fetches or runs:
        log.debug("pruned %d fetch_log rows and %d runs older than %d days", fetches, runs, days)
