"""Deduplication: exact (normalised-text hash) and near-duplicate (MinHash LSH, verified on the text).

Near-duplicates: every text is cut into shingles (word 3-grams; character 4-grams for scripts
written without spaces, such as Chinese), MinHash'ed, and the signature split into LSH bands whose
keys live in DuckDB (`dedup_band`). A new article's band keys name its candidates; each candidate
is then verified on the stored text itself, never on the estimate alone: it is a copy when the
shingle sets' Jaccard similarity is high (light edits, other boilerplate), or when the smaller
text is mostly contained in the larger one and not much smaller (trimmed copies, a new first
paragraph). Lines that a site repeats on other stories (its page template) are left out of the
comparison, so two short briefs under one heavy template stay apart. The parameters below were
chosen by measurement on the labelled set in tests/dedup_eval.py (see benchmarks/dedup_params.py).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cached_property

import duckdb
import numpy as np
from datasketch import MinHash

from flows.progress import Reporter
from storage import dedup as index
from storage.db import ArticleRecord, Store
from storage.spool import writing

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Scripts written without spaces between words: each character is a token.
_NO_SPACE = (
    "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
)
_TOKEN = re.compile(rf"[{_NO_SPACE}]|[^\W_{_NO_SPACE}]+", re.UNICODE)
_NO_SPACE_CHAR = re.compile(rf"[{_NO_SPACE}]")


def normalize_text(text: str) -> str:
    """Case, accents' composition, punctuation and spacing folded, so trivial reformatting matches."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", text).strip()


def text_hash(text: str) -> str | None:
    """The exact-duplicate key; None for texts too short to identify a story."""
    norm = normalize_text(text)
    if len(norm.split()) < 5:
        return None
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True)
class DedupParams:
    """Everything that shapes the index and the verdict; a change needs `newswatch dedup --rebuild`."""

    shingle_words: int = 3  # tokens per shingle for space-separated scripts
    shingle_chars: int = 4  # characters per shingle for Chinese, Japanese, Thai...
    bands: int = 32  # LSH bands ...
    rows: int = 3  # ... of this many MinHash values: a pair at Jaccard 0.45 is a candidate 95% of the time
    seed: int = 1
    min_shingles: int = 12  # shorter texts are matched exactly (text hash) only
    jaccard: float = 0.6  # a copy when the shingle sets' Jaccard similarity reaches this ...
    containment: float = 0.75  # ... or the smaller text is this much contained in the larger one
    size_ratio: float = 0.55  # ... and is at least this fraction of the larger one's size
    max_candidates: int = 8  # candidates verified per article, best band agreement first
    template_window: int = 50  # a site's recent articles consulted for its page template ...
    template_stories: int = 2  # ... where a line printed on this many other stories is template
    tokenizer: int = 1  # bump when tokens or shingle hashing change

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    def fingerprint(self) -> str:
        """What the stored index was built with (kept in `dedup_state`)."""
        keys = ("shingle_words", "shingle_chars", "bands", "rows", "seed", "min_shingles", "tokenizer")
        return json.dumps({k: asdict(self)[k] for k in keys}, sort_keys=True)


DEFAULT_PARAMS = DedupParams()

# --- shingles ----------------------------------------------------------------------------------

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_MUL = np.uint64(0x9E3779B97F4A7C15)


def _fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser, vectorised: spreads combined token hashes over all bits."""
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB93FE53C6A03)
    return h ^ (h >> np.uint64(33))


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


class _Line:
    """One non-empty line, cut into tokens once however many texts of the batch print it."""

    __slots__ = ("_hashes", "_joined", "key", "tokens")

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self._joined = " ".join(tokens)
        self.key = _token_hash(self._joined)
        self._hashes: np.ndarray | None = None

    def no_space(self) -> int:
        """Tokens of scripts written without spaces (each such character is a token of its own)."""
        return len(_NO_SPACE_CHAR.findall(self._joined))

    def hashes(self, words: dict[str, int]) -> np.ndarray:
        if self._hashes is None:
            out = []
            for t in self.tokens:
                h = words.get(t)
                if h is None:
                    h = words[t] = _token_hash(t)
                out.append(h)
            self._hashes = np.array(out, dtype=np.uint64)
        return self._hashes


class Tokens:
    """Tokens and line hashes shared by the texts of one batch: a batch compares each new text
    with stored ones and with its sites' recent articles, so most words and many lines recur."""

    def __init__(self) -> None:
        self.words: dict[str, int] = {}
        self._lines: dict[str, _Line | None] = {}

    def lines(self, text: str) -> list[_Line]:
        out = []
        for raw in text.splitlines():
            if raw in self._lines:
                line = self._lines[raw]
            else:
                toks = tokenize(raw)
                line = self._lines[raw] = _Line(toks) if toks else None
            if line is not None:
                out.append(line)
        return out


