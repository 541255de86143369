"""Building and updating the search index: postings in sorted runs plus a delta, compaction."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from flows.text import CJK_RE2 as CJK
from storage.database import Database
from storage.search.tokenizer import TITLE_MARK, prepare, tokenizer_tag

TITLE_WEIGHT = 2
# The delta is sorted onto search_posting once it holds this fraction of it (and at least
# MIN_COMPACT_ROWS): each sorted run is then a sizeable share of the table, so their number
# grows with the logarithm of the corpus while a compaction costs only the delta's size.
COMPACT_FRACTION = 0.1
MIN_COMPACT_ROWS = 1_000_000
MAX_RUNS = 48  # beyond this, merge all runs into one (a full sort: rare)
REBUILD_BATCH = 100_000  # articles tokenized at a time by a rebuild


# --- the index ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexUpdate:
    """What one update or rebuild did."""

    articles: int  # newly indexed
    postings: int
    compacted: bool
    rebuilt: bool
    seconds: float


@dataclass(frozen=True)
class IndexStatus:
    articles: int  # articles in the article table
    indexed: int
    sorted_rows: int
    runs: int
    delta_rows: int
    tokenizer: str | None
    current_tokenizer: str
    rebuilt_at: datetime | None
    updated_at: datetime | None

    @property
    def stale(self) -> bool:
        return self.tokenizer != self.current_tokenizer


# The articles in temp table nw_new(id, title, text) as tokens, and their distinct words with
# each one's index term (stemmed once).
_TOKENS = f"""
CREATE OR REPLACE TEMP TABLE nw_tok AS
SELECT id, unnest(nw_tokens(title)) AS w, true AS in_title FROM nw_new
UNION ALL
SELECT id, unnest(nw_tokens(text)) AS w, false AS in_title FROM nw_new;
CREATE OR REPLACE TEMP TABLE nw_vocab AS SELECT w, nw_term(w) AS t FROM (SELECT DISTINCT w FROM nw_tok);
INSERT INTO search_word
SELECT v.w FROM nw_vocab v ANTI JOIN search_word s ON s.word = v.w WHERE NOT regexp_matches(v.w, '{CJK}');
"""

# Postings of those articles: each term counted per article, a title occurrence counting
# TITLE_WEIGHT times. Capitalised words also post their cross-script name key
# (storage/search/names.py) as a term of its own, and a title's words and keys post once more as
# TITLE_MARK + term (for title:); the article's length counts its tokens only.
_POSTINGS = f"""
WITH counted AS (
    SELECT hash(t) AS term, id, sum(CASE WHEN in_title THEN {TITLE_WEIGHT} ELSE 1 END) AS tf
    FROM nw_tok JOIN nw_vocab USING (w) GROUP BY t, id
),
titled AS (
    SELECT hash('{TITLE_MARK}' || t) AS term, id, count(*) AS tf
    FROM nw_tok JOIN nw_vocab USING (w) WHERE in_title GROUP BY t, id
),
lens AS (SELECT id, sum(tf) AS len FROM counted GROUP BY id),
caps AS (
    SELECT id, unnest(nw_caps(title)) AS w, true AS in_title FROM nw_new
    UNION ALL
    SELECT id, unnest(nw_caps(text)) AS w, false AS in_title FROM nw_new
),
keys AS (
    SELECT w, k FROM (SELECT w, nw_key(w) AS k FROM (SELECT DISTINCT w FROM caps)) WHERE k IS NOT NULL
),
keyed AS (
    SELECT hash(k) AS term, id, sum(CASE WHEN in_title THEN {TITLE_WEIGHT} ELSE 1 END) AS tf
    FROM caps JOIN keys USING (w) GROUP BY k, id
),
title_keyed AS (
    SELECT hash('{TITLE_MARK}' || k) AS term, id, count(*) AS tf
    FROM caps JOIN keys USING (w) WHERE in_title GROUP BY k, id
),
everything AS (
    SELECT * FROM counted UNION ALL SELECT * FROM titled
    UNION ALL SELECT * FROM keyed UNION ALL SELECT * FROM title_keyed
)
SELECT term, id, least(tf, 65535)::USMALLINT AS tf, least(len, 4294967295)::UINTEGER AS len
FROM everything JOIN lens USING (id)
"""


def _state(con: duckdb.DuckDBPyConnection) -> tuple[str, int, int, int] | None:
    row = con.execute("SELECT tokenizer, sorted_rows, runs, delta_rows FROM search_state").fetchone()
    return (str(row[0]), int(row[1]), int(row[2]), int(row[3])) if row else None


def _select_new(con: duckdb.DuckDBPyConnection, limit: int | None) -> None:
    """`nw_new`: id, title and text of the articles not indexed yet (the first `limit` by id).

    The anti-join reads ids alone; the texts are then read where those ids are. An anti-join that
    carried title and text read both columns of every stored article at every update (the cost
    grew with the corpus, not with the run). New articles have the highest ids, so a range on id
    lets zone maps skip every older row group; the few older ones (edits, which forget their
    postings) are fetched by id through the id index.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE nw_ids AS SELECT a.id FROM article a ANTI JOIN search_doc d"
        " ON d.id = a.id ORDER BY a.id" + (f" LIMIT {int(limit)}" if limit else "")
    )
    row = con.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM search_doc), min(id), max(id) FROM nw_ids"
    ).fetchone()
    con.execute("CREATE OR REPLACE TEMP TABLE nw_new (id BIGINT, title VARCHAR, text VARCHAR)")
    if row is None or row[1] is None:
        con.execute("DROP TABLE nw_ids")
        return
    indexed, lo, hi = int(row[0]), int(row[1]), int(row[2])
    older = [int(r[0]) for r in con.execute(f"SELECT id FROM nw_ids WHERE id <= {indexed}").fetchall()]
    tail = max(lo, indexed + 1)
    if tail <= hi:
        con.execute(
            "INSERT INTO nw_new SELECT a.id, a.title, a.text FROM article a"
            f" WHERE a.id BETWEEN {tail} AND {hi} AND a.id IN (SELECT id FROM nw_ids)"
        )
    for start in range(0, len(older), 1_000):
        literal = ",".join(str(i) for i in older[start : start + 1_000])
        con.execute(f"INSERT INTO nw_new SELECT id, title, text FROM article WHERE id IN ({literal})")
    con.execute("DROP TABLE nw_ids")


