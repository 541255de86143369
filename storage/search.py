"""Full-text search: a BM25 index kept in DuckDB tables, read-only SQL, and exports.

Why not the `fts` extension's own index: `PRAGMA create_fts_index` rebuilds everything (105 s
for 200,000 articles here) and its `match_bm25` scans every posting (1.2 s a query at 200,000).
We keep our own postings instead: a few runs sorted by term hash, so that a lookup reads only the
row groups whose min/max range can hold the term, plus a small unsorted delta that every ingest
appends to. From the extension we use only its Snowball stemmers (`stem`).

Tokens, the same for articles and queries: runs of letters, digits and marks, lower-cased; Han,
Hiragana and Katakana runs become overlapping character bigrams (a single character stays a
unigram), since Chinese is written without spaces. Stemming is chosen per token by its script,
so a query needs no language: Cyrillic words get the Russian stemmer unless they hold a letter
of Kazakh, Kyrgyz or Tajik (there is no stemmer for those: they are indexed as written); Latin
words have accents stripped and get the English stemmer.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

import duckdb

from storage.db import StorageError, Store

TOKENIZER_VERSION = "nw1"
K1 = 1.2
B = 0.75
TITLE_WEIGHT = 2
MAX_QUERY_TERMS = 64
# The delta is sorted onto search_posting once it holds this fraction of it (and at least
# MIN_COMPACT_ROWS): each sorted run is then a sizeable share of the table, so their number
# grows with the logarithm of the corpus while a compaction costs only the delta's size.
COMPACT_FRACTION = 0.1
MIN_COMPACT_ROWS = 1_000_000
MAX_RUNS = 48  # beyond this, merge all runs into one (a full sort: rare)
REBUILD_BATCH = 100_000  # articles tokenized at a time by a rebuild

_CJK = r"[\p{Han}\p{Hiragana}\p{Katakana}]"
_MACROS = (
    # words: every non-CJK run of letters, digits and combining marks, lower-cased
    "CREATE OR REPLACE TEMP MACRO nw_words(s) AS regexp_extract_all("
    f"lower(regexp_replace(coalesce(s, ''), '{_CJK}+', ' ', 'g')), '[\\p{{L}}\\p{{N}}\\p{{M}}]+')",
    # CJK runs as overlapping bigrams
    "CREATE OR REPLACE TEMP MACRO nw_bigrams(s) AS flatten([CASE WHEN length(r) = 1 THEN [r]"
    " ELSE [substr(r, i, 2) FOR i IN range(1, length(r))] END"
    f" FOR r IN regexp_extract_all(coalesce(s, ''), '{_CJK}+')])",
    "CREATE OR REPLACE TEMP MACRO nw_tokens(s) AS list_concat(nw_words(s), nw_bigrams(s))",
    # a token's index term, stemmed by its script
    "CREATE OR REPLACE TEMP MACRO nw_term(w) AS CASE"
    " WHEN regexp_matches(w, '[әғқңөұүһіӣӯҳҷ]') THEN w"
    " WHEN regexp_matches(w, '\\p{Cyrillic}') THEN stem(replace(w, 'ё', 'е'), 'russian')"
    f" WHEN regexp_matches(w, '{_CJK}') THEN w"
    " ELSE stem(strip_accents(w), 'english') END",
    "CREATE OR REPLACE TEMP MACRO nw_hash(w) AS hash(nw_term(w))",
    # a token's first two letters as its term starts (stemmers change only the end)
    "CREATE OR REPLACE TEMP MACRO nw_head(w) AS left(strip_accents(replace(w, 'ё', 'е')), 2)",
)


def fts_extension_path() -> Path:
    """The `fts` extension file shipped by the pinned duckdb-extension-fts package."""
    try:
        root = Path(str(resources.files("duckdb_extension_fts"))) / "extensions"
    except ModuleNotFoundError as exc:
        raise StorageError("the duckdb-extension-fts package is not installed") from exc
    exact = root / f"v{duckdb.__version__}" / "fts.duckdb_extension"
    if exact.is_file():
        return exact
    raise StorageError(
        f"no fts extension for DuckDB {duckdb.__version__} under {root}: "
        "duckdb and duckdb-extension-fts must have the same version"
    )


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Load `fts` from its package (never from the internet) and define the tokenizer macros."""
    path = fts_extension_path()
    con.execute(f"SET extension_directory = '{_quote(str(path.parent.parent))}'")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"LOAD '{_quote(str(path))}'")
    for macro in _MACROS:
        con.execute(macro)


