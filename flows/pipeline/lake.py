"""Several writers, one lake: sharded ingest, and the reconciliation that runs after each commit.

Sources are split between ingest processes by a stable hash of their name (`Shard`), so each
feed is polled by one process. Two processes can still meet on one article (two outlets link the
same URL) or one story (two outlets print the same agency copy): the lake's guarded
transactions make the second writer see the first one's rows (storage/lake.py), and
`reconcile` afterwards checks what is stored: a canonical URL twice is cut back to its earliest
row, and clusters holding copies of one story are merged, with the dedup module's verdicts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from flows.config import Config, Source
from flows.pipeline.ingest import IngestSummary, ingest
from flows.progress import Reporter, SilentReporter
from flows.stages.dedup import NearDuplicates
from storage import dedup as index
from storage import lake
from storage.db import ArticleRecord, StorageError, Store
from storage.lake import LakeStore, Shard
from storage.search import update_index
from storage.spool import writing


def shard_sources(sources: Sequence[Source], shard: Shard | None) -> list[Source]:
    return [s for s in sources if shard is None or shard.owns(s.name)]


@dataclass(frozen=True)
class ReconcileSummary:
    duplicate_urls: int  # canonical URLs found stored more than once
    removed: int  # rows removed for them
    merged_by_hash: int  # clusters merged into another because they share an exact text
    merged_near: int  # clusters merged because their articles verify as near-duplicates
    checked: int  # articles checked for near-duplicates in other clusters
    duplicate_ids: int  # ids given twice (left alone: reported)
    seconds: float

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.merged_by_hash or self.merged_near)


def _reconcile_once(store: Store, batch_size: int) -> ReconcileSummary:
    started = time.monotonic()
    removed = dup_urls = by_hash = near = checked = 0
    with store.transaction() as con:
        for dup in lake.duplicate_urls(con):
            dup_urls += 1
            lake.remove_articles(con, dup.removed)
            removed += len(dup.removed)
            if len(dup.clusters) > 1:
                index.merge_clusters(con, dup.clusters)
        for group in lake.split_clusters_by_hash(con):
            index.merge_clusters(con, group)
            by_hash += len(group) - 1
        after = lake.checked_up_to(con)
        last = after
        while rows := lake.articles_after(con, last, batch_size):
            records = [
                ArticleRecord(
                    url=url, canonical_url=url, source=src, title=None, text=text, first_seen_at=seen
                )
                for _, url, src, text, seen in rows
            ]
            nd = NearDuplicates(records)
            for (article_id, *_), rec in zip(rows, records, strict=True):
                match = nd.find(con, rec)  # merges the other clusters holding verified copies of rec
                near += nd.merged_clusters
                nd.merged_clusters = 0
                if match is not None and match != article_id:
                    mine, theirs = index.head_of(con, article_id), index.head_of(con, match)
                    if mine != theirs:
                        index.merge_clusters(con, [mine, theirs])
                        near += 1
            checked += len(rows)
            last = rows[-1][0]
        if last != after:
            lake.mark_checked(con, last)
        dup_ids = len(lake.duplicate_ids(con))
    return ReconcileSummary(dup_urls, removed, by_hash, near, checked, dup_ids, time.monotonic() - started)


def reconcile(store: Store, batch_size: int = 500) -> ReconcileSummary:
    """Make what concurrent writers committed consistent; safe to run at any time, any number of times."""
    return store.retrying(lambda: _reconcile_once(store, batch_size))


def _reconcile_and_index(store: LakeStore, reporter: Reporter) -> ReconcileSummary:
    """After an ingest, under this machine's writer lock again (the ingest has let it go)."""
    with writing(store, "lake reconcile", reporter.message):
        done = reconcile(store)
        store.retrying(lambda: update_index(store))
    return done


def lake_summary(store: Store) -> dict[str, int]:
    with store.connect(read_only=True) as con:
        return lake.lake_summary(con)


async def ingest_shard(
    config: Config,
    store: Store,
    *,
    shard: Shard | None = None,
    reporter: Reporter | None = None,
    **kwargs: Any,
) -> IngestSummary:
    """One ingest over this shard's sources; on a lake, then reconcile and bring search up to date."""
    reporter = reporter or SilentReporter()
    sources = shard_sources(config.enabled_sources, shard) if shard is not None else None
    summary = await ingest(config, store, reporter=reporter, sources=sources, **kwargs)
    if isinstance(store, LakeStore):
        try:
            done = await asyncio.to_thread(_reconcile_and_index, store, reporter)
            if done.changed:
                reporter.message(
                    f"reconciled the lake: {done.removed} duplicate rows removed, "
                    f"{done.merged_by_hash + done.merged_near} story clusters merged"
                )
        except (duckdb.Error, StorageError) as exc:  # the articles are stored; the next run reconciles
            reporter.message(f"lake reconciliation postponed: {exc}")
        if store.conflicts:
            note = f"{store.conflicts} commits retried after other writers' commits"
            summary.note = f"{summary.note}; {note}" if summary.note else note
    return summary