@dataclass
class Doc:
    """A text cut into lines of hashed tokens: what shingles, signatures and verdicts are made of."""

    lines: list[np.ndarray]  # token hashes (uint64) per non-empty line
    line_keys: list[int]  # one hash per line, for recognising a site's repeated template lines
    k: int  # shingle size used for this text

    @classmethod
    def of(cls, text: str, params: DedupParams = DEFAULT_PARAMS, tokens: Tokens | None = None) -> Doc:
        """`tokens` may be shared by many texts: most of their words are common."""
        tokens = tokens if tokens is not None else Tokens()
        lines = tokens.lines(text)
        total = sum(len(ln.tokens) for ln in lines)
        no_space = sum(ln.no_space() for ln in lines)
        k = params.shingle_chars if total and no_space * 2 > total else params.shingle_words
        return cls([ln.hashes(tokens.words) for ln in lines], [ln.key for ln in lines], k)

    def shingles(self, without: frozenset[int] | set[int] = frozenset()) -> np.ndarray:
        """Sorted unique 32-bit shingle hashes of the text, leaving out the lines whose key is in `without`."""
        kept = [t for t, key in zip(self.lines, self.line_keys, strict=True) if key not in without]
        if not kept:
            return np.empty(0, dtype=np.uint32)
        toks = np.concatenate(kept)
        k = self.k
        if len(toks) < k:
            k = len(toks)
        n = len(toks) - k + 1
        h = toks[:n].copy()
        for j in range(1, k):
            h = h * _MUL + toks[j : j + n]
        return np.unique((_fmix64(h) & np.uint64(0xFFFFFFFF)).astype(np.uint32))

    @cached_property
    def all_shingles(self) -> np.ndarray:
        return self.shingles()


def line_keys(text: str, tokens: Tokens | None = None) -> list[int]:
    """`Doc.of(text).line_keys` without hashing every token: all a site's template needs."""
    return [ln.key for ln in (tokens if tokens is not None else Tokens()).lines(text)]


# --- signatures and bands ----------------------------------------------------------------------


def signature(shingles: np.ndarray, params: DedupParams = DEFAULT_PARAMS) -> np.ndarray:
    m = MinHash(num_perm=params.num_perm, seed=params.seed, hashfunc=int)
    m.update_batch(shingles)
    return np.asarray(m.hashvalues, dtype=np.uint32)


def band_keys_of(sig: np.ndarray, params: DedupParams = DEFAULT_PARAMS) -> list[int]:
    """One signed 32-bit key per band: the band's number and values hashed together."""
    rows = sig.astype(np.uint64).reshape(params.bands, params.rows)
    h = np.arange(1, params.bands + 1, dtype=np.uint64) * _MUL
    for j in range(params.rows):
        h = _fmix64(h ^ rows[:, j]) * _MUL
    keys = (_fmix64(h) >> np.uint64(32)).astype(np.uint32).view(np.int32)
    return [int(x) for x in keys]


def band_keys(text: str, params: DedupParams = DEFAULT_PARAMS) -> list[int]:
    """The LSH keys of a text; none for texts too short to be matched other than exactly."""
    sh = Doc.of(text, params).all_shingles
    if len(sh) < params.min_shingles:
        return []
    return band_keys_of(signature(sh, params), params)


# --- verdicts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Similarity:
    jaccard: float
    containment: float  # of the smaller shingle set in the larger
    size_ratio: float  # smaller / larger
    smaller: int  # shingles in the smaller text

    def is_copy(self, params: DedupParams = DEFAULT_PARAMS) -> bool:
        if self.smaller < params.min_shingles:
            return False
        if self.jaccard >= params.jaccard:
            return True
        return self.containment >= params.containment and self.size_ratio >= params.size_ratio


def similarity(a: np.ndarray, b: np.ndarray) -> Similarity:
    """Exact set similarities of two sorted unique shingle arrays."""
    if len(a) == 0 or len(b) == 0:
        return Similarity(0.0, 0.0, 0.0, 0)
    inter = len(np.intersect1d(a, b, assume_unique=True))
    small, large = sorted((len(a), len(b)))
    return Similarity(inter / (len(a) + len(b) - inter), inter / small, small / large, small)


