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
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Protocol

import duckdb
import numpy as np
from datasketch import MinHash

from storage import dedup as index
from storage.db import ArticleRecord, Store

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


@dataclass
class Doc:
    """A text cut into lines of hashed tokens: what shingles, signatures and verdicts are made of."""

    lines: list[np.ndarray]  # token hashes (uint64) per non-empty line
    line_keys: list[int]  # one hash per line, for recognising a site's repeated template lines
    k: int  # shingle size used for this text

    @classmethod
    def of(cls, text: str, params: DedupParams = DEFAULT_PARAMS) -> Doc:
        cache: dict[str, int] = {}
        lines: list[np.ndarray] = []
        keys: list[int] = []
        no_space = total = 0
        for raw in text.splitlines():
            toks = tokenize(raw)
            if not toks:
                continue
            total += len(toks)
            no_space += sum(1 for t in toks if len(t) == 1 and _NO_SPACE_CHAR.match(t))
            hashes = []
            for t in toks:
                h = cache.get(t)
                if h is None:
                    h = cache[t] = _token_hash(t)
                hashes.append(h)
            lines.append(np.array(hashes, dtype=np.uint64))
            keys.append(_token_hash(" ".join(toks)))
        k = params.shingle_chars if total and no_space * 2 > total else params.shingle_words
        return cls(lines, keys, k)

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
    `before_commit` callbacks for one batch: band keys are looked up once for the whole batch,
    the batch's own articles are matched from memory, and the new band rows are written in one
    statement just before the batch commits, so the index never disagrees with the articles.
    """

    def __init__(
        self,
        records: Sequence[ArticleRecord],
        params: DedupParams = DEFAULT_PARAMS,
        context_before: tuple[datetime, int] | None = None,
    ) -> None:
        self.params = params
        self.context_before = context_before  # the rebuild: only articles already placed are context
        self.records = list(records)
        for rec in self.records:
            if not rec.band_keys:
                rec.band_keys = band_keys(rec.text, params)
        self._stored: dict[int, list[int]] | None = None  # band key -> stored article ids
        self._batch: dict[int, list[int]] = {}  # band key -> ids inserted by this batch
        self._pending: list[tuple[int, int]] = []
        self._docs: dict[int, Doc] = {}
        self._contexts: dict[str, list[tuple[int | str, frozenset[int]]]] = {}
        self._clusters: dict[str, int] = {}  # canonical url -> cluster, for this batch's articles
        self._matched: dict[str, tuple[int, datetime | None]] = {}
        self.merged_clusters = 0

    # callbacks --------------------------------------------------------------------------------

    def find(self, con: duckdb.DuckDBPyConnection, rec: ArticleRecord) -> int | None:
        """The id of a stored article `rec` copies (clusters it bridges are merged first), or None."""
        if not rec.band_keys:
            return None
        if self._stored is None:
            keys = sorted({k for r in self.records for k in r.band_keys})
            self._stored = index.band_members(con, keys)
        votes: Counter[int] = Counter()
        for key in rec.band_keys:
            votes.update(self._stored.get(key, ()))
            votes.update(self._batch.get(key, ()))
        if not votes:
            return None
        ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[: self.params.max_candidates]
        rows = index.candidates(con, [aid for aid, _ in ranked])
        mine = Doc.of(rec.text, self.params)
        matches: list[tuple[float, index.Candidate]] = []
        for cand in sorted(rows, key=lambda c: -votes[c.id]):
            score = self._verify(con, rec, mine, cand)
            if score is not None:
                matches.append((score, cand))
        if not matches:
            return None
        matches.sort(key=lambda m: (-m[0], m[1].id))
        best = matches[0][1]
        clusters = {c.cluster_id for _, c in matches}
        cluster = best.cluster_id
        if len(clusters) > 1:
            cluster = index.merge_clusters(con, sorted(clusters))
            self.merged_clusters += len(clusters) - 1
            for url, c in list(self._clusters.items()):
                if c in clusters:
                    self._clusters[url] = cluster
        head_seen = index.first_seen(con, cluster)
        self._clusters[rec.canonical_url] = cluster
        self._matched[rec.canonical_url] = (cluster, head_seen)
        return best.id

    def inserted(self, con: duckdb.DuckDBPyConnection, rec: ArticleRecord, article_id: int) -> None:
        """Queue the new article's band rows; an article earlier than its cluster's head becomes head."""
        for key in rec.band_keys:
            self._batch.setdefault(key, []).append(article_id)
            self._pending.append((key, article_id))
        self._clusters.setdefault(rec.canonical_url, article_id)
        matched = self._matched.get(rec.canonical_url)
        if matched is not None and matched[1] is not None and rec.first_seen_at < matched[1]:
            new = index.merge_clusters(con, [matched[0]])
            for url, c in list(self._clusters.items()):
                if c == matched[0]:
                    self._clusters[url] = new

    def flush(self, con: duckdb.DuckDBPyConnection) -> None:
        if self._pending:
            index.add_bands(con, self._pending)
            self._pending = []
        index.ensure_params(con, self.params.fingerprint(), datetime.now(UTC))

    # verification -------------------------------------------------------------------------------

    def _doc(self, cand: index.Candidate) -> Doc:
        doc = self._docs.get(cand.id)
        if doc is None:
            doc = self._docs[cand.id] = Doc.of(cand.text or "", self.params)
        return doc

    def _verify(
        self, con: duckdb.DuckDBPyConnection, rec: ArticleRecord, mine: Doc, cand: index.Candidate
    ) -> float | None:
        """A score when `cand` is a copy of `rec`, compared without either site's template lines."""
        theirs = self._doc(cand)
        ours = self._template(con, rec.source, mine, rec.canonical_url, cand.cluster_id)
        other = self._template(con, cand.source, theirs, rec.canonical_url, cand.cluster_id)
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
        lines = set(doc.line_keys)
        seen: dict[int, set[int | str]] = {}
        for who, keys in self._context(con, source):
            if who == url:
                continue
            other = self._clusters.get(who, who) if isinstance(who, str) else who
            if other != cluster:
                for key in lines & keys:
                    seen.setdefault(key, set()).add(other)
        return {key for key, stories in seen.items() if len(stories) >= self.params.template_stories}

    def _context(self, con: duckdb.DuckDBPyConnection, source: str) -> list[tuple[int | str, frozenset[int]]]:
        """A site's recent stored articles (by cluster) and this batch's (by URL until stored)."""
        ctx = self._contexts.get(source)
        if ctx is None:
            ctx = []
            seen: set[str] = set()
            for row in index.recent_of_source(con, source, self.params.template_window, self.context_before):
                seen.add(row.canonical_url)
                ctx.append((row.cluster_id, frozenset(Doc.of(row.text or "", self.params).line_keys)))
            for r in self.records:
                if r.source == source and r.canonical_url not in seen:
                    ctx.append((r.canonical_url, frozenset(Doc.of(r.text, self.params).line_keys)))
            self._contexts[source] = ctx
        return ctx


