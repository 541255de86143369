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
from storage.search import plan as planning
from storage.search.evaluate import matches
from storage.search.phrases import PhraseReader
from storage.search.query_language import parse
from storage.search.tokenizer import (
    PROBE,
    TOKENIZER_VERSION,
    Stemmer,
    head,
    matched_names,
    matched_words,
    tokens_of,
)


@dataclass(frozen=True)
class SearchRequest:
    terms: str  # in the query language (storage/search/query_language.py)
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
    seeds: bool = True  # the reference corpus too (the analyst's search leaves it out unless asked)
    region: str | None = None  # an ISO 3166-2 code: articles whose places hold it


@dataclass(frozen=True)
class SearchHit:
    id: int
    cluster_id: int | None
    score: float
    matched: int  # how many of the query's positive words, phrases and prefixes the article holds
    exact: int  # of those, how many as written (the rest through a name key)
    terms: int  # how many positive words, phrases and prefixes the query has
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
    if req.region:
        where.append("a.id IN (SELECT article_id FROM article_place WHERE list_contains(places, $region))")
        params["region"] = req.region
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
    if not req.seeds:
        where.append("NOT coalesce(a.is_seed, false)")
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


_UNION_MAX = 32  # more terms are looked up with one IN list (the UNION keeps min/max pruning exact)


def _postings(con: duckdb.DuckDBPyConnection, terms: list[int]) -> dict[str, np.ndarray]:
    """The postings of the terms as arrays: q (the term's position in `terms`), id, tf, len.
    Read as one Arrow stream in large batches: fetchnumpy costs three times as much for the
    million postings of two common words."""
    # the hashes are inlined as UBIGINT literals: compared with a BIGINT, DuckDB would cast the
    # column instead, which turns off the min/max pruning the whole design rests on
    if len(terms) <= _UNION_MAX:
        sql = " UNION ALL ".join(
            f"SELECT {i}::USMALLINT AS q, id, tf, len FROM {table} WHERE term = {int(term)}::UBIGINT"
            for i, term in enumerate(terms)
            for table in ("search_posting", "search_delta")
        )
        table = con.execute(sql).to_arrow_reader(1 << 20).read_all()
        return {name: table.column(name).to_numpy() for name in table.column_names}
    listed = ",".join(f"{int(t)}::UBIGINT" for t in terms)
    sql = " UNION ALL ".join(
        f"SELECT term, id, tf, len FROM {table} WHERE term IN ({listed})"
        for table in ("search_posting", "search_delta")
    )
    table = con.execute(sql).to_arrow_reader(1 << 20).read_all()
    found = {name: table.column(name).to_numpy() for name in table.column_names}
    hashes = np.array(terms, dtype=np.uint64)
    order = np.argsort(hashes, kind="stable")
    found["q"] = order[np.searchsorted(hashes[order], found.pop("term"))]
    return found


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
    """Story of each id that is still an article: its story across languages (migration 016's
    story_link), else its cluster, else the article itself."""
    story = "coalesce(l.story_id, a.cluster_id, a.id)"
    link = "LEFT JOIN story_link l ON l.cluster_id = a.cluster_id"
    if len(ids) <= _IN_LIST_MAX:
        sql = f"SELECT a.id, {story} FROM article a {link} WHERE a.id IN ({_id_list(ids)})"
        return dict(con.execute(sql).fetchall())
    import pyarrow as pa

    con.register("nw_ids", pa.table({"id": ids}))
    try:
        sql = f"SELECT a.id, {story} FROM article a SEMI JOIN nw_ids n ON n.id = a.id {link}"
        return dict(con.execute(sql).fetchall())
    finally:
        con.unregister("nw_ids")