def _index_new(
    con: duckdb.DuckDBPyConnection, now: datetime, target: str, limit: int | None = None
) -> tuple[int, int]:
    """Tokenize the articles not indexed yet (at most `limit`) into `target`; returns (articles,
    postings)."""
    _select_new(con, limit)
    row = con.execute("SELECT count(*) FROM nw_new").fetchone()
    articles = int(row[0]) if row else 0
    if not articles:
        return 0, 0
    con.execute(_TOKENS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE nw_postings AS {_POSTINGS}")
    order = " ORDER BY term, id" if target == "search_posting" else ""
    con.execute(f"INSERT INTO {target} SELECT * FROM nw_postings{order}")
    con.execute(
        "INSERT INTO search_doc SELECT n.id, coalesce(p.len, 0), ? FROM nw_new n"
        " LEFT JOIN (SELECT id, any_value(len) AS len FROM nw_postings GROUP BY id) p ON p.id = n.id",
        [now],
    )
    row = con.execute("SELECT count(*) FROM nw_postings").fetchone()
    postings = int(row[0]) if row else 0
    for temp in ("nw_postings", "nw_vocab", "nw_tok", "nw_new"):
        con.execute(f"DROP TABLE {temp}")
    return articles, postings


def _rebuild(store: Database, now: datetime) -> tuple[int, int]:
    """Everything again: tokenized in batches, each its own transaction (memory stays bounded),
    then sorted as one run. Until the last step commits there is no index and search says so."""
    with store.transaction() as con:
        for table in ("search_state", "search_posting", "search_delta", "search_doc", "search_word"):
            con.execute(f"DELETE FROM {table}")
    articles = postings = 0
    while True:
        with store.transaction() as con:
            prepare(con)
            batch, rows = _index_new(con, now, "search_delta", limit=REBUILD_BATCH)
        articles, postings = articles + batch, postings + rows
        if batch < REBUILD_BATCH:
            break
    with store.transaction() as con:
        prepare(con)
        con.execute("INSERT INTO search_posting SELECT * FROM search_delta ORDER BY term, id")
        con.execute("DELETE FROM search_delta")
        con.execute(
            "INSERT INTO search_state VALUES (?, ?, ?, 0, ?, ?, ?)",
            [tokenizer_tag(con), postings, 1 if postings else 0, now, now, now],
        )
    return articles, postings


def update_index(
    store: Database,
    *,
    compact_fraction: float = COMPACT_FRACTION,
    min_compact_rows: int = MIN_COMPACT_ROWS,
) -> IndexUpdate:
    """Index the articles stored since the last update; cost follows their number, not the corpus.

    New postings go to the unsorted delta. Once the delta is `compact_fraction` of the sorted
    table (and at least `min_compact_rows`) it is sorted onto the table's end as one more run. A
    database without an index, or one made by another tokenizer, is rebuilt.
    """
    started = time.monotonic()
    now = datetime.now(UTC)
    with store.connect() as con:
        prepare(con)
        state = _state(con)
        current = state is not None and state[0] == tokenizer_tag(con)
    if not current:
        return rebuild_index(store)
    with store.transaction() as con:
        prepare(con)
        state = _state(con)
        if state is None:  # another process is rebuilding it right now
            return IndexUpdate(0, 0, False, False, time.monotonic() - started)
        _, sorted_rows, runs, delta_rows = state
        articles, postings = _index_new(con, now, "search_delta")
        delta_rows += postings
        compacted = False
        if delta_rows and delta_rows >= max(min_compact_rows, compact_fraction * sorted_rows):
            sorted_rows, runs = _compact(con, sorted_rows, runs, delta_rows)
            delta_rows, compacted = 0, True
        con.execute(
            "UPDATE search_state SET sorted_rows = ?, runs = ?, delta_rows = ?, updated_at = ?"
            + (", compacted_at = ?" if compacted else ""),
            [sorted_rows, runs, delta_rows, now] + ([now] if compacted else []),
        )
    return IndexUpdate(articles, postings, compacted, False, time.monotonic() - started)


def update_index_retrying(store: Database) -> IndexUpdate:
    """`update_index` as one whole transaction run again on a commit conflict (the lake's
    reconciliation, under the writer lock; an ingest's refresh reports a failure instead)."""
    return store.retrying(lambda: update_index(store))


def _compact(con: duckdb.DuckDBPyConnection, sorted_rows: int, runs: int, delta_rows: int) -> tuple[int, int]:
    """Sort the delta onto search_posting as a new run; merge all runs if there are too many."""
    con.execute("INSERT INTO search_posting SELECT * FROM search_delta ORDER BY term, id")
    con.execute("DELETE FROM search_delta")
    sorted_rows, runs = sorted_rows + delta_rows, runs + 1
    if runs > MAX_RUNS:
        _merge_runs(con)
        runs = 1
    return sorted_rows, runs


def _merge_runs(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE nw_all AS SELECT * FROM search_posting ORDER BY term, id")
    con.execute("DELETE FROM search_posting")
    con.execute("INSERT INTO search_posting SELECT * FROM nw_all ORDER BY term, id")
    con.execute("DROP TABLE nw_all")


def forget_articles(con: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> None:
    """Drop the postings of articles whose text changed (in the caller's transaction): the next
    update indexes them again, as articles not indexed yet."""
    if not ids:
        return
    literal = ",".join(str(int(i)) for i in ids)
    counts = []
    for table in ("search_posting", "search_delta"):
        row = con.execute(f"SELECT count(*) FROM {table} WHERE id IN ({literal})").fetchone()
        counts.append(int(row[0]) if row else 0)
        con.execute(f"DELETE FROM {table} WHERE id IN ({literal})")
    con.execute(f"DELETE FROM search_doc WHERE id IN ({literal})")
    con.execute("UPDATE search_state SET sorted_rows = sorted_rows - ?, delta_rows = delta_rows - ?", counts)


def rebuild_index(store: Database) -> IndexUpdate:
    """Tokenize every article again into one sorted run (`newswatch search --reindex`)."""
    started = time.monotonic()
    articles, postings = _rebuild(store, datetime.now(UTC))
    with store.connect() as con:
        con.execute("CHECKPOINT")  # give the deleted postings' space back to the file
    return IndexUpdate(articles, postings, False, True, time.monotonic() - started)


def index_status(store: Database) -> IndexStatus:
    with store.connect(read_only=True) as con:
        prepare(con)
        current = tokenizer_tag(con)
        row = con.execute(
            "SELECT (SELECT count(*) FROM article), (SELECT count(*) FROM search_doc),"
            " s.sorted_rows, s.runs, s.delta_rows, s.tokenizer, s.rebuilt_at, s.updated_at"
            " FROM (SELECT 1) LEFT JOIN search_state s ON true"
        ).fetchone()
    assert row is not None
    return IndexStatus(
        articles=int(row[0]),
        indexed=int(row[1]),
        sorted_rows=int(row[2] or 0),
        runs=int(row[3] or 0),
        delta_rows=int(row[4] or 0),
        tokenizer=row[5],
        current_tokenizer=current,
        rebuilt_at=row[6],
        updated_at=row[7],
    )