# --- rebuild -----------------------------------------------------------------------------------


class Progress(Protocol):
    def phase(self, name: str, total: int | None) -> None: ...
    def advance(self, n: int = 1) -> None: ...


@dataclass(frozen=True)
class RebuildSummary:
    articles: int
    clusters: int
    duplicates: int
    band_rows: int
    seconds: float


def rebuild(
    store: Store,
    reporter: Progress | None = None,
    params: DedupParams = DEFAULT_PARAMS,
    batch_size: int = 500,
) -> RebuildSummary:
    """Recompute text hashes, band keys and every cluster, in (first_seen_at, id) order.

    Deterministic, so running it twice gives the same clusters. Each batch commits on its own;
    an interrupted rebuild leaves a partial index that the next rebuild starts over from.
    """
    started = time.monotonic()
    store.migrate()
    with store.transaction() as con:
        index.reset(con)
        total = index.index_stats(con)["articles"]
    if reporter is not None:
        reporter.phase("dedup rebuild", total)
    after: tuple[datetime, int] | None = None
    while True:
        with store.transaction() as con:
            rows = index.rebuild_page(con, after, batch_size)
            if not rows:
                index.set_params(con, params.fingerprint(), datetime.now(UTC))
                stats = index.index_stats(con)
                break
            records = [
                ArticleRecord(
                    url=r.canonical_url,
                    canonical_url=r.canonical_url,
                    source=r.source,
                    title=None,
                    text=r.text or "",
                    first_seen_at=r.first_seen_at,
                    text_hash=text_hash(r.text or ""),
                )
                for r in rows
            ]
            nd = NearDuplicates(records, params, context_before=(rows[0].first_seen_at, rows[0].id))
            for row, rec in zip(rows, records, strict=True):
                match = None
                if rec.text_hash:
                    match = index.earliest_with_hash(con, rec.text_hash, (row.first_seen_at, row.id))
                if match is None:
                    match = nd.find(con, rec)
                head = index.head_of(con, match) if match is not None else row.id
                index.assign(con, row.id, head, rec.text_hash, row.text_hash)
                nd.inserted(con, rec, row.id)
            nd.flush(con)
        after = (rows[-1].first_seen_at, rows[-1].id)
        if reporter is not None:
            reporter.advance(len(rows))
    return RebuildSummary(
        stats["articles"],
        stats["clusters"],
        stats["duplicates"],
        stats["band_rows"],
        time.monotonic() - started,
    )


def status(store: Store, params: DedupParams = DEFAULT_PARAMS) -> dict[str, object]:
    """The index's size and whether it was built with the current parameters."""
    with store.connect(read_only=True) as con:
        stats: dict[str, object] = dict(index.index_stats(con))
        built = index.stored_params(con)
    stats["params_current"] = built is None or built == params.fingerprint()
    stats["params"] = params.fingerprint()
    return stats