def tokenizer_tag(con: duckdb.DuckDBPyConnection) -> str:
    """Changes when the tokenizer or DuckDB's hash() changes: then the index must be rebuilt."""
    row = con.execute(
        "SELECT hash([nw_term(w) FOR w IN nw_tokens('Қазақстан президенты, presidents running 西安宣言')])"
    ).fetchone()
    assert row is not None
    return f"{TOKENIZER_VERSION}:{row[0]}"


def _quote(text: str) -> str:
    return text.replace("'", "''")


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


# Postings of the articles in temp table nw_new(id, title, text): tokens, each distinct token
# stemmed once, counted per article; a title occurrence counts TITLE_WEIGHT times.
_POSTINGS = f"""
WITH tok AS (
    SELECT id, unnest(nw_tokens(title)) AS w, {TITLE_WEIGHT} AS wt FROM nw_new
    UNION ALL
    SELECT id, unnest(nw_tokens(text)) AS w, 1 AS wt FROM nw_new
),
vocab AS (SELECT w, nw_hash(w) AS term FROM (SELECT DISTINCT w FROM tok)),
counted AS (SELECT term, id, sum(wt) AS tf FROM tok JOIN vocab USING (w) GROUP BY term, id)
SELECT term, id, least(tf, 65535)::USMALLINT AS tf,
       least(sum(tf) OVER (PARTITION BY id), 4294967295)::UINTEGER AS len
FROM counted
"""


def _state(con: duckdb.DuckDBPyConnection) -> tuple[str, int, int, int] | None:
    row = con.execute("SELECT tokenizer, sorted_rows, runs, delta_rows FROM search_state").fetchone()
    return (str(row[0]), int(row[1]), int(row[2]), int(row[3])) if row else None


def _index_new(
    con: duckdb.DuckDBPyConnection, now: datetime, target: str, limit: int | None = None
) -> tuple[int, int]:
    """Tokenize the articles not indexed yet (at most `limit`) into `target`; returns (articles,
    postings)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE nw_new AS SELECT a.id, a.title, a.text FROM article a"
        " ANTI JOIN search_doc d ON d.id = a.id" + (f" ORDER BY a.id LIMIT {int(limit)}" if limit else "")
    )
    row = con.execute("SELECT count(*) FROM nw_new").fetchone()
    articles = int(row[0]) if row else 0
    if not articles:
        return 0, 0
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
    con.execute("DROP TABLE nw_postings")
    con.execute("DROP TABLE nw_new")
    return articles, postings


def _rebuild(store: Store, now: datetime) -> tuple[int, int]:
    """Everything again: tokenized in batches, each its own transaction (memory stays bounded),
    then sorted as one run. Until the last step commits there is no index and search says so."""
    with store.transaction() as con:
        for table in ("search_state", "search_posting", "search_delta", "search_doc"):
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
    store: Store,
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


def rebuild_index(store: Store) -> IndexUpdate:
    """Tokenize every article again into one sorted run (`newswatch search --reindex`)."""
    started = time.monotonic()
    articles, postings = _rebuild(store, datetime.now(UTC))
    with store.connect() as con:
        con.execute("CHECKPOINT")  # give the deleted postings' space back to the file
    return IndexUpdate(articles, postings, False, True, time.monotonic() - started)


def index_status(store: Store) -> IndexStatus:
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


# --- searching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRequest:
    terms: str
    limit: int = 20
    since: date | None = None
    language: str | None = None
    country: str | None = None
    relevant: bool = False
    all_copies: bool = False


@dataclass(frozen=True)
class SearchHit:
    id: int
    cluster_id: int | None
    score: float
    matched: int  # how many of the query's terms the article holds
    terms: int  # how many terms the query has
    copies: int  # matching articles of this story (1 with all_copies)
    title: str | None
    source: str
    url: str
    published_at: datetime | None
    first_seen_at: datetime
    language: str | None
    countries: list[str] | None
    is_relevant: bool | None
    text: str
    matched_tokens: list[str]  # the article's own tokens (lower-cased) that matched, for highlighting


def _filters(req: SearchRequest, params: dict[str, Any]) -> str:
    where = []
    if req.since is not None:
        where.append("coalesce(a.published_at, a.first_seen_at) >= $since")
        params["since"] = datetime(req.since.year, req.since.month, req.since.day, tzinfo=UTC)
    if req.language:
        where.append("(lower(a.language) = $lang OR lower(a.language) LIKE $lang || '-%')")
        params["lang"] = req.language.lower()
    if req.country:
        where.append("list_contains(a.countries, $country)")
        params["country"] = req.country.upper()
    if req.relevant:
        where.append("a.is_relevant")
    return " AND ".join(where) or "true"


def _ranking_sql(nterms: int, where: str, all_copies: bool) -> str:
    # $tN::UBIGINT: an uncast Python int below 2**63 binds as BIGINT, and DuckDB then casts the
    # column instead, which turns off the min/max pruning the whole design rests on
    lookups = " UNION ALL ".join(
        f"SELECT term, id, tf, len FROM {table} WHERE term = $t{i}::UBIGINT"
        for i in range(nterms)
        for table in ("search_posting", "search_delta")
    )
    collapse = (
        "" if all_copies else " QUALIFY row_number() OVER (PARTITION BY story ORDER BY key DESC, id) = 1"
    )
    copies = "1" if all_copies else "count(*) OVER (PARTITION BY story)"
    # key: more query terms matched first, then the BM25 score (below 10,000 for any query)
    return f"""
