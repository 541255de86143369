"""Rebuilding the near-duplicate index and every story cluster (`newswatch dedup --rebuild`),
and the index's status (`newswatch dedup`)."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial

from flows.pipeline.stories import rebuild_stories
from flows.progress import Reporter
from flows.stages.stories.dedup import DEFAULT_PARAMS, DedupParams, band_keys, text_hash
from flows.stages.stories.near_duplicates import NearDuplicates, SiteLines
from storage import ArticleRecord, Store
from storage import dedup as index
from storage.dedup import DedupIndex
from storage.spool import writing


@dataclass(frozen=True)
class RebuildSummary:
    articles: int
    clusters: int
    duplicates: int
    band_rows: int
    seconds: float
    linked: int = 0  # clusters linked to a story of another language (flows/pipeline/stories.py)


def _keys_and_hashes(texts: list[str], params: DedupParams) -> list[tuple[list[int], str | None]]:
    """The CPU-bound part of the rebuild, for a worker process: band keys and text hash per text."""
    return [(band_keys(t, params), text_hash(t)) for t in texts]


class _Keys:
    """Band keys and hashes of one page, computed meanwhile by worker processes (or here)."""

    def __init__(self, pool: ProcessPoolExecutor | None, texts: list[str], params: DedupParams) -> None:
        self.params = params
        self.texts = texts if pool is None else []
        step = max(1, -(-len(texts) // 8))
        self.futures = (
            [pool.submit(_keys_and_hashes, texts[i : i + step], params) for i in range(0, len(texts), step)]
            if pool is not None
            else []
        )

    def result(self) -> list[tuple[list[int], str | None]]:
        if not self.futures:
            return _keys_and_hashes(self.texts, self.params)
        return [kh for f in self.futures for kh in f.result()]


def rebuild(
    store: Store,
    reporter: Reporter | None = None,
    params: DedupParams = DEFAULT_PARAMS,
    batch_size: int = 1000,
    workers: int | None = None,
) -> RebuildSummary:
    """Recompute text hashes, band keys and every cluster, in (first_seen_at, id) order.

    Deterministic, so running it twice gives the same clusters. Each batch commits on its own;
    an interrupted rebuild leaves a partial index that the next rebuild starts over from.
    Batches are placed as an ingest places them (a few statements per batch); meanwhile worker
    processes (`workers`, default one per core, 0 for none) compute the next batch's band keys.
    Under the writer lock: an ingest beside it would place articles into half-reset clusters.
    """
    with writing(store, "dedup rebuild"):
        return _rebuild_locked(store, reporter, params, batch_size, workers)


def _rebuild_locked(
    store: Store, reporter: Reporter | None, params: DedupParams, batch_size: int, workers: int | None
) -> RebuildSummary:
    started = time.monotonic()
    store.migrate()
    total = store.reset_dedup()
    if reporter is not None:
        reporter.phase("dedup rebuild", total)
    site_lines = SiteLines()
    n_workers = (os.cpu_count() or 1) if workers is None else workers
    pool = None
    if n_workers > 0 and total > 2 * batch_size:
        pool = ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("forkserver"))
    try:
        rows = store.rebuild_page(None, batch_size)
        keys = _Keys(pool, [r.text or "" for r in rows], params)
        while rows:
            following = store.rebuild_page((rows[-1].first_seen_at, rows[-1].id), batch_size)
            upcoming = _Keys(pool, [r.text or "" for r in following], params)
            batch = partial(_place, rows=rows, keys=keys.result(), params=params, site_lines=site_lines)
            store.in_dedup_transaction(batch)
            if reporter is not None:
                reporter.advance(len(rows))
            rows, keys = following, upcoming
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    stats = store.finish_dedup_rebuild(params.fingerprint())
    stories = rebuild_stories(store, batch_size)
    return RebuildSummary(
        stats["articles"],
        stats["clusters"],
        stats["duplicates"],
        stats["band_rows"],
        time.monotonic() - started,
        stories.links,
    )


def _place(
    db: DedupIndex,
    rows: list[index.RebuildRow],
    keys: list[tuple[list[int], str | None]],
    params: DedupParams,
    site_lines: SiteLines,
) -> None:
    """One batch of the rebuild, as `Store.insert_articles` places new articles: exact copies by
    text hash first (the earliest placed article with it), then near-duplicates."""
    records = [
        ArticleRecord(
            url=r.canonical_url,
            canonical_url=r.canonical_url,
            source=r.source,
            title=None,
            text=r.text or "",
            first_seen_at=r.first_seen_at,
            text_hash=h,
            band_keys=k,
        )
        for r, (k, h) in zip(rows, keys, strict=True)
    ]
    start = (rows[0].first_seen_at, rows[0].id)
    nd = NearDuplicates(records, params, context_before=start, site_lines=site_lines)
    earliest = db.earliest_with_hashes([r.text_hash for r in records if r.text_hash], start)
    for row, rec in zip(rows, records, strict=True):
        hit = earliest.get(rec.text_hash) if rec.text_hash else None
        match = hit[1] if hit is not None else nd.find(db, rec)
        if match is not None:
            nd.joins.add(row.id, match)
        if rec.text_hash and hit is None:
            earliest[rec.text_hash] = (row.first_seen_at, row.id)
        nd.inserted(db, rec, row.id)
    nd.flush(db)
    db.set_text_hashes(
        [
            (row.id, rec.text_hash)
            for row, rec in zip(rows, records, strict=True)
            if rec.text_hash != row.text_hash
        ],
    )


def status(store: Store, params: DedupParams = DEFAULT_PARAMS) -> dict[str, object]:
    """The index's size and whether it was built with the current parameters."""
    sizes, built = store.dedup_status()
    stats: dict[str, object] = dict(sizes)
    stats["params_current"] = built is None or built == params.fingerprint()
    stats["params"] = params.fingerprint()
    return stats