def _members(con: duckdb.DuckDBPyConnection, stories: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Every article of the stories (their clusters in every language), and its story."""
    listed = _id_list(stories)
    rows = con.execute(
        "SELECT id, story FROM (SELECT a.id, coalesce(l.story_id, a.cluster_id, a.id) AS story"
        " FROM article a LEFT JOIN story_link l ON l.cluster_id = a.cluster_id"
        f" WHERE a.cluster_id IN ({listed}) OR (a.id IN ({listed}) AND a.cluster_id IS NULL)"
        f" OR a.cluster_id IN (SELECT cluster_id FROM story_link WHERE story_id IN ({listed})))"
        f" WHERE story IN ({listed})"
    ).fetchnumpy()
    return rows["id"].astype(np.int64), rows["story"].astype(np.int64)


def _filtered(con: duckdb.DuckDBPyConnection, plan: planning.Plan) -> dict[int, np.ndarray]:
    """The ids each field filter of the query (source:, lang:, country:) lets through."""
    return {
        i: con.execute(f"SELECT id FROM article a WHERE {leaf.sql}", leaf.params)
        .fetchnumpy()["id"]
        .astype(np.int64)
        for i, leaf in enumerate(plan.leaves)
        if leaf.kind == "filter"
    }


def search(store: Database, req: SearchRequest) -> list[SearchHit]:
    """Articles matching the query exactly (AND, OR, NOT, phrases, prefixes, fields), ranked by
    BM25 over its positive terms; those holding more of them, and more as written, first.

    QueryError (a ValueError with a column) if the query cannot be read; SearchQueryError (also
    a StorageError) if it holds only stopwords or a prefix stands for too many words.
    The postings are summed per article in numpy (a hash aggregate in SQL costs ten times as
    much for a common word); only the best candidates are then looked up in the article table,
    more of them while story collapsing (or a phrase not found in order) leaves fewer than `limit`.
    """
    tree = parse(req.terms)
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
        probe = [stem.term(inp, kind) for _, kind, inp in tokens_of(con, PROBE)]
        row = con.execute("SELECT hash($probe::VARCHAR[])", {"probe": probe}).fetchone()
        assert row is not None
        if tokenizer != f"{TOKENIZER_VERSION}:{row[0]}":
            raise StorageError(
                f"{store.path}: the search index was built by another version; run `newswatch search --reindex`"
            )
        plan = planning.build(con, tree, stem)
        row = con.execute("SELECT [hash(t) FOR t IN $terms::VARCHAR[]]", {"terms": plan.terms}).fetchone()
        assert row is not None
        hashes = [int(h) for h in row[0]]
        found = (
            _postings(con, hashes) if hashes else {k: np.zeros(0, np.int64) for k in ("q", "id", "tf", "len")}
        )
        found_matches = matches(plan, found, _filtered(con, plan), docs, avgdl)
        candidates = found_matches.ids
        keep = np.ones(len(candidates), dtype=bool)
        filter_params: dict[str, Any] = {}
        where = _filters(req, filter_params)
        if where and len(candidates):
            passing = con.execute(f"SELECT id FROM article a WHERE {where}", filter_params).fetchnumpy()["id"]
            keep = np.isin(candidates, passing)
        pos_of = np.flatnonzero(keep)
        candidates = candidates[pos_of]
        m = found_matches
        if plan.text_leaves:
            # more query terms matched first, then more of them as written, then the BM25 score
            # (below 10,000 for any query)
            key = m.matched[pos_of] * 1e8 + m.exact[pos_of] * 1e4 + m.scores[pos_of]
        else:  # filters only: the newest first
            key = candidates.astype(np.float64)
        reader = PhraseReader(con, plan, m, stem)

        chosen: list[tuple[int, int]] = []  # (candidate position, story)
        seen: set[int] = set()
        walked, count = 0, max(_FIRST_WALK, 2 * req.limit)
        while len(chosen) < req.limit and walked < len(candidates):
            order = _best_first(candidates, key, count)
            batch = order[walked:]
            story_of = _stories(con, candidates[batch])
            true = reader.matching(candidates[batch])
            for pos in batch:
                story = story_of.get(int(candidates[pos]))
                if (
                    story is None
                    or int(candidates[pos]) not in true
                    or (not req.all_copies and story in seen)
                ):
                    continue
                seen.add(story)
                chosen.append((int(pos), story))
                if len(chosen) == req.limit:
                    break
            walked, count = len(order), count * 8
        if not chosen:
            return []
        copies: dict[int, int] = {}
        if not req.all_copies:
            members, stories = _members(con, [s for _, s in chosen])
            among = np.isin(members, candidates)
            true = reader.matching(members[among])
            matching: dict[int, list[int]] = {}
            for member, of in zip(members[among], stories[among], strict=True):
                if int(member) in true:
                    copies[int(of)] = copies.get(int(of), 0) + 1
                    matching.setdefault(int(of), []).append(int(member))
            chosen = _earliest_copies(con, candidates, chosen, matching)
        hit_ids = [int(candidates[pos]) for pos, _ in chosen]
        details = {r[0]: r for r in con.execute(_DETAILS_SQL.format(ids=_id_list(hit_ids))).fetchall()}
    heads = {head(w) for w in plan.words}
    hits = []
    for (pos, story), id_ in zip(chosen, hit_ids, strict=True):
        d = details.get(id_)
        if d is None:
            continue
        at = pos_of[pos]
        hits.append(
            SearchHit(
                id=id_,
                cluster_id=d[1],
                score=float(m.scores[at]),
                matched=int(m.matched[at]),
                exact=int(m.exact[at]),
                terms=len(plan.text_leaves),
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
                    matched_words(f"{d[2] or ''} {d[10]}", plan.words, heads, stem),
                    matched_names(f"{d[2] or ''} {d[10]}", plan.keys),
                ),
            )
        )
    return hits


def _earliest_copies(
    con: duckdb.DuckDBPyConnection,
    candidates: np.ndarray,
    chosen: list[tuple[int, int]],
    matching: dict[int, list[int]],
) -> list[tuple[int, int]]:
    """Each story shown by its matching copy that ran first (published, else first seen; then the
    one stored first), not by whichever copy ranked highest: a wire's reprint after the outlet's own."""
    ids = [i for members in matching.values() if len(members) > 1 for i in members]
    if not ids:
        return chosen
    when = {
        int(r[0]): (r[1], int(r[0]))
        for r in con.execute(
            f"SELECT id, coalesce(published_at, first_seen_at) FROM article WHERE id IN ({_id_list(ids)})"
        ).fetchall()
    }
    out = []
    for pos, story in chosen:
        dated = [i for i in matching.get(story, []) if i in when]
        if len(dated) > 1:
            first = min(dated, key=lambda i: when[i])
            pos = int(np.flatnonzero(candidates == first)[0])
        out.append((pos, story))
    return out


def _union(first: list[str], second: list[str]) -> list[str]:
    return list(dict.fromkeys(first + second))