def is_near_duplicate(text_a: str, text_b: str, params: DedupParams = DEFAULT_PARAMS) -> bool:
    """The pairwise verdict without any site context (no template lines known)."""
    return similarity(Doc.of(text_a, params).all_shingles, Doc.of(text_b, params).all_shingles).is_copy(
        params
    )


# --- the index in DuckDB -----------------------------------------------------------------------


class NearDuplicates:
    """Finds a new article's near-duplicate among everything stored, inside the insert transaction.

    Used by `Store.insert_articles` (and the rebuild) as its `near_duplicate`, `on_inserted` and
    `before_commit` callbacks for one batch. Everything stored that the batch needs is read with
    a few statements per batch, not per article: the band keys of all its articles in one scan,
    then the candidates they name (with their clusters) and the recent articles of the sites
    involved (for their page templates). The batch's own articles are matched from memory, and
    the new band rows are written in one statement just before the batch commits, so the index
    never disagrees with the articles. Clusters merged meanwhile are followed in memory too.
    """

    def __init__(
        self,
        records: Sequence[ArticleRecord],
        params: DedupParams = DEFAULT_PARAMS,
        context_before: tuple[datetime, int] | None = None,
        site_lines: SiteLines | None = None,
    ) -> None:
        self.params = params
        self.site_lines = site_lines if site_lines is not None else SiteLines()
        self.context_before = context_before  # the rebuild: only articles already placed are context
        self.records = list(records)
        self._tokens = Tokens()  # shared by every text of the batch
        for rec in self.records:
            if not rec.band_keys:
                rec.band_keys = band_keys(rec.text, params)
        self._urls = {r.canonical_url for r in self.records}
        self._stored: dict[int, list[int]] | None = None  # band key -> stored article ids
        self._batch: dict[int, list[int]] = {}  # band key -> ids inserted by this batch
        self._pending: list[tuple[int, int]] = []
        self._docs: dict[int, Doc] = {}
        self._cands: dict[int, index.Candidate] = {}  # stored candidates and placed batch articles
        self._cluster: dict[int, int] = {}  # article id -> its cluster, as far as known
        self._head_seen: dict[int, datetime | None] = {}  # cluster -> its head's first sighting
        self._recent: dict[str, list[tuple[int, int]]] | None = None  # site -> its recent (id, cluster)
        self._contexts: dict[str, dict[int, list[int | str]]] = {}  # site -> line -> stories
        self._clusters: dict[str, int] = {}  # canonical url -> cluster, for this batch's articles
        self._consulted: set[str] = set()
        self._matched: dict[str, tuple[int, datetime | None]] = {}
        self._mine: tuple[str, Doc] | None = None  # the last article looked up, and its text cut up
        self.merged_clusters = 0
        self.joins = index.ClusterJoins()  # the batch's cluster joins, written when clusters are read

    # callbacks --------------------------------------------------------------------------------

    def find(self, con: duckdb.DuckDBPyConnection, rec: ArticleRecord) -> int | None:
        """The id of a stored article `rec` copies (clusters it bridges are merged first), or None."""
        self._consulted.add(rec.canonical_url)
        if not rec.band_keys:
            return None
        stored = self._lookup(con)
        votes: Counter[int] = Counter()
        for key in rec.band_keys:
            votes.update(stored.get(key, ()))
            votes.update(self._batch.get(key, ()))
        if not votes:
            return None
        ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[: self.params.max_candidates]
        mine = self._doc_of(rec.text)
        self._mine = (rec.canonical_url, mine)
        matches: list[tuple[float, int, index.Candidate]] = []
        for aid, _ in ranked:
            cand = self._candidate(con, aid)
            if cand is None or any(self._cluster[c.id] == self._cluster[aid] for _, _, c in matches):
                continue  # a copy in this cluster is verified: another changes neither cluster nor merge
            score = self._verify(con, rec, mine, cand)
            if score is not None:
                matches.append((score, aid, cand))
        if not matches:
            return None
        matches.sort(key=lambda m: (-m[0], m[1]))
        best = matches[0][2]
        clusters = {self._cluster[c.id] for _, _, c in matches}
        cluster = self._cluster[best.id]
        if len(clusters) > 1:
            cluster = self._merge(con, sorted(clusters))
            self.merged_clusters += len(clusters) - 1
        if cluster not in self._head_seen:
            self._head_seen[cluster] = index.first_seen(con, cluster)
        self._clusters[rec.canonical_url] = cluster
        self._matched[rec.canonical_url] = (cluster, self._head_seen[cluster])
        return best.id

    def inserted(self, con: duckdb.DuckDBPyConnection, rec: ArticleRecord, article_id: int) -> None:
        """Queue the new article's band rows; an article earlier than its cluster's head becomes head."""
        for key in rec.band_keys:
            self._batch.setdefault(key, []).append(article_id)
            self._pending.append((key, article_id))
        self._cands[article_id] = index.Candidate(
            article_id, rec.canonical_url, rec.source, rec.text, article_id, None, rec.first_seen_at
        )
        if self._mine is not None and self._mine[0] == rec.canonical_url:
            self._docs[article_id] = self._mine[1]
        matched = self._matched.get(rec.canonical_url)
        if matched is not None:
            self._cluster[article_id] = matched[0]
            if matched[1] is not None and rec.first_seen_at < matched[1]:
                self._merge(con, [matched[0]])
        elif rec.canonical_url in self._consulted:  # no copy of anything: a story of its own
            self._cluster[article_id] = article_id
            self._clusters[rec.canonical_url] = article_id
            self._head_seen[article_id] = rec.first_seen_at
        # else an exact duplicate, placed by the store: its cluster is read if it is ever a candidate

    def flush(self, con: duckdb.DuckDBPyConnection) -> None:
        self.joins.flush(con)
        if self._pending:
            index.add_bands(con, self._pending)
            self._pending = []
        index.ensure_params(con, self.params.fingerprint(), datetime.now(UTC))

    # what is stored ---------------------------------------------------------------------------

    def _lookup(self, con: duckdb.DuckDBPyConnection) -> dict[int, list[int]]:
        """At the first article: the stored ids of every band key of the batch, and the stored
        articles that can be among anyone's candidates (a record's best by votes, stored only)."""
        if self._stored is not None:
            return self._stored
        keys = {k for r in self.records for k in r.band_keys}
        self._stored = stored = index.band_members(con, sorted(keys))
        wanted: set[int] = set()
        for r in self.records:
            votes: Counter[int] = Counter()
            for key in r.band_keys:
                votes.update(stored.get(key, ()))
            ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[: self.params.max_candidates]
            wanted.update(aid for aid, _ in ranked)
        self._fetch(con, wanted)
        return stored

    def _fetch(self, con: duckdb.DuckDBPyConnection, ids: set[int]) -> None:
        self.joins.flush(con)
        for cand in index.candidates(con, sorted(ids - self._cands.keys())):
            self._cands[cand.id] = cand
            self._cluster[cand.id] = cand.cluster_id
            self._head_seen.setdefault(cand.cluster_id, cand.head_first_seen_at)

    def _candidate(self, con: duckdb.DuckDBPyConnection, article_id: int) -> index.Candidate | None:
        if article_id not in self._cands or article_id not in self._cluster:
            self._cands.pop(article_id, None)  # a batch article placed by its text hash alone
            self._fetch(con, {article_id})
        return self._cands.get(article_id)

    def _merge(self, con: duckdb.DuckDBPyConnection, clusters: list[int]) -> int:
        """Merge in the database, and in what this batch remembers of the clusters."""
        self.joins.flush(con)
        head, seen = index.merge_clusters(con, clusters)
        merged = set(clusters)
        for aid, c in self._cluster.items():
            if c in merged:
                self._cluster[aid] = head
        for url, c in self._clusters.items():
            if c in merged:
                self._clusters[url] = head
        for url, (c, _) in self._matched.items():
            if c in merged:
                self._matched[url] = (head, seen)
        self._head_seen[head] = seen
        return head

    # verification -------------------------------------------------------------------------------

    def _doc_of(self, text: str) -> Doc:
        return Doc.of(text, self.params, self._tokens)

    def _doc(self, cand: index.Candidate) -> Doc:
        doc = self._docs.get(cand.id)
        if doc is None:
            doc = self._docs[cand.id] = self._doc_of(cand.text or "")
        return doc

    def _verify(
        self, con: duckdb.DuckDBPyConnection, rec: ArticleRecord, mine: Doc, cand: index.Candidate
    ) -> float | None:
        """A score when `cand` is a copy of `rec`, compared without either site's template lines."""
        theirs = self._doc(cand)
        cluster = self._cluster[cand.id]
        ours = self._template(con, rec.source, mine, rec.canonical_url, cluster)
        other = self._template(con, cand.source, theirs, rec.canonical_url, cluster)
        sim = similarity(
            mine.shingles(ours) if ours else mine.all_shingles,
            theirs.shingles(other) if other else theirs.all_shingles,
        )
        return sim.jaccard + sim.containment if sim.is_copy(self.params) else None

    def _template(
        self, con: duckdb.DuckDBPyConnection, source: str, doc: Doc, url: str, cluster: int
    ) -> set[int]:
        """Lines of `doc` its site also printed on several other stories: its template, not this story.

        One other story is not enough: a site's roundup may quote this story, or its copy of another
        story may share a background paragraph.
        """
        printed = self._context(con, source)
        template = set()
        for key in set(doc.line_keys):
            stories: set[int | str] = set()
            for who in printed.get(key, ()):
                if who == url:
                    continue
                other = self._clusters.get(who, who) if isinstance(who, str) else who
                if other != cluster:
                    stories.add(other)
            if len(stories) >= self.params.template_stories:
                template.add(key)
        return template

    def _context(self, con: duckdb.DuckDBPyConnection, source: str) -> dict[int, list[int | str]]:
        """Which of a site's recent stored articles (by cluster) and of this batch's (by URL until
        stored) print each line.

        The recent articles of every site of the batch and of its candidates are read at once, at
        the first need; a site's lines are counted when it is first asked about.
        """
        if self._recent is None or source not in self._recent:
            sources = {r.source for r in self.records} | {c.source for c in self._cands.values()}
            if self._recent is not None:
                sources = {source}
            found = index.recent_of_sources(
                con,
                sorted(sources),
                self.params.template_window,
                self.context_before,
                exclude_urls=self._urls,
            )
            self.site_lines.load(con, {aid for rows in found.values() for aid, _ in rows}, self._tokens)
            self._recent = {**(self._recent or {}), **found}
        printed = self._contexts.get(source)
        if printed is None:
            printed = self._contexts[source] = {}
            for aid, cluster in self._recent[source]:
                for key in self.site_lines.keys(aid):
                    printed.setdefault(key, []).append(cluster)
            for r in self.records:
                if r.source == source:
                    for key in set(line_keys(r.text, self._tokens)):
                        printed.setdefault(key, []).append(r.canonical_url)
        return printed