WITH p AS MATERIALIZED ({lookups}),
st AS (SELECT count(*)::DOUBLE AS n, coalesce(avg(len), 1)::DOUBLE AS avgdl FROM search_doc),
df AS (
    SELECT term, ln(1 + (st.n - count(*) + 0.5) / (count(*) + 0.5)) AS idf
    FROM p CROSS JOIN st GROUP BY term, st.n
),
scored AS (
    SELECT p.id,
           sum(df.idf * p.tf * {K1 + 1:.6g}::DOUBLE
               / (p.tf + {K1 * (1 - B):.6g}::DOUBLE + {K1 * B:.6g}::DOUBLE * p.len / st.avgdl)) AS score,
           count(*) AS matched
    FROM p JOIN df USING (term) CROSS JOIN st
    GROUP BY p.id
),
hits AS (
    SELECT s.id, s.score, s.matched, s.matched * 10000 + s.score AS key,
           coalesce(a.cluster_id, a.id) AS story
    FROM scored s JOIN article a ON a.id = s.id
    WHERE {where}
)
SELECT id, score, matched, {copies} AS copies FROM hits{collapse}
ORDER BY key DESC, id LIMIT $limit
"""


_DETAILS_SQL = """
SELECT id, cluster_id, title, source, url, published_at, first_seen_at, language, countries,
       is_relevant, coalesce(text, '')
FROM article WHERE id IN (SELECT unnest($ids))
"""

# The words of each text whose term is a query term. Stemming only touches a word's end, so the
# first letters are compared before paying for the stemmer.
_MATCHED_SQL = """
SELECT [list_filter(list_distinct(nw_tokens(s)),
                    w -> CASE WHEN list_contains($heads, nw_head(w)) THEN list_contains($terms, nw_hash(w))
                              ELSE false END)
        FOR s IN $texts]
"""


def query_terms(con: duckdb.DuckDBPyConnection, text: str) -> list[int]:
    row = con.execute("SELECT list_distinct([nw_hash(w) FOR w IN nw_tokens($q)])", {"q": text}).fetchone()
    return list(row[0]) if row and row[0] else []


def search(store: Store, req: SearchRequest) -> list[SearchHit]:
    """Rank articles by BM25 over title and text; those holding more of the terms come first."""
    with store.connect(read_only=True) as con:
        prepare(con)
        state = _state(con)
        if state is None:
            raise StorageError(f"{store.path}: no search index yet (run `newswatch search --reindex`)")
        if state[0] != tokenizer_tag(con):
            raise StorageError(
                f"{store.path}: the search index was built by another version; run `newswatch search --reindex`"
            )
        terms = query_terms(con, req.terms)[:MAX_QUERY_TERMS]
        row = con.execute(
            "SELECT list_distinct([nw_head(w) FOR w IN nw_tokens($q)])", {"q": req.terms}
        ).fetchone()
        heads = list(row[0]) if row and row[0] else []
        if not terms:
            return []
        params: dict[str, Any] = {f"t{i}": t for i, t in enumerate(terms)}
        params["limit"] = req.limit
        sql = _ranking_sql(len(terms), _filters(req, params), req.all_copies)
        ranked = con.execute(sql, params).fetchall()
        if not ranked:
            return []
        details = {r[0]: r for r in con.execute(_DETAILS_SQL, {"ids": [r[0] for r in ranked]}).fetchall()}
        found = [details[r[0]] for r in ranked if r[0] in details]
        texts = [f"{d[2] or ''} {d[10]}" for d in found]
        row = con.execute(_MATCHED_SQL, {"texts": texts, "terms": terms, "heads": heads}).fetchone()
        matched_by_id = {d[0]: list(m or []) for d, m in zip(found, row[0] if row else [], strict=True)}
    hits = []
    for id_, score, matched, copies in ranked:
        d = details.get(id_)
        if d is None:
            continue
        hits.append(
            SearchHit(
                id=int(id_),
                cluster_id=d[1],
                score=float(score),
                matched=int(matched),
                terms=len(terms),
                copies=int(copies),
                title=d[2],
                source=d[3],
                url=d[4],
                published_at=d[5],
                first_seen_at=d[6],
                language=d[7],
                countries=d[8],
                is_relevant=d[9],
                text=d[10],
                matched_tokens=matched_by_id.get(id_, []),
            )
        )
    return hits


def tokens(store: Store, text: str) -> list[tuple[str, str]]:
    """(token, index term) pairs of a text, as the index sees it: for tests and debugging."""
    with store.connect(read_only=True) as con:
        prepare(con)
        row = con.execute("SELECT [(w, nw_term(w)) FOR w IN nw_tokens($s)]", {"s": text}).fetchone()
    return [(str(t[0]), str(t[1])) for t in (row[0] if row else [])]


# --- read-only SQL and exports -----------------------------------------------------------------

FORMATS = {
    "csv": "FORMAT csv, HEADER true",
    "json": "FORMAT json, ARRAY true",
    "jsonl": "FORMAT json",
    "parquet": "FORMAT parquet, COMPRESSION zstd",
}


@contextmanager
def locked_connection(store: Store) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection that can touch no file either: no COPY TO, ATTACH or file reads."""
    with store.connect(read_only=True) as con:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        yield con


