"""SQL of the near-duplicate index (migration 002) and of story clusters.

These functions take the caller's connection, because they run inside the transaction that
inserts the articles (or rebuilds the clusters): the index and the articles commit together.
The dedup stage gets them as a `DedupIndex` over that transaction; `Dedup` is the store's part
(the rebuild's transactions).
Clusters follow SPEC 6: `cluster_id` is the id of the cluster's earliest article (by
first_seen_at, then id), `duplicate_of` is that id for every other member and NULL for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import duckdb
import pyarrow as pa

from storage.database import Database

T = TypeVar("T")


@dataclass(frozen=True)
class Candidate:
    id: int
    canonical_url: str
    source: str
    text: str | None
    cluster_id: int
    duplicate_of: int | None
    first_seen_at: datetime
    head_first_seen_at: datetime | None = None  # of the article heading its cluster


class ClusterJoins:
    """Articles that join another article's cluster, written in one UPDATE per batch.

    A statement per article cost about a millisecond at a million stored articles. Until `flush`,
    the database shows these articles as stories of their own, so whoever reads or merges
    clusters flushes first. An article that joins one still waiting here joins that one's target.
    """

    def __init__(self) -> None:
        self._pending: dict[int, int] = {}  # article -> the article whose cluster it joins

    def add(self, article_id: int, match_id: int) -> None:
        self._pending[int(article_id)] = self._pending.get(int(match_id), int(match_id))

    def flush(self, con: duckdb.DuckDBPyConnection) -> None:
        """Every member's duplicate_of names its head, so the target's row says it all."""
        if not self._pending:
            return
        joins = pa.table(
            {
                "id": pa.array(list(self._pending), pa.int64()),
                "target": pa.array(list(self._pending.values()), pa.int64()),
            }
        )
        con.register("dedup_joins", joins)
        try:
            con.execute(
                "UPDATE article SET cluster_id = h.cluster_id, duplicate_of = h.head FROM"
                " (SELECT j.id, coalesce(a.cluster_id, a.id) AS cluster_id, coalesce(a.duplicate_of, a.id) AS head"
                " FROM dedup_joins j JOIN article a ON a.id = j.target) h WHERE article.id = h.id"
            )
        finally:
            con.unregister("dedup_joins")
        self._pending.clear()


def _id_list(ids: Iterable[int]) -> str:
    """Ids as integer literals for an IN list: a bound parameter would cost a failed `import pandas`."""
    return ",".join(str(int(i)) for i in ids)


def _keys_table(keys: Sequence[int]) -> pa.Table:
    return pa.table({"band_key": pa.array([int(k) for k in keys], pa.int32())})


def band_members(con: duckdb.DuckDBPyConnection, keys: Sequence[int]) -> dict[int, list[int]]:
    """Stored article ids per band key, for a whole batch's keys in one scan.

    No index: DuckDB scans `dedup_band` for a list of keys instead of probing an ART index with
    them, and an ART index of tens of millions of keys made every checkpoint rewrite it. One scan
    per batch (a hash join against the batch's keys) is the cheapest form of this lookup.
    """
    found: dict[int, list[int]] = {}
    if not keys:
        return found
    con.register("dedup_lookup", _keys_table(sorted(set(keys))))
    try:
        rows = con.execute(
            "SELECT b.band_key, b.article_id FROM dedup_band b JOIN dedup_lookup k ON b.band_key = k.band_key"
        ).fetchall()
    finally:
        con.unregister("dedup_lookup")
    for key, aid in rows:
        found.setdefault(int(key), []).append(int(aid))
    return found


def add_bands(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[int, int]]) -> None:
    """One INSERT for the batch, from an Arrow table: Python lists as parameters cost DuckDB a
    (failing) `import pandas` per element, which made this the slowest step of an insert."""
    if not rows:
        return
    pending = pa.table(
        {
            "band_key": pa.array([r[0] for r in rows], pa.int32()),
            "article_id": pa.array([r[1] for r in rows], pa.int64()),
        }
    )
    con.register("dedup_pending", pending)
    try:
        con.execute("INSERT INTO dedup_band SELECT band_key, article_id FROM dedup_pending")
    finally:
        con.unregister("dedup_pending")


def candidates(con: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> list[Candidate]:
    """Articles by id, with the first sighting of their cluster's head. Ids go in as integer
    literals (they are ints): a parameter would cost a failed `import pandas` each."""
    if not ids:
        return []
    literal = _id_list(sorted(set(ids)))
    rows = con.execute(
        f"SELECT a.id, a.canonical_url, a.source, a.text, coalesce(a.cluster_id, a.id), a.duplicate_of,"
        f" a.first_seen_at, h.first_seen_at FROM article a"
        f" LEFT JOIN article h ON h.id = coalesce(a.cluster_id, a.id) WHERE a.id IN ({literal})"
    ).fetchall()
    return [Candidate(*row) for row in rows]


def first_seen(con: duckdb.DuckDBPyConnection, article_id: int) -> datetime | None:
    row = con.execute("SELECT first_seen_at FROM article WHERE id = ?", [article_id]).fetchone()
    return row[0] if row else None


def recent_of_sources(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[str],
    limit: int,
    before: tuple[datetime, int] | None = None,
    exclude_urls: Iterable[str] = (),
    window: int = 200_000,
) -> dict[str, list[tuple[int, int]]]:
    """Each source's latest `limit` articles (seen before `before`, other than `exclude_urls`)
    among the last `window` ids, newest first, for all `sources` in one query: (id, cluster).

    Ids only grow, so the id floor lets zone maps skip all but the newest row groups.
    """
    out: dict[str, list[tuple[int, int]]] = {s: [] for s in sources}
    if not sources:
        return out
    row = con.execute("SELECT coalesce(max(id), 0) FROM article").fetchone()
    floor = (int(row[0]) if row else 0) - window
    where = f"id > {int(floor)} AND source IN (SELECT name FROM dedup_sources)"
    where += " AND canonical_url NOT IN (SELECT url FROM dedup_exclude)"
    params: list[object] = []
    if before is not None:
        where += " AND (first_seen_at, id) < (?, ?)"
        params += [before[0], before[1]]
    con.register("dedup_sources", pa.table({"name": pa.array(list(sources), pa.string())}))
    con.register("dedup_exclude", pa.table({"url": pa.array(list(exclude_urls), pa.string())}))
    try:
        rows = con.execute(
            "SELECT source, id, coalesce(cluster_id, id) FROM (SELECT source, cluster_id, id,"
            " row_number() OVER (PARTITION BY source ORDER BY id DESC)"
            f" AS n FROM article WHERE {where}) WHERE n <= {int(limit)} ORDER BY id DESC",
            params,
        ).fetchall()
    finally:
        con.unregister("dedup_sources")
        con.unregister("dedup_exclude")
    for source, aid, cluster in rows:
        out[source].append((int(aid), int(cluster)))
    return out


def texts_of(con: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> dict[int, str]:
    """Stored texts by article id (ids as integer literals, as in `candidates`)."""
    if not ids:
        return {}
    literal = _id_list(ids)
    rows = con.execute(f"SELECT id, coalesce(text, '') FROM article WHERE id IN ({literal})").fetchall()
    return {int(r[0]): r[1] for r in rows}


def merge_clusters(con: duckdb.DuckDBPyConnection, cluster_ids: Sequence[int]) -> tuple[int, datetime]:
    """Make the given clusters one, headed by their earliest article; returns the new cluster id
    and when its head was first seen. (Members by cluster and heads by id are separate statements:
    the id filter can then skip all but a few row groups.)"""
    ids = _id_list(cluster_ids)
    row = con.execute(
        "SELECT arg_min(id, (first_seen_at, id)), min(first_seen_at) FROM ("
        f" SELECT id, first_seen_at FROM article WHERE cluster_id IN ({ids})"
        f" UNION ALL SELECT id, first_seen_at FROM article WHERE id IN ({ids}))"
    ).fetchone()
    assert row is not None and row[0] is not None
    head = int(row[0])
    set_head = f"SET cluster_id = {head}, duplicate_of = CASE WHEN id = {head} THEN NULL ELSE {head} END"
    con.execute(f"UPDATE article {set_head} WHERE cluster_id IN ({ids})")
    con.execute(f"UPDATE article {set_head} WHERE id IN ({ids})")
    return head, row[1]


def move_to_cluster(con: duckdb.DuckDBPyConnection, article_id: int, cluster_id: int) -> None:
    """Put one article (not a cluster's head) in another cluster, under that cluster's head; the
    caller re-heads the cluster if the article is earlier (`merge_clusters([cluster_id])`)."""
    con.execute(
        "UPDATE article SET cluster_id = ?, duplicate_of = ? WHERE id = ? AND cluster_id IS DISTINCT FROM id",
        [int(cluster_id), int(cluster_id), int(article_id)],
    )


# --- state and rebuild -------------------------------------------------------------------------


def stored_params(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("SELECT params FROM dedup_state ORDER BY built_at DESC LIMIT 1").fetchone()
    return str(row[0]) if row else None


def set_params(con: duckdb.DuckDBPyConnection, params: str, built_at: datetime) -> None:
    con.execute("DELETE FROM dedup_state")
    con.execute("INSERT INTO dedup_state VALUES (?, ?)", [params, built_at])


def ensure_params(con: duckdb.DuckDBPyConnection, params: str, now: datetime) -> None:
    """Record the parameters of a new index; an existing record stays (only a rebuild changes it)."""
    con.execute(
        "INSERT INTO dedup_state SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM dedup_state)", [params, now]
    )


def index_stats(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    row = con.execute("SELECT count(*), count(DISTINCT article_id) FROM dedup_band").fetchone()
    arts = con.execute(
        "SELECT count(*), count(DISTINCT cluster_id), count(*) FILTER (WHERE duplicate_of IS NOT NULL)"
        " FROM article"
    ).fetchone()
    assert row is not None and arts is not None
    return {
        "band_rows": int(row[0]),
        "indexed_articles": int(row[1]),
        "articles": int(arts[0]),
        "clusters": int(arts[1]),
        "duplicates": int(arts[2]),
    }


def reset(con: duckdb.DuckDBPyConnection) -> None:
    """Forget every band and cluster: each article its own story, until the rebuild reaches it.

    Drops the indexes that databases migrated before migration 002 lost them still carry:
    lookups never used them, and every checkpoint rewrote them."""
    for (name,) in con.execute(
        "SELECT index_name FROM duckdb_indexes() WHERE index_name IN ('dedup_band_key', 'article_text_hash')"
    ).fetchall():
        con.execute(f"DROP INDEX {name}")
    con.execute("DELETE FROM dedup_band")
    con.execute(
        "UPDATE article SET cluster_id = id, duplicate_of = NULL"
        " WHERE cluster_id IS DISTINCT FROM id OR duplicate_of IS NOT NULL"
    )


@dataclass(frozen=True)
class RebuildRow:
    id: int
    canonical_url: str
    source: str
    text: str | None
    first_seen_at: datetime
    text_hash: str | None


def rebuild_page(
    con: duckdb.DuckDBPyConnection, after: tuple[datetime, int] | None, limit: int
) -> list[RebuildRow]:
    """The next articles in (first_seen_at, id) order: the order in which clusters are rebuilt."""
    cols = "id, canonical_url, source, text, first_seen_at, text_hash"
    if after is None:
        rows = con.execute(f"SELECT {cols} FROM article ORDER BY first_seen_at, id LIMIT ?", [limit])
    else:
        rows = con.execute(
            f"SELECT {cols} FROM article WHERE (first_seen_at, id) > (?, ?) ORDER BY first_seen_at, id LIMIT ?",
            [after[0], after[1], limit],
        )
    return [RebuildRow(*r) for r in rows.fetchall()]


def earliest_with_hashes(
    con: duckdb.DuckDBPyConnection, hashes: Sequence[str], before: tuple[datetime, int]
) -> dict[str, tuple[datetime, int]]:
    """Per text hash, the earliest article placed before `before` that has it: (first seen, id)."""
    if not hashes:
        return {}
    con.register("dedup_hashes", pa.table({"h": pa.array(sorted(set(hashes)), pa.string())}))
    try:
        rows = con.execute(
            "SELECT a.text_hash, min(a.first_seen_at), arg_min(a.id, (a.first_seen_at, a.id))"
            " FROM article a JOIN dedup_hashes d ON a.text_hash = d.h"
            " WHERE (a.first_seen_at, a.id) < (?, ?) GROUP BY a.text_hash",
            [before[0], before[1]],
        ).fetchall()
    finally:
        con.unregister("dedup_hashes")
    return {r[0]: (r[1], int(r[2])) for r in rows}


def set_text_hashes(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[int, str | None]]) -> None:
    if not rows:
        return
    table = pa.table(
        {"id": pa.array([r[0] for r in rows], pa.int64()), "h": pa.array([r[1] for r in rows], pa.string())}
    )
    con.register("dedup_new_hashes", table)
    try:
        con.execute("UPDATE article SET text_hash = n.h FROM dedup_new_hashes n WHERE article.id = n.id")
    finally:
        con.unregister("dedup_new_hashes")


def head_of(con: duckdb.DuckDBPyConnection, article_id: int) -> int:
    row = con.execute("SELECT coalesce(duplicate_of, id) FROM article WHERE id = ?", [article_id]).fetchone()
    assert row is not None
    return int(row[0])


class DedupIndex:
    """The near-duplicate index and the clusters inside one of storage's transactions: what the
    dedup stage (flows/stages/stories/dedup.py) is handed, so it reads and writes them without holding
    a connection of its own. Made by `Store.insert_articles`, the rebuild and the reconciliation."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def band_members(self, keys: Sequence[int]) -> dict[int, list[int]]:
        return band_members(self._con, keys)

    def add_bands(self, rows: Sequence[tuple[int, int]]) -> None:
        add_bands(self._con, rows)

    def candidates(self, ids: Sequence[int]) -> list[Candidate]:
        return candidates(self._con, ids)

    def first_seen(self, article_id: int) -> datetime | None:
        return first_seen(self._con, article_id)

    def recent_of_sources(
        self,
        sources: Sequence[str],
        limit: int,
        before: tuple[datetime, int] | None = None,
        exclude_urls: Iterable[str] = (),
    ) -> dict[str, list[tuple[int, int]]]:
        return recent_of_sources(self._con, sources, limit, before, exclude_urls=exclude_urls)

    def texts_of(self, ids: Sequence[int]) -> dict[int, str]:
        return texts_of(self._con, ids)

    def merge_clusters(self, cluster_ids: Sequence[int]) -> tuple[int, datetime]:
        return merge_clusters(self._con, cluster_ids)

    def move_to_cluster(self, article_id: int, cluster_id: int) -> None:
        move_to_cluster(self._con, article_id, cluster_id)

    def ensure_params(self, params: str, now: datetime) -> None:
        ensure_params(self._con, params, now)

    def earliest_with_hashes(
        self, hashes: Sequence[str], before: tuple[datetime, int]
    ) -> dict[str, tuple[datetime, int]]:
        return earliest_with_hashes(self._con, hashes, before)

    def set_text_hashes(self, rows: Sequence[tuple[int, str | None]]) -> None:
        set_text_hashes(self._con, rows)

    def head_of(self, article_id: int) -> int:
        return head_of(self._con, article_id)

    def flush(self, joins: ClusterJoins) -> None:
        """Write the cluster joins waiting in `joins`."""
        joins.flush(self._con)


class Dedup(Database):
    """The rebuild's and `newswatch dedup`'s transactions over the index (flows/pipeline/rebuild.py)."""

    def reset_dedup(self) -> int:
        """Empty the index and make every article a story of its own; returns the articles to place."""
        with self.transaction() as con:
            reset(con)
            return index_stats(con)["articles"]

    def rebuild_page(self, after: tuple[datetime, int] | None, limit: int) -> list[RebuildRow]:
        with self.connect(read_only=True) as con:
            return rebuild_page(con, after, limit)

    def in_dedup_transaction(self, work: Callable[[DedupIndex], T]) -> T:
        """Run `work` on the index inside one transaction (a rebuild batch commits on its own)."""
        with self.transaction() as con:
            return work(DedupIndex(con))

    def finish_dedup_rebuild(self, params: str) -> dict[str, int]:
        """Record the parameters the index was built with; returns its size."""
        with self.transaction() as con:
            set_params(con, params, datetime.now(UTC))
            return index_stats(con)

    def dedup_status(self) -> tuple[dict[str, int], str | None]:
        """The index's size, and the parameters it was built with."""
        with self.connect(read_only=True) as con:
            return index_stats(con), stored_params(con)
