"""The article table: storing batches (ids, exact duplicates, story clusters), the seed corpus,
and rescoring."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import duckdb

from storage.database import Database
from storage.dedup import ClusterJoins, DedupIndex
from storage.keys import add_keys, catch_up, earliest_by_hash, stored_by_url
from storage.records import ArticleRecord, InsertResult
from storage.revisions import revise_articles
from storage.templates import PageLines, write_site_page_lines

NearDuplicateFinder = Callable[[DedupIndex, ArticleRecord], int | None]


def _insert_rows(
    con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[ArticleRecord, int]], run_id: int | None
) -> None:
    """The batch's new articles in one INSERT, each heading a cluster of its own for now."""
    import pyarrow as pa

    if not rows:
        return
    ts = pa.timestamp("us", tz="UTC")
    text = pa.string()
    recs = [r for r, _ in rows]
    table = pa.table(
        {
            "id": pa.array([i for _, i in rows], pa.int64()),
            "url": pa.array([r.url for r in recs], text),
            "canonical_url": pa.array([r.canonical_url for r in recs], text),
            "source": pa.array([r.source for r in recs], text),
            "title": pa.array([r.title for r in recs], text),
            "author": pa.array([r.author for r in recs], text),
            "published_at": pa.array([r.published_at for r in recs], ts),
            "first_seen_at": pa.array([r.first_seen_at for r in recs], ts),
            "language": pa.array([r.language for r in recs], text),
            "text": pa.array([r.text for r in recs], text),
            "word_count": pa.array([r.word_count for r in recs], pa.int32()),
            "is_seed": pa.array([r.is_seed for r in recs], pa.bool_()),
            "relevance": pa.array([r.relevance for r in recs], pa.float64()),
            "is_relevant": pa.array([r.is_relevant for r in recs], pa.bool_()),
            "countries": pa.array([r.countries for r in recs], pa.list_(text)),
            "cluster_id": pa.array([i for _, i in rows], pa.int64()),
            "duplicate_of": pa.nulls(len(rows), pa.int64()),
            "text_hash": pa.array([r.text_hash for r in recs], text),
            "site_name": pa.array([r.site_name for r in recs], text),
            "feed_summary": pa.array([r.feed_summary for r in recs], text),
            "extraction": pa.array([r.extraction for r in recs], text),
            "guid": pa.array([r.guid for r in recs], text),
            "run_id": pa.array([run_id] * len(rows), pa.int64()),
        }
    )
    con.register("batch_articles", table)
    try:
        con.execute(f"INSERT INTO article ({', '.join(table.column_names)}) SELECT * FROM batch_articles")
        add_keys(con, "batch_articles")
    finally:
        con.unregister("batch_articles")
    placed = [(i, r.places) for r, i in rows if r.places is not None]
    if placed:
        con.execute(
            "INSERT INTO article_place SELECT unnest(?::BIGINT[]), unnest(?::VARCHAR[][])",
            [[i for i, _ in placed], [p for _, p in placed]],
        )


