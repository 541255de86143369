"""Full-text search: a BM25 index kept in DuckDB tables, read-only SQL, and exports.

Why not the `fts` extension's own index: `PRAGMA create_fts_index` rebuilds everything (105 s
for 200,000 articles here) and its `match_bm25` scans every posting (1.2 s a query at 200,000).
We keep our own postings instead: a few runs sorted by term hash, so that a lookup reads only the
row groups whose min/max range can hold the term, plus a small unsorted delta that every ingest
appends to. From the extension we use only its Snowball stemmers (`stem`), and only to index: a
search stems its few words in Python with the same Snowball release (loading the extension and
checking its signature cost more than the whole ranking).

A search at 1,000,000 articles (about 100 ms, most of it DuckDB opening the file and reading the
hits' blocks): the postings of the query's terms are summed per article in numpy, and only the
best few candidates are looked up in the article table (more while story collapsing leaves too
few); filters are one scan of the article table for the ids that pass them.

Tokens, the same for articles and queries: runs of letters, digits and marks, lower-cased; Han,
Hiragana and Katakana runs become overlapping character bigrams (a single character stays a
unigram), since Chinese is written without spaces. Stemming is chosen per token by its script,
so a query needs no language: Cyrillic words get the Russian stemmer unless they hold a letter
of Kazakh, Kyrgyz or Tajik (there is no stemmer for those: they are indexed as written); Latin
words have accents stripped and get the English stemmer.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import numpy as np
from snowballstemmer.english_stemmer import EnglishStemmer
from snowballstemmer.russian_stemmer import RussianStemmer

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
# The tokenizer, in SQL so that articles and queries are cut by the same code. These macros need
# no extension; only the stemming of an index term does (nw_term, below).
_TOKEN_MACROS = (
    # words: every non-CJK run of letters, digits and combining marks, lower-cased
    "CREATE OR REPLACE TEMP MACRO nw_words(s) AS regexp_extract_all("
    f"lower(regexp_replace(coalesce(s, ''), '{_CJK}+', ' ', 'g')), '[\\p{{L}}\\p{{N}}\\p{{M}}]+')",
    # CJK runs as overlapping bigrams
    "CREATE OR REPLACE TEMP MACRO nw_bigrams(s) AS flatten([CASE WHEN length(r) = 1 THEN [r]"
    " ELSE [substr(r, i, 2) FOR i IN range(1, length(r))] END"
    f" FOR r IN regexp_extract_all(coalesce(s, ''), '{_CJK}+')])",
    "CREATE OR REPLACE TEMP MACRO nw_tokens(s) AS list_concat(nw_words(s), nw_bigrams(s))",
    # a token's stemmer by its script: 0 none (Kazakh, Kyrgyz, Tajik letters; CJK), 1 Russian, 2 English
    "CREATE OR REPLACE TEMP MACRO nw_kind(w) AS CASE"
    " WHEN regexp_matches(w, '[әғқңөұүһіӣӯҳҷ]') THEN 0"
    " WHEN regexp_matches(w, '\\p{Cyrillic}') THEN 1"
    f" WHEN regexp_matches(w, '{_CJK}') THEN 0"
    " ELSE 2 END",
    # what the stemmer of that kind is given
    "CREATE OR REPLACE TEMP MACRO nw_stem_input(w, kind) AS CASE kind"
    " WHEN 1 THEN replace(w, 'ё', 'е') WHEN 2 THEN strip_accents(w) ELSE w END",
    # a token's first two letters as its term starts (stemmers change only the end)
    "CREATE OR REPLACE TEMP MACRO nw_head(w) AS left(strip_accents(replace(w, 'ё', 'е')), 2)",
)
_STEM_MACROS = (
    # a token's index term, stemmed by its script (Snowball, from the fts extension)
    "CREATE OR REPLACE TEMP MACRO nw_term(w) AS CASE nw_kind(w)"
    " WHEN 1 THEN stem(nw_stem_input(w, 1), 'russian')"
    " WHEN 2 THEN stem(nw_stem_input(w, 2), 'english') ELSE w END",
    "CREATE OR REPLACE TEMP MACRO nw_hash(w) AS hash(nw_term(w))",
)
_PROBE = "Қазақстан президенты, presidents running 西安宣言"


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
    con.execute(f"LOAD '{_quote(str(path))}'")
    define_tokenizer(con)
    for macro in _STEM_MACROS:
        con.execute(macro)


def define_tokenizer(con: duckdb.DuckDBPyConnection) -> None:
    """The tokenizer macros that need no extension: enough to cut a query into words."""
    con.execute("SET enable_progress_bar = false")
    for macro in _TOKEN_MACROS:
        con.execute(macro)


def tokenizer_tag(con: duckdb.DuckDBPyConnection) -> str:
    """Changes when the tokenizer or DuckDB's hash() changes: then the index must be rebuilt."""
    row = con.execute("SELECT hash([nw_term(w) FOR w IN nw_tokens($p)])", {"p": _PROBE}).fetchone()
    assert row is not None
    return f"{TOKENIZER_VERSION}:{row[0]}"


