"""SQL of the near-duplicate index (migration 002) and of story clusters.

These functions take the caller's connection, because they run inside the transaction that
inserts the articles (or rebuilds the clusters): the index and the articles commit together.
Clusters follow SPEC 6: `cluster_id` is the id of the cluster's earliest article (by
first_seen_at, then id), `duplicate_of` is that id for every other member and NULL for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa


@dataclass(frozen=True)
class Candidate:
    id: int
    canonical_url: str
    source: str
    text: str | None
    cluster_id: int
    duplicate_of: int | None
    first_seen_at: datetime


_CANDIDATE_COLS = "id, canonical_url, source, text, coalesce(cluster_id, id), duplicate_of, first_seen_at"


def band_members(con: duckdb.DuckDBPyConnection, keys: Sequence[int]) -> dict[int, list[int]]:
    """Stored article ids per band key. The keys go in as literals: only then does DuckDB use the index."""
    found: dict[int, list[int]] = {}
    for start in range(0, len(keys), 2000):
        chunk = [int(k) for k in keys[start : start + 2000]]
        if not chunk:
            continue
        rows = con.execute(
            f"SELECT band_key, article_id FROM dedup_band WHERE band_key IN ({','.join(map(str, chunk))})"
        ).fetchall()
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
    if not ids:
        return []
    literal = ",".join(str(int(i)) for i in ids)
    rows = con.execute(f"SELECT {_CANDIDATE_COLS} FROM article WHERE id IN ({literal})").fetchall()
    return [Candidate(*row) for row in rows]


def first_seen(con: duckdb.DuckDBPyConnection, article_id: int) -> datetime | None:
    row = con.execute("SELECT first_seen_at FROM article WHERE id = ?", [article_id]).fetchone()
    return row[0] if row else None


def recent_of_source(
    con: duckdb.DuckDBPyConnection,
    source: str,
    limit: int,
    before: tuple[datetime, int] | None = None,
    window: int = 200_000,
) -> list[Candidate]:
    """A source's latest articles (seen before `before`) among the last `window` ids.

    Ids only grow, so the id floor lets zone maps skip all but the newest row groups.
    """
    row = con.execute("SELECT coalesce(max(id), 0) FROM article").fetchone()
    floor = (int(row[0]) if row else 0) - window
    sql = f"SELECT {_CANDIDATE_COLS} FROM article WHERE id > ? AND source = ?"
    params: list[object] = [floor, source]
    if before is not None:
        sql += " AND (first_seen_at, id) < (?, ?)"
        params += [before[0], before[1]]
    rows = con.execute(sql + " ORDER BY id DESC LIMIT ?", [*params, limit]).fetchall()
    return [Candidate(*r) for r in rows]


def merge_clusters(con: duckdb.DuckDBPyConnection, cluster_ids: Sequence[int]) -> int:
    """Make the given clusters one, headed by their earliest article; returns the new cluster id."""
    ids = ",".join(str(int(c)) for c in cluster_ids)
    row = con.execute(
        f"SELECT min_by(id, (first_seen_at, id)) FROM article WHERE cluster_id IN ({ids}) OR id IN ({ids})"
    ).fetchone()
    assert row is not None and row[0] is not None
    head = int(row[0])
    con.execute(
        "UPDATE article SET cluster_id = ?, duplicate_of = CASE WHEN id = ? THEN NULL ELSE ? END"
        f" WHERE cluster_id IN ({ids}) OR id IN ({ids})",
        [head, head, head],
    )
    return head


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
    """Forget every band and cluster: each article its own story, until the rebuild reaches it."""
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


def earliest_with_hash(
    con: duckdb.DuckDBPyConnection, text_hash: str, before: tuple[datetime, int]
) -> int | None:
    row = con.execute(
        "SELECT id FROM article WHERE text_hash = ? AND (first_seen_at, id) < (?, ?)"
        " ORDER BY first_seen_at, id LIMIT 1",
        [text_hash, before[0], before[1]],
    ).fetchone()
    return int(row[0]) if row else None


def head_of(con: duckdb.DuckDBPyConnection, article_id: int) -> int:
    row = con.execute("SELECT coalesce(duplicate_of, id) FROM article WHERE id = ?", [article_id]).fetchone()
    assert row is not None
    return int(row[0])


def assign(
    con: duckdb.DuckDBPyConnection, article_id: int, head: int, text_hash: str | None, old_hash: str | None
) -> None:
    """Put one article into the cluster headed by `head` (itself: a story of its own)."""
    if head != article_id:
        con.execute(
            "UPDATE article SET cluster_id = ?, duplicate_of = ? WHERE id = ?", [head, head, article_id]
        )
    if text_hash != old_hash:
        con.execute("UPDATE article SET text_hash = ? WHERE id = ?", [text_hash, article_id])