class Articles(Database):
    """Articles in and out."""

    def known_canonical_urls(self, urls: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return set()
        with self.connect() as con:  # advisory: an insert checks again, keys caught up
            return set(stored_by_url(con, wanted))

    def insert_articles(
        self,
        records: Sequence[ArticleRecord],
        run_id: int | None = None,
        near_duplicate: NearDuplicateFinder | None = None,
        on_inserted: Callable[[DedupIndex, ArticleRecord, int], None] | None = None,
        before_commit: Callable[[DedupIndex], None] | None = None,
        joins: ClusterJoins | None = None,
        page_lines: tuple[Sequence[PageLines], int] | None = None,
    ) -> list[InsertResult]:
        """Store a batch in one transaction, assigning ids and story clusters.

        A record whose canonical URL is already stored is skipped (a crash between fetch and store,
        or two copies in one batch), unless it `revises` the stored article (an edited post: see
        storage/revisions.py). Exact duplicates (same text hash) join the earliest article's
        cluster; `near_duplicate` may name another article whose cluster the record joins.
        `before_commit` runs last inside the transaction (the near-duplicate index writes its rows).
        Cluster joins wait in `joins` (the finder's own, which it flushes before it merges).
        `page_lines` (pages, keep): what the batch's pages taught about their outlets' templates,
        stored in the same transaction (storage/templates.py).
        The callbacks get the index as a `DedupIndex` over this transaction.

        One attempt only, on a lake too: the callbacks carry state from this attempt, so the
        caller retries with fresh ones (`retrying`, as flows.pipeline.insert.insert_with_dedup does).

        A batch costs a few statements, not a few per article: the rows go in as one Arrow table
        (each a story of its own), URLs and text hashes are looked up for the whole batch, and
        the articles that join a cluster cost one more. Every Python value bound as a parameter
        costs DuckDB a failed `import pandas`, so ids go in as integer literals.
        """
        if not records:
            return []
        joins = joins if joins is not None else ClusterJoins()
        with self.transaction() as con:
            db = DedupIndex(con)
            row = con.execute("SELECT coalesce(max(id), 0) FROM article").fetchone()
            first_id = next_id = int(row[0]) + 1 if row else 1
            catch_up(con, first_id - 1)
            stored = stored_by_url(con, [r.canonical_url for r in records])
            ids: list[int | None] = []  # per record: its new id, or None when its URL is known
            batch_ids: dict[str, int] = {}
            new: list[tuple[ArticleRecord, int]] = []
            for rec in records:
                if rec.canonical_url in stored or rec.canonical_url in batch_ids:
                    ids.append(None)
                    continue
                batch_ids[rec.canonical_url] = next_id
                new.append((rec, next_id))
                ids.append(next_id)
                next_id += 1
            _insert_rows(con, new, run_id)
            edits = [
                (r, stored[r.canonical_url][0]) for r in records if r.revises and r.canonical_url in stored
            ]
            revised = revise_articles(con, edits, run_id)
            earliest = earliest_by_hash(con, [r.text_hash for r, _ in new if r.text_hash], first_id)
            for rec, article_id in new:
                match_id: int | None = None
                hit = earliest.get(rec.text_hash) if rec.text_hash else None
                if hit is not None:
                    match_id = hit[1]
                elif near_duplicate is not None:
                    match_id = near_duplicate(db, rec)
                if match_id is not None:
                    joins.add(article_id, match_id)
                if rec.text_hash and (hit is None or (rec.first_seen_at, article_id) < hit):
                    earliest[rec.text_hash] = (rec.first_seen_at, article_id)
                if on_inserted is not None:
                    on_inserted(db, rec, article_id)
            if before_commit is not None:
                before_commit(db)
            if page_lines is not None:
                write_site_page_lines(con, *page_lines)
            joins.flush(con)
            placed = {
                int(r[0]): (int(r[1]), r[2])
                for r in con.execute(
                    f"SELECT id, cluster_id, duplicate_of FROM article WHERE id >= {first_id}"
                ).fetchall()
            }
        results: list[InsertResult] = []
        for rec, new_id in zip(records, ids, strict=True):
            if new_id is not None:
                cluster_id, duplicate_of = placed[new_id]
                results.append(
                    InsertResult(new_id, rec.canonical_url, cluster_id, duplicate_of, inserted=True)
                )
            elif rec.canonical_url in stored:
                known_id, cluster_id, duplicate_of = stored[rec.canonical_url]
                edited = rec.revises and known_id in revised
                results.append(
                    InsertResult(
                        known_id, rec.canonical_url, cluster_id, duplicate_of, inserted=False, revised=edited
                    )
                )
            else:
                first = batch_ids[rec.canonical_url]
                cluster_id, duplicate_of = placed[first]
                results.append(
                    InsertResult(first, rec.canonical_url, cluster_id, duplicate_of, inserted=False)
                )
        return results

    def count_articles(self) -> int:
        with self.connect(read_only=True) as con:
            row = con.execute("SELECT count(*) FROM article").fetchone()
        return int(row[0]) if row else 0

    # --- relevance (flows/stages/stories/relevance.py) --------------------------------------------------

    def seed_texts(self) -> list[str]:
        """Title and text of every seed article: the corpus relevance measures closeness to."""
        if not self.created():
            return []
        with self.connect() as con:
            rows = con.execute(
                "SELECT coalesce(title, '') || chr(10) || coalesce(text, '') FROM article"
                " WHERE is_seed ORDER BY id"
            ).fetchall()
        return [r[0] for r in rows]

    def articles_to_rescore(self, after_id: int, limit: int) -> list[tuple[int, str | None, str, str | None]]:
        """The next `limit` articles by id after `after_id`: (id, title, text, source language hint)."""
        with self.connect() as con:
            return [
                (int(r[0]), r[1], r[2] or "", r[3])
                for r in con.execute(
                    "SELECT a.id, a.title, a.text, s.language FROM article a"
                    " LEFT JOIN source s ON s.name = a.source"
                    " WHERE a.id > ? ORDER BY a.id LIMIT ?",
                    [after_id, limit],
                ).fetchall()
            ]

    def scores_of(self, first_id: int, last_id: int) -> dict[int, tuple[bool, list[str]]]:
        """(is_relevant, countries) of the articles with ids in [first_id, last_id], as stored:
        what a rescore compares its new scores with."""
        with self.connect() as con:
            return {
                int(r[0]): (bool(r[1]), list(r[2] or []))
                for r in con.execute(
                    "SELECT id, coalesce(is_relevant, false), countries FROM article WHERE id BETWEEN ? AND ?",
                    [first_id, last_id],
                ).fetchall()
            }

    def update_scores(
        self, rows: Sequence[tuple[int, str | None, float, bool, list[str], list[str]]]
    ) -> None:
        """Set (id, language, relevance, is_relevant, countries, places) for a batch, in one short
        transaction."""
        if not rows:
            return
        ids, languages, relevances, relevant, countries, places = (
            list(col) for col in zip(*rows, strict=True)
        )

        def attempt() -> None:
            with self.unguarded(), self.transaction() as con:
                con.execute(
                    "UPDATE article SET language = u.language, relevance = u.relevance,"
                    " is_relevant = u.is_relevant, countries = u.countries"
                    " FROM (SELECT unnest(?::BIGINT[]) AS id, unnest(?::VARCHAR[]) AS language,"
                    " unnest(?::DOUBLE[]) AS relevance, unnest(?::BOOLEAN[]) AS is_relevant,"
                    " unnest(?::VARCHAR[][]) AS countries) AS u"
                    " WHERE article.id = u.id",
                    [ids, languages, relevances, relevant, countries],
                )
                con.execute(
                    "DELETE FROM article_place WHERE article_id IN (SELECT unnest(?::BIGINT[]))", [ids]
                )
                con.execute(
                    "INSERT INTO article_place SELECT unnest(?::BIGINT[]), unnest(?::VARCHAR[][])",
                    [ids, places],
                )

        self.retrying(attempt)