class SiteLines:
    """The line keys of stored articles, kept across the batches of one run.

    A site's template is read off its recent articles, and those change by a few per batch: each
    is cut into lines once per run instead of once per batch (which was most of an insert's
    time). Only the newest `limit` articles are kept.
    """

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._keys: dict[int, tuple[int, ...]] = {}

    def load(self, con: duckdb.DuckDBPyConnection, ids: set[int], tokens: Tokens) -> None:
        for aid, text in index.texts_of(con, sorted(ids - self._keys.keys())).items():
            self._keys[aid] = tuple(set(line_keys(text, tokens)))
        if len(self._keys) > self.limit:
            older = sorted(self._keys.keys() - ids)
            for aid in older[: len(self._keys) - self.limit]:
                del self._keys[aid]

    def keys(self, article_id: int) -> tuple[int, ...]:
        return self._keys.get(article_id, ())


# --- rebuild -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RebuildSummary:
    articles: int
    clusters: int
    duplicates: int
    band_rows: int
    seconds: float


def _keys_and_hashes(texts: list[str], params: DedupParams) -> list[tuple[list[int], str | None]]:
    """The CPU-bound part of the rebuild, for a worker process: band keys and text hash per text."""
    return [(band_keys(t, params), text_hash(t)) for t in texts]