class Stemmer:
    """The index's stemming in Python: the Snowball release that duckdb-extension-fts carries
    (snowballstemmer 2.2.0; tests compare the two word by word), so that a search needs no
    extension (loading and checking its signature costs more than the whole ranking)."""

    def __init__(self) -> None:
        self._by_kind = {1: RussianStemmer(), 2: EnglishStemmer()}
        self._memo: dict[tuple[str, int], str] = {}

    def term(self, stem_input: str, kind: int) -> str:
        """The index term of a token, given nw_kind(token) and nw_stem_input(token, kind)."""
        stemmer = self._by_kind.get(kind)
        if stemmer is None:
            return stem_input
        key = (stem_input, kind)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = str(stemmer.stemWord(stem_input))
        return found

    def word(self, token: str) -> str:
        """The index term of a token, its script told in Python (for highlighting and tests)."""
        kind, stem_input = _kind_and_input(token)
        return self.term(stem_input, kind)


def _quote(text: str) -> str:
    return text.replace("'", "''")


# The same words in Python, for highlighting only: the matched words of a hit's text are found
# without another pass of the SQL tokenizer over it. A near copy is enough here: a word it cut
# differently would at worst not be highlighted.
_PY_CJK = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3038-\u303b\u3040-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_PY_CJK_RUN = re.compile(f"[{_PY_CJK}]+")
_PY_WORD = re.compile(
    "(?:[^\\W_]|[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f])+"
)
_PY_KAZAKH = re.compile("[әғқңөұүһіӣӯҳҷ]")
_PY_CYRILLIC = re.compile("[\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f]")


def _strip_accents(word: str) -> str:
    if word.isascii():
        return word
    bare = "".join(
        c for c in unicodedata.normalize("NFD", word) if not unicodedata.category(c).startswith("M")
    )
    return unicodedata.normalize("NFC", bare)


def _head(word: str) -> str:
    """nw_head: the first two letters, without accents, ё as е."""
    return _strip_accents(word[:4].replace("ё", "е"))[:2]


def _kind_and_input(word: str) -> tuple[int, str]:
    """nw_kind and nw_stem_input of a token."""
    if _PY_KAZAKH.search(word):
        return 0, word
    if _PY_CYRILLIC.search(word):
        return 1, word.replace("ё", "е")
    if _PY_CJK_RUN.search(word):
        return 0, word
    return 2, _strip_accents(word)


def matched_words(text: str, terms: set[str], heads: set[str], stem: Stemmer) -> list[str]:
    """The words (lower-cased) and CJK bigrams of `text` whose index term is one of `terms`;
    `heads` (the query words' first letters) spares the stemmer the other words."""
    found = []
    for word in dict.fromkeys(_PY_WORD.findall(_PY_CJK_RUN.sub(" ", text).lower())):
        if _head(word) in heads and stem.word(word) in terms:
            found.append(word)
    for run in _PY_CJK_RUN.findall(text):
        grams = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        found.extend(g for g in dict.fromkeys(grams) if g in terms and g not in found)
    return found


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
    """The request's filters on `article a` as SQL ('' when there are none)."""
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
    return " AND ".join(where)


# The index's state and statistics.
_STATE_SQL = """
SELECT s.tokenizer,
       (SELECT count(*) FROM search_doc)::DOUBLE,
       (SELECT coalesce(avg(len), 1) FROM search_doc)::DOUBLE
FROM (SELECT 1) LEFT JOIN search_state s ON true
"""

# A text's tokens with what their stemming needs, by the SQL tokenizer.
_TOKENS_SQL = "SELECT [(w, nw_kind(w), nw_stem_input(w, nw_kind(w))) FOR w IN nw_tokens($s)]"

# Text the SQL tokenizer treats plainly: ASCII, Cyrillic letters, CJK unified ideographs. In
# these, a letter or digit is [0-9A-Za-z] or a Cyrillic letter, lower() maps one letter to one,
# and no accent is stripped, so Python cuts such a query exactly as SQL does (tested), without
# compiling the tokenizer's Unicode regular expressions (5 ms a search).
_PLAIN = re.compile("[\\x00-\\x7f\u0400-\u0481\u048a-\u052f\u3400-\u4dbf\u4e00-\u9fef]*")
_PLAIN_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fef]+")
_PLAIN_WORD = re.compile("[0-9a-z\u0400-\u0481\u048a-\u052f]+")


