"""Looking articles up by canonical URL and by text hash through `article_key` (migration 017).

The writer asks, for every batch, which of its URLs and text hashes are stored already. Joined
against `article` itself, each question scanned a string column of every stored article: a cost
that grew with the corpus. `article_key` holds the two as 64-bit integers (the low half of their
MD5), so a question scans integers, then reads the few candidates by id (the index on id) and
compares the strings themselves: a key collision costs a row read, never a wrong answer.
These functions take the caller's connection: they run inside the transactions that write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import duckdb

CHUNK = 1_000  # ids per `IN (...)` list: the index on id serves lists of this size


def add_keys(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """The keys of the articles in `source` (a registered table or a query with id,
    canonical_url and text_hash), in the caller's transaction."""
    con.execute(
        "INSERT INTO article_key SELECT id, md5_number_lower(canonical_url), md5_number_lower(text_hash)"
        f" FROM {source}"
    )


def set_text_key(con: duckdb.DuckDBPyConnection, article_id: int, text_hash: str | None) -> None:
    """An edited article's new text hash (storage/revisions.py)."""
    con.execute(
        f"UPDATE article_key SET text_key = md5_number_lower(?::VARCHAR) WHERE id = {int(article_id)}",
        [text_hash],
    )


def rekey(con: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> None:
    """The keys of these ids again from the articles that have them now (after deletes)."""
    for first in range(0, len(ids), CHUNK):
        literal = ",".join(str(int(i)) for i in ids[first : first + CHUNK])
        con.execute(f"DELETE FROM article_key WHERE id IN ({literal})")
        add_keys(con, f"article WHERE id IN ({literal})")


def catch_up(con: duckdb.DuckDBPyConnection, article_max_id: int) -> None:
    """Keys for the articles above the newest key: rows that reached `article` some other way
    (a bulk SQL insert, a foreign writer's replayed WAL) are found by URL all the same. The id
    range lets zone maps skip every older row group; a no-op when the keys are current."""
    row = con.execute("SELECT coalesce(max(id), 0) FROM article_key").fetchone()
    newest = int(row[0]) if row else 0
    if article_max_id > newest:
        add_keys(con, f"article WHERE id > {newest}")


def fill_missing(con: duckdb.DuckDBPyConnection) -> None:
    """Keys for every article without one (after a bulk copy into a lake)."""
    add_keys(con, "article WHERE id NOT IN (SELECT id FROM article_key)")


def _candidates(
    con: duckdb.DuckDBPyConnection, column: str, values: Sequence[str], where: str = ""
) -> list[int]:
    import pyarrow as pa  # loaded already by the writer (storage.dedup)

    con.register("key_lookup", pa.table({"v": pa.array(list(values), pa.string())}))
    try:
        rows = con.execute(
            f"SELECT DISTINCT k.id FROM article_key k JOIN (SELECT md5_number_lower(v) AS key FROM key_lookup) b"
            f" ON k.{column} = b.key{where}"
        ).fetchall()
    finally:
        con.unregister("key_lookup")
    return sorted(int(r[0]) for r in rows)


def _rows_by_id(con: duckdb.DuckDBPyConnection, columns: str, ids: Sequence[int]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for first in range(0, len(ids), CHUNK):
        literal = ",".join(str(int(i)) for i in ids[first : first + CHUNK])
        out += con.execute(f"SELECT {columns} FROM article WHERE id IN ({literal})").fetchall()
    return out


def stored_by_url(
    con: duckdb.DuckDBPyConnection, urls: Iterable[str]
) -> dict[str, tuple[int, int, int | None]]:
    """(id, cluster, duplicate_of) of the stored articles among `urls`."""
    wanted = set(urls)
    if not wanted:
        return {}
    ids = _candidates(con, "url_key", sorted(wanted))
    rows = _rows_by_id(con, "canonical_url, id, coalesce(cluster_id, id), duplicate_of", ids)
    return {str(r[0]): (int(r[1]), int(r[2]), r[3]) for r in rows if r[0] in wanted}


def earliest_by_hash(
    con: duckdb.DuckDBPyConnection, hashes: Iterable[str], below_id: int
) -> dict[str, tuple[datetime, int]]:
    """Per text hash, the earliest stored article (below `below_id`) that has it: (first seen, id)."""
    wanted = set(hashes)
    if not wanted:
        return {}
    ids = _candidates(con, "text_key", sorted(wanted), f" WHERE k.id < {int(below_id)}")
    best: dict[str, tuple[datetime, int]] = {}
    for text_hash, seen, article_id in _rows_by_id(con, "text_hash, first_seen_at, id", ids):
        if text_hash not in wanted:
            continue
        key = (seen, int(article_id))
        if str(text_hash) not in best or key < best[str(text_hash)]:
            best[str(text_hash)] = key
    return best