class _Keys:
    """Band keys and hashes of one page, computed meanwhile by worker processes (or here)."""

    def __init__(self, pool: ProcessPoolExecutor | None, texts: list[str], params: DedupParams) -> None:
        self.params = params
        self.texts = texts if pool is None else []
        step = max(1, -(-len(texts) // 8))
        self.futures = (
            [pool.submit(_keys_and_hashes, texts[i : i + step], params) for i in range(0, len(texts), step)]
            if pool is not None
            else []
        )

    def result(self) -> list[tuple[list[int], str | None]]:
        if not self.futures:
            return _keys_and_hashes(self.texts, self.params)
        return [kh for f in self.futures for kh in f.result()]


def rebuild(
    store: Store,
    reporter: Reporter | None = None,
    params: DedupParams = DEFAULT_PARAMS,
    batch_size: int = 1000,
    workers: int | None = None,
) -> RebuildSummary:
    """Recompute text hashes, band keys and every cluster, in (first_seen_at, id) order.

    Deterministic, so running it twice gives the same clusters. Each batch commits on its own;
    an interrupted rebuild leaves a partial index that the next rebuild starts over from.
    Batches are placed as an ingest places them (a few statements per batch); meanwhile worker
    processes (`workers`, default one per core, 0 for none) compute the next batch's band keys.
    Under the writer lock: an ingest beside it would place articles into half-reset clusters.
    """
    with writing(store, "dedup rebuild"):
        return _rebuild_locked(store, reporter, params, batch_size, workers)


def _rebuild_locked(
    store: Store, reporter: Reporter | None, params: DedupParams, batch_size: int, workers: int | None
) -> RebuildSummary:
    started = time.monotonic()
    store.migrate()
    with store.transaction() as con:
        index.reset(con)
        total = index.index_stats(con)["articles"]
    if reporter is not None:
        reporter.phase("dedup rebuild", total)
    site_lines = SiteLines()
    n_workers = (os.cpu_count() or 1) if workers is None else workers
    pool = None
    if n_workers > 0 and total > 2 * batch_size:
        pool = ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("forkserver"))
    try:
        with store.connect(read_only=True) as con:
            rows = index.rebuild_page(con, None, batch_size)
        keys = _Keys(pool, [r.text or "" for r in rows], params)
        while rows:
            with store.connect(read_only=True) as con:
                following = index.rebuild_page(con, (rows[-1].first_seen_at, rows[-1].id), batch_size)
            upcoming = _Keys(pool, [r.text or "" for r in following], params)
            with store.transaction() as con:
                _place(con, rows, keys.result(), params, site_lines)
            if reporter is not None:
                reporter.advance(len(rows))
            rows, keys = following, upcoming
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    with store.transaction() as con:
        index.set_params(con, params.fingerprint(), datetime.now(UTC))
        stats = index.index_stats(con)
    return RebuildSummary(
        stats["articles"],
        stats["clusters"],
        stats["duplicates"],
        stats["band_rows"],
        time.monotonic() - started,
    )


def _place(
    con: duckdb.DuckDBPyConnection,
    rows: list[index.RebuildRow],
    keys: list[tuple[list[int], str | None]],
    params: DedupParams,
    site_lines: SiteLines,
) -> None:
    """One batch of the rebuild, as `Store.insert_articles` places new articles: exact copies by
    text hash first (the earliest placed article with it), then near-duplicates."""
    records = [
        ArticleRecord(
            url=r.canonical_url,
            canonical_url=r.canonical_url,
            source=r.source,
            title=None,
            text=r.text or "",
            first_seen_at=r.first_seen_at,
            text_hash=h,
            band_keys=k,
        )
        for r, (k, h) in zip(rows, keys, strict=True)
    ]
    start = (rows[0].first_seen_at, rows[0].id)
    nd = NearDuplicates(records, params, context_before=start, site_lines=site_lines)
    earliest = index.earliest_with_hashes(con, [r.text_hash for r in records if r.text_hash], start)
    for row, rec in zip(rows, records, strict=True):
        hit = earliest.get(rec.text_hash) if rec.text_hash else None
        match = hit[1] if hit is not None else nd.find(con, rec)
        if match is not None:
            nd.joins.add(row.id, match)
        if rec.text_hash and hit is None:
            earliest[rec.text_hash] = (row.first_seen_at, row.id)
        nd.inserted(con, rec, row.id)
    nd.flush(con)
    index.set_text_hashes(
        con,
        [
            (row.id, rec.text_hash)
            for row, rec in zip(rows, records, strict=True)
            if rec.text_hash != row.text_hash
        ],
    )


def status(store: Store, params: DedupParams = DEFAULT_PARAMS) -> dict[str, object]:
    """The index's size and whether it was built with the current parameters."""
    with store.connect(read_only=True) as con:
        stats: dict[str, object] = dict(index.index_stats(con))
        built = index.stored_params(con)
    stats["params_current"] = built is None or built == params.fingerprint()
    stats["params"] = params.fingerprint()
    return stats