def plain_tokens(text: str) -> list[tuple[str, int, str]] | None:
    """(token, nw_kind, nw_stem_input) of each token of a plain text, as the SQL tokenizer makes
    them; None if the text holds other characters."""
    if not _PLAIN.fullmatch(text):
        return None
    words = _PLAIN_WORD.findall(_PLAIN_HAN.sub(" ", text).lower())
    grams = [
        g
        for run in _PLAIN_HAN.findall(text)
        for g in ([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    ]
    return [(w, *_kind_and_input(w)) for w in words] + [(g, 0, g) for g in grams]


def _tokens_of(con: duckdb.DuckDBPyConnection, text: str) -> list[tuple[str, int, str]]:
    plain = plain_tokens(text)
    if plain is not None:
        return plain
    define_tokenizer(con)
    row = con.execute(_TOKENS_SQL, {"s": text}).fetchone()
    return [(str(w), int(k), str(i)) for w, k, i in (row[0] if row else [])]


_DETAILS_SQL = """
SELECT id, cluster_id, title, source, url, published_at, first_seen_at, language, countries,
       is_relevant, coalesce(text, '')
FROM article WHERE id IN ({ids})
"""

_FIRST_WALK = 64  # candidates looked up first: enough for 20 stories unless filters or copies thin them
_IN_LIST_MAX = 2048  # longer id lists are joined as an Arrow table instead of an IN list


def _postings(con: duckdb.DuckDBPyConnection, terms: list[int]) -> dict[str, np.ndarray]:
    """The postings of the terms as arrays: q (the term's position in `terms`), id, tf, len.
    Read as one Arrow stream in large batches: fetchnumpy costs three times as much for the
    million postings of two common words."""
    # the hashes are inlined as UBIGINT literals: compared with a BIGINT, DuckDB would cast the
    # column instead, which turns off the min/max pruning the whole design rests on
    sql = " UNION ALL ".join(
        f"SELECT {i}::UTINYINT AS q, id, tf, len FROM {table} WHERE term = {int(term)}::UBIGINT"
        for i, term in enumerate(terms)
        for table in ("search_posting", "search_delta")
    )
    table = con.execute(sql).to_arrow_reader(1 << 20).read_all()
    return {name: table.column(name).to_numpy() for name in table.column_names}


def _per_article(ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum the postings per article: (article ids ascending, BM25 score, terms matched). An
    article has at most one posting per term, so the count is the number of terms it holds."""
    size = int(ids.max()) + 1
    if int(ids.min()) >= 0 and size <= max(1 << 22, 16 * len(ids)):
        matched = np.bincount(ids, minlength=size)
        found = np.flatnonzero(matched)
        return found, np.bincount(ids, weights=weights, minlength=size)[found], matched[found]
    found, inverse = np.unique(ids, return_inverse=True)
    return found, np.bincount(inverse, weights=weights), np.bincount(inverse)


def _best_first(ids: np.ndarray, key: np.ndarray, count: int) -> np.ndarray:
    """Positions of the `count` best candidates (and any tied with the last), by key descending
    then id: a partial sort, since a common word has hundreds of thousands of candidates."""
    if count < len(key):
        kth = np.partition(key, len(key) - count)[len(key) - count]
        sel = np.flatnonzero(key >= kth)
    else:
        sel = np.arange(len(key))
    return sel[np.lexsort((ids[sel], -key[sel]))]


def _id_list(ids: Iterable[int]) -> str:
    return ",".join(str(int(i)) for i in ids) or "NULL"


def _stories(con: duckdb.DuckDBPyConnection, ids: np.ndarray) -> dict[int, int]:
    """Story (cluster, else the article itself) of each id that is still an article."""
    if len(ids) <= _IN_LIST_MAX:
        sql = f"SELECT id, coalesce(cluster_id, id) FROM article WHERE id IN ({_id_list(ids)})"
        return dict(con.execute(sql).fetchall())
    import pyarrow as pa

    con.register("nw_ids", pa.table({"id": ids}))
    try:
        sql = "SELECT a.id, coalesce(a.cluster_id, a.id) FROM article a SEMI JOIN nw_ids n ON n.id = a.id"
        return dict(con.execute(sql).fetchall())
    finally:
        con.unregister("nw_ids")


def _copies(con: duckdb.DuckDBPyConnection, stories: list[int], candidates: np.ndarray) -> dict[int, int]:
    """How many candidates (matching articles that pass the filters) each story holds."""
    listed = _id_list(stories)
    rows = con.execute(
        f"SELECT id, cluster_id FROM article WHERE cluster_id IN ({listed})"
        f" UNION ALL SELECT id, id FROM article WHERE id IN ({listed}) AND cluster_id IS NULL"
    ).fetchnumpy()
    members, story = rows["id"].astype(np.int64), rows["cluster_id"].astype(np.int64)
    at = np.minimum(np.searchsorted(candidates, members), len(candidates) - 1)
    hit = candidates[at] == members
    counted = np.unique(story[hit], return_counts=True)
    return {int(s): int(c) for s, c in zip(*counted, strict=True)}


def search(store: Store, req: SearchRequest) -> list[SearchHit]:
    """Rank articles by BM25 over title and text; those holding more of the terms come first.

    The postings of the query's terms are summed per article in numpy (a hash aggregate in SQL
    costs ten times as much for a common word); only the best candidates are then looked up in
    the article table, more of them while story collapsing leaves fewer than `limit`.
    """
    with store.connect(read_only=True) as con:
        # one thread: a search is a dozen small queries on a cold buffer pool, and waking a second
        # thread for each costs more than it saves (measured: 140 ms against 300 ms at 1M articles)
        con.execute("SET threads = 1")
        row = con.execute(_STATE_SQL).fetchone()
        assert row is not None
        tokenizer, docs, avgdl = row
        if tokenizer is None:
            raise StorageError(f"{store.path}: no search index yet (run `newswatch search --reindex`)")
        stem = Stemmer()
        query_tokens = _tokens_of(con, req.terms)
        words = list(dict.fromkeys(stem.term(inp, kind) for _, kind, inp in query_tokens))[:MAX_QUERY_TERMS]
        probe = [stem.term(inp, kind) for _, kind, inp in _tokens_of(con, _PROBE)]
        row = con.execute(
            "SELECT [hash(t) FOR t IN $terms::VARCHAR[]], hash($probe::VARCHAR[])",
            {"terms": words, "probe": probe},
        ).fetchone()
        assert row is not None
        if tokenizer != f"{TOKENIZER_VERSION}:{row[1]}":
            raise StorageError(
                f"{store.path}: the search index was built by another version; run `newswatch search --reindex`"
            )
        terms = list(dict.fromkeys(int(t) for t in row[0]))
        if not terms:
            return []
        found = _postings(con, terms)
        if not len(found["id"]):
            return []
        q = found["q"].astype(np.intp)
        df = np.bincount(q, minlength=len(terms)).astype(np.float64)
        idf = np.log(1 + (docs - df + 0.5) / (df + 0.5))
        # BM25: idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avgdl)), without temporaries
        tf = found["tf"].astype(np.float64)
        weights = found["len"] * (K1 * B / avgdl)
        weights += K1 * (1 - B)
        weights += tf
        np.divide(tf, weights, out=weights)
        weights *= idf[q]
        weights *= K1 + 1
        candidates, scores, matched = _per_article(found["id"].astype(np.int64), weights)

        filter_params: dict[str, Any] = {}
        where = _filters(req, filter_params)
        if where:
            passing = con.execute(f"SELECT id FROM article a WHERE {where}", filter_params).fetchnumpy()["id"]
            keep = np.isin(candidates, passing)
            candidates, scores, matched = candidates[keep], scores[keep], matched[keep]
        # more query terms matched first, then the BM25 score (below 10,000 for any query)
        key = matched * 10000.0 + scores

        chosen: list[tuple[int, int]] = []  # (candidate position, story)
        seen: set[int] = set()
        walked, count = 0, max(_FIRST_WALK, 2 * req.limit)
        while len(chosen) < req.limit and walked < len(candidates):
            order = _best_first(candidates, key, count)
            batch = order[walked:]
            story_of = _stories(con, candidates[batch])
            for pos in batch:
                story = story_of.get(int(candidates[pos]))
                if story is None or (not req.all_copies and story in seen):
                    continue
                seen.add(story)
                chosen.append((int(pos), story))
                if len(chosen) == req.limit:
                    break
            walked, count = len(order), count * 8
        if not chosen:
            return []
        copies = {} if req.all_copies else _copies(con, [s for _, s in chosen], candidates)
        hit_ids = [int(candidates[pos]) for pos, _ in chosen]
        details = {r[0]: r for r in con.execute(_DETAILS_SQL.format(ids=_id_list(hit_ids))).fetchall()}
    wanted = set(words)
    heads = {_head(w) for w, _, _ in query_tokens}
    hits = []
    for (pos, story), id_ in zip(chosen, hit_ids, strict=True):
        d = details.get(id_)
        if d is None:
            continue
        hits.append(
            SearchHit(
                id=id_,
                cluster_id=d[1],
                score=float(scores[pos]),
                matched=int(matched[pos]),
                terms=len(terms),
                copies=1 if req.all_copies else copies.get(story, 1),
                title=d[2],
                source=d[3],
                url=d[4],
                published_at=d[5],
                first_seen_at=d[6],
                language=d[7],
                countries=d[8],
                is_relevant=d[9],
                text=d[10],
                matched_tokens=matched_words(f"{d[2] or ''} {d[10]}", wanted, heads, stem),
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
        writer.execute("SET TimeZone = 'UTC'")  # csv and json write times as the store reads them
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
