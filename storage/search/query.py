"""Searching the index: BM25 over the query's postings, filters, story collapsing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import numpy as np

from storage.database import Database
from storage.errors import StorageError
from storage.search.tokenizer import (
    PROBE,
    TOKENIZER_VERSION,
    Stemmer,
    head,
    key_term,
    matched_names,
    matched_words,
    tokens_of,
)

# --- searching ---------------------------------------------------------------------------------

K1 = 1.2
B = 0.75
MAX_QUERY_TERMS = 64
KEY_WEIGHT = 0.5  # a match through a word's cross-script name key, against an exact one


@dataclass(frozen=True)
class SearchRequest:
    terms: str
    limit: int = 20
    since: date | None = None  # a datetime is an instant; a date is 00:00 UTC
    language: str | None = None
    country: str | None = None
    relevant: bool = False
    all_copies: bool = False
    # several countries, languages or sources (any of them), a minimum
    # relevance, and only the articles stored by one run
    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    min_relevance: float | None = None
    run_id: int | None = None


@dataclass(frozen=True)
class SearchHit:
    id: int
    cluster_id: int | None
    score: float
    matched: int  # how many of the query's terms the article holds
    exact: int  # of those, how many in the query's own script (the rest through a name key)
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
        # an instant (the CLI gives midnight in settings.timezone), or a date taken as 00:00 UTC;
        # a seed has no day of its own unless its text gave one, so an undated seed is never "since"
        where.append(
            "coalesce(a.published_at, CASE WHEN a.is_seed THEN NULL ELSE a.first_seen_at END) >= $since"
        )
        since = req.since
        params["since"] = (
            since if isinstance(since, datetime) else datetime(since.year, since.month, since.day, tzinfo=UTC)
        )
    if req.language:
        where.append("(lower(a.language) = $lang OR lower(a.language) LIKE $lang || '-%')")
        params["lang"] = req.language.lower()
    if req.country:
        where.append("list_contains(a.countries, $country)")
        params["country"] = req.country.upper()
    if req.relevant:
        where.append("a.is_relevant")
    if req.countries:
        where.append("list_has_any(a.countries, $countries::VARCHAR[])")
        params["countries"] = [c.upper() for c in req.countries]
    if req.languages:
        where.append("list_contains($languages::VARCHAR[], split_part(lower(a.language), '-', 1))")
        params["languages"] = [lang.lower().split("-")[0] for lang in req.languages]
    if req.sources:
        where.append("list_contains($sources::VARCHAR[], lower(a.source))")
        params["sources"] = [src.lower() for src in req.sources]
    if req.min_relevance is not None:
        where.append("coalesce(a.relevance, 0) >= $min_relevance")
        params["min_relevance"] = req.min_relevance
    if req.run_id is not None:
        where.append("a.run_id = $run_id")
        params["run_id"] = req.run_id
    return " AND ".join(where)


# The index's state and statistics.
_STATE_SQL = """
SELECT s.tokenizer,
       (SELECT count(*) FROM search_doc)::DOUBLE,
       (SELECT coalesce(avg(len), 1) FROM search_doc)::DOUBLE
FROM (SELECT 1) LEFT JOIN search_state s ON true
"""

# A text's tokens with what their stemming needs, by the SQL tokenizer.
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


def search(store: Database, req: SearchRequest) -> list[SearchHit]:
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
        query_tokens = tokens_of(con, req.terms)
        by_word: dict[str, str | None] = {}  # exact term -> its name key term (first token's)
        for tok, kind, inp in query_tokens:
            by_word.setdefault(stem.term(inp, kind), key_term(tok))
        words = list(by_word)[:MAX_QUERY_TERMS]
        keys = [by_word[w] for w in words]
        probe = [stem.term(inp, kind) for _, kind, inp in tokens_of(con, PROBE)]
        row = con.execute(
            "SELECT [hash(t) FOR t IN $terms::VARCHAR[]], [hash(t) FOR t IN $keys::VARCHAR[]],"
            " hash($probe::VARCHAR[])",
            {"terms": words, "keys": [k or "" for k in keys], "probe": probe},
        ).fetchone()
        assert row is not None
        if tokenizer != f"{TOKENIZER_VERSION}:{row[2]}":
            raise StorageError(
                f"{store.path}: the search index was built by another version; run `newswatch search --reindex`"
            )
        # lookups: each distinct exact term (its word's index), then each word's name key
        word_of: dict[int, int] = {}
        for i, t in enumerate(row[0]):
            word_of.setdefault(int(t), i)
        exact_terms = list(word_of)
        n_words = len(exact_terms)
        key_terms = [
            (int(h), word_of[int(t)]) for t, h, k in zip(row[0], row[1], keys, strict=True) if k is not None
        ]
        key_terms = list(dict.fromkeys(kt for kt in key_terms if kt[0] not in word_of))
        terms = exact_terms + [h for h, _ in key_terms]
        lookup_word = np.array(list(range(n_words)) + [w for _, w in key_terms], dtype=np.int64)
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
        ids = found["id"].astype(np.int64)
        if key_terms:
            # a word counts once per article: exactly if it can, else through its name key
            is_key = q >= n_words
            pair = ids * n_words + lookup_word[q]
            keep = ~is_key | ~np.isin(pair, pair[~is_key])
            _, first = np.unique(pair[keep], return_index=True)  # two keys of one word: the first
            keep_at = np.flatnonzero(keep)[first]
            ids, weights, q = ids[keep_at], weights[keep_at], q[keep_at]
            weights[q >= n_words] *= KEY_WEIGHT
        candidates, scores, matched = _per_article(ids, weights)
        exact = matched
        if key_terms:
            exact_ids = np.sort(ids[q < n_words])
            exact = np.searchsorted(exact_ids, candidates, side="right") - np.searchsorted(
                exact_ids, candidates
            )

        filter_params: dict[str, Any] = {}
        where = _filters(req, filter_params)
        if where:
            passing = con.execute(f"SELECT id FROM article a WHERE {where}", filter_params).fetchnumpy()["id"]
            keep = np.isin(candidates, passing)
            candidates, scores, matched, exact = candidates[keep], scores[keep], matched[keep], exact[keep]
        # more query terms matched first, then more of them in the query's own script, then the
        # BM25 score (below 10,000 for any query)
        key = matched * 1e8 + exact * 1e4 + scores

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
    wanted_keys = {k for k in keys if k is not None}
    heads = {head(w) for w, _, _ in query_tokens}
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
                exact=int(exact[pos]),
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
                matched_tokens=_union(
                    matched_words(f"{d[2] or ''} {d[10]}", wanted, heads, stem),
                    matched_names(f"{d[2] or ''} {d[10]}", wanted_keys),
                ),
            )
        )
    return hits


def _union(first: list[str], second: list[str]) -> list[str]:
    return list(dict.fromkeys(first + second))