def query(store: Store, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run an analyst's SQL; the connection cannot change the database or write files."""
    with locked_connection(store) as con:
        cur = con.execute(sql)
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()


def _write(reader: Any, fmt: str, out: Path | BinaryIO) -> None:
    """Write an Arrow stream with a separate in-memory DuckDB, the only one allowed to write files."""
    if fmt not in FORMATS:
        raise StorageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    writer = duckdb.connect()
    try:
        writer.execute("SET autoinstall_known_extensions = false")
        writer.register("result", reader)
        if isinstance(out, Path):
            writer.execute(f"COPY result TO '{_quote(str(out))}' ({FORMATS[fmt]})")
            return
        with tempfile.TemporaryDirectory(prefix="newswatch-") as tmp:
            path = Path(tmp) / f"result.{fmt}"
            writer.execute(f"COPY result TO '{_quote(str(path))}' ({FORMATS[fmt]})")
            with path.open("rb") as f:
                shutil.copyfileobj(f, out)
    finally:
        writer.close()


def _check_output(out: Path | None) -> None:
    if out is not None and not out.parent.is_dir():
        raise StorageError(f"{out}: no such directory {out.parent}")


def write_query(store: Store, sql: str, fmt: str, out: Path | None) -> int:
    """Run an analyst's SQL read-only and write its result as csv, json or parquet; returns rows."""
    _check_output(out)
    with locked_connection(store) as con:
        cur = con.execute(sql)
        if cur.description is None:
            raise StorageError("the statement returns no rows to write")
        reader = cur.to_arrow_reader()
        counted = _Counting(reader)
        _write(counted.reader(), fmt, out if out is not None else sys.stdout.buffer)
        return counted.rows


def export_articles(store: Store, fmt: str, out: Path | BinaryIO, since: date | None = None) -> int:
    """The `articles` view (articles dated `since` or later, 00:00 UTC), oldest first; returns rows."""
    _check_output(out if isinstance(out, Path) else None)
    where, params = "", {}
    if since is not None:
        where = "WHERE coalesce(published_at, first_seen_at) >= $since"
        params["since"] = datetime(since.year, since.month, since.day, tzinfo=UTC)
    with locked_connection(store) as con:
        cur = con.execute(
            f"SELECT * FROM articles {where} ORDER BY coalesce(published_at, first_seen_at), id", params
        )
        counted = _Counting(cur.to_arrow_reader())
        _write(counted.reader(), fmt, out)
        return counted.rows


class _Counting:
    """Counts the rows of an Arrow stream as the writer consumes it."""

    def __init__(self, reader: Any) -> None:
        self._source = reader
        self.rows = 0

    def reader(self) -> Any:
        import pyarrow as pa

        def batches() -> Iterator[Any]:
            for batch in self._source:
                self.rows += batch.num_rows
                yield batch

        return pa.RecordBatchReader.from_batches(self._source.schema, batches())


__all__: Sequence[str] = [
    "FORMATS",
    "IndexStatus",
    "IndexUpdate",
    "SearchHit",
    "SearchRequest",
    "export_articles",
    "index_status",
    "query",
    "rebuild_index",
    "search",
    "tokens",
    "update_index",
    "write_query",
]
