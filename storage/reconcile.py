"""Reconciling a lake after concurrent commits: what still raced past the writers' guard (a
writer without it, an analyst's INSERT) is found and removed or merged, in one guarded
transaction run again on a conflict.

A canonical URL stored twice is cut back to its earliest row, clusters holding one exact text are
merged, and articles not checked yet are matched against the other clusters by the caller's
near-duplicate finder (flows/stages/stories/dedup.py's, handed in: storage does not verify copies).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import duckdb

from storage import dedup as index
from storage.database import Database
from storage.keys import rekey
from storage.lake import has_table
from storage.records import ArticleRecord


class Finder(Protocol):
    """A batch's near-duplicate finder (flows.stages.stories.dedup.NearDuplicates)."""

    merged_clusters: int

    def find(self, db: index.DedupIndex, rec: ArticleRecord) -> int | None: ...


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


def reconcile(
    store: Database, finder: Callable[[list[ArticleRecord]], Finder], batch_size: int = 500
) -> ReconcileSummary:
    """Make what concurrent writers committed consistent; safe to run at any time, any number of times."""
    return store.retrying(lambda: _reconcile_once(store, finder, batch_size))


def _reconcile_once(
    store: Database, finder: Callable[[list[ArticleRecord]], Finder], batch_size: int
) -> ReconcileSummary:
    started = time.monotonic()
    removed = dup_urls = by_hash = near = checked = 0
    with store.transaction() as con:
        for dup in duplicate_urls(con):
            dup_urls += 1
            remove_articles(con, dup.removed)
            removed += len(dup.removed)
            if len(dup.clusters) > 1:
                index.merge_clusters(con, dup.clusters)
        for group in split_clusters_by_hash(con):
            index.merge_clusters(con, group)
            by_hash += len(group) - 1
        after = checked_up_to(con)
        last = after
        db = index.DedupIndex(con)
        while rows := articles_after(con, last, batch_size):
            records = [
                ArticleRecord(
                    url=url, canonical_url=url, source=src, title=None, text=text, first_seen_at=seen
                )
                for _, url, src, text, seen in rows
            ]
            nd = finder(records)
            for (article_id, *_), rec in zip(rows, records, strict=True):
                match = nd.find(db, rec)  # merges the clusters whose heads match rec's cluster's
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
            mark_checked(con, last)
        dup_ids = len(duplicate_ids(con))
    return ReconcileSummary(dup_urls, removed, by_hash, near, checked, dup_ids, time.monotonic() - started)


def summary(store: Database) -> dict[str, int]:
    """Counts a test or an operator checks after concurrent ingests."""
    with store.connect(read_only=True) as con:
        return lake_summary(con)


@dataclass(frozen=True)
class DuplicateUrl:
    canonical_url: str
    kept: int
    removed: list[int]
    clusters: list[int]


def duplicate_urls(con: duckdb.DuckDBPyConnection) -> list[DuplicateUrl]:
    """Canonical URLs stored more than once; the earliest row (by id) is the one kept."""
    rows = con.execute(
        "SELECT canonical_url, list(id ORDER BY id), list(DISTINCT coalesce(cluster_id, id))"
        " FROM article GROUP BY canonical_url HAVING count(*) > 1 ORDER BY canonical_url"
    ).fetchall()
    return [
        DuplicateUrl(r[0], int(r[1][0]), [int(i) for i in r[1][1:]], sorted(int(c) for c in r[2]))
        for r in rows
    ]


def duplicate_ids(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """Ids given to more than one article (two writers without the guard): (id, copies)."""
    rows = con.execute(
        "SELECT id, count(*) FROM article GROUP BY id HAVING count(*) > 1 ORDER BY id"
    ).fetchall()
    return [(int(r[0]), int(r[1])) for r in rows]


def remove_articles(con: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> None:
    """Delete articles with everything that points at them by id (index rows, search postings)."""
    if not ids:
        return
    literal = ",".join(str(int(i)) for i in ids)
    con.execute(f"DELETE FROM article WHERE id IN ({literal})")
    con.execute(f"DELETE FROM dedup_band WHERE article_id IN ({literal})")
    if has_table(con, "article_key"):
        rekey(con, list(ids))
    for table in ("search_doc", "search_delta", "search_posting"):
        if has_table(con, table):
            con.execute(f"DELETE FROM {table} WHERE id IN ({literal})")


def split_clusters_by_hash(con: duckdb.DuckDBPyConnection) -> list[list[int]]:
    """Groups of clusters that hold the same exact text: they must be one story."""
    rows = con.execute(
        "SELECT list(DISTINCT coalesce(cluster_id, id) ORDER BY coalesce(cluster_id, id)) FROM article"
        " WHERE text_hash IS NOT NULL GROUP BY text_hash HAVING count(DISTINCT coalesce(cluster_id, id)) > 1"
    ).fetchall()
    return [[int(c) for c in r[0]] for r in rows]


def checked_up_to(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(checked_id), 0) FROM lake_reconcile").fetchone()
    return int(row[0]) if row else 0


def mark_checked(con: duckdb.DuckDBPyConnection, up_to: int) -> None:
    con.execute("DELETE FROM lake_reconcile")
    con.execute("INSERT INTO lake_reconcile VALUES (?, ?)", [up_to, datetime.now(UTC)])


def articles_after(
    con: duckdb.DuckDBPyConnection, after_id: int, limit: int
) -> list[tuple[int, str, str, str, datetime]]:
    """(id, canonical_url, source, text, first_seen_at) of articles with id > after_id, by id."""
    rows = con.execute(
        "SELECT id, canonical_url, source, coalesce(text, ''), first_seen_at FROM article WHERE id > ?"
        " ORDER BY id LIMIT ?",
        [after_id, limit],
    ).fetchall()
    return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


def lake_summary(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Counts a test or an operator checks after concurrent ingests."""
    row = con.execute(
        "SELECT count(*), count(DISTINCT canonical_url), count(DISTINCT id),"
        " count(DISTINCT coalesce(cluster_id, id)) FROM article"
    ).fetchone()
    assert row is not None
    return {"articles": int(row[0]), "urls": int(row[1]), "ids": int(row[2]), "clusters": int(row[3])}
