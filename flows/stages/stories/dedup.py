"""Deduplication: exact (normalised-text hash) and near-duplicate (MinHash LSH, verified on the text).

Near-duplicates: every text is cut into shingles (word 3-grams; character 4-grams for scripts
written without spaces, such as Chinese), MinHash'ed, and the signature split into LSH bands whose
keys live in DuckDB (`dedup_band`). A new article's band keys name its candidates; each candidate
is then verified on the stored text itself, never on the estimate alone: it is a copy when the
shingle sets' Jaccard similarity is high (light edits, other boilerplate), or when the smaller
text is mostly contained in the larger one and not much smaller (trimmed copies, a new first
paragraph). Lines that a site repeats on other stories (its page template) are left out of the
comparison, so two short briefs under one heavy template stay apart; and two texts of one site
that each hold a passage of their own (`own_passage` shingles in a row the other lacks) are two
stories sharing a block of the site's, not copies. The parameters below were
chosen by measurement on the labelled set in tests/dedup_eval.py (see benchmarks/dedup_params.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import cache, cached_property

import numpy as np

from flows.text import NO_SPACE

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Scripts written without spaces between words: each character is a token.
_NO_SPACE = NO_SPACE  # not CJK: the band keys stored were cut by this set (flows/text.py)
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
    bridge_overlap: float = 0.5  # two clusters a page copies merge when their heads share this
    # much of the smaller one (near_duplicates.NearDuplicates._bridged): never on the page alone
    own_passage: int = 50  # two texts of one site that each hold this many shingles in a row the
    # other lacks (three times as many for CJK) are two stories sharing the site's block, not copies
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


def _fmix(h: np.ndarray, shifts: tuple[int, int, int], muls: tuple[int, int]) -> np.ndarray:
    """A MurmurHash3-style finaliser in h's own width (numpy multiplication wraps)."""
    kind = h.dtype.type
    h = h ^ (h >> kind(shifts[0]))
    h = h * kind(muls[0])
    h = h ^ (h >> kind(shifts[1]))
    h = h * kind(muls[1])
    return h ^ (h >> kind(shifts[2]))


def _fmix64(h: np.ndarray) -> np.ndarray:
    """Spreads combined token hashes over all 64 bits (its second multiplier is not Murmur's, and
    stays: the stored keys were made with it)."""
    return _fmix(h, (33, 33, 33), (0xFF51AFD7ED558CCD, 0xC4CEB93FE53C6A03))


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


class Line:
    """One non-empty line, cut into tokens once however many texts of the batch print it.

    A `light` line keeps only what the outlet templates read (its key, how many tokens, how
    many of them in scripts without spaces), not the tokens: a long run caches many lines."""

    __slots__ = ("_hashes", "_joined", "_spaceless", "count", "key", "tokens")

    def __init__(self, tokens: list[str], light: bool = False) -> None:
        self._joined = " ".join(tokens)
        self.key = _token_hash(self._joined)
        self.count = len(tokens)
        self._hashes: np.ndarray | None = None
        self._spaceless: int | None = None
        self.tokens = tokens
        if light:
            self._spaceless = self.no_space()
            self.tokens, self._joined = [], ""

    def no_space(self) -> int:
        """Tokens of scripts written without spaces (each such character is a token of its own)."""
        if self._spaceless is None:
            self._spaceless = len(_NO_SPACE_CHAR.findall(self._joined))
        return self._spaceless

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
    with stored ones and with its sites' recent articles, so most words and many lines recur.
    `light`: lines without their tokens (see Line), for the outlet templates' long-lived cache."""

    def __init__(self, light: bool = False) -> None:
        self.words: dict[str, int] = {}
        self.light = light
        self._lines: dict[str, Line | None] = {}

    def size(self) -> int:
        """Distinct raw lines cut so far."""
        return len(self._lines)

    def lines(self, text: str) -> list[Line]:
        out = []
        for raw in text.splitlines():
            if raw in self._lines:
                line = self._lines[raw]
            else:
                toks = tokenize(raw)
                line = self._lines[raw] = Line(toks, self.light) if toks else None
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
        return np.unique(self.shingle_sequence(without))

    def shingle_sequence(self, without: frozenset[int] | set[int] = frozenset()) -> np.ndarray:
        """The text's 32-bit shingle hashes in reading order (repeats kept), as `shingles` cuts them."""
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
        return (_fmix64(h) & np.uint64(0xFFFFFFFF)).astype(np.uint32)

    @cached_property
    def all_shingles(self) -> np.ndarray:
        return self.shingles()


def line_keys(text: str, tokens: Tokens | None = None) -> list[int]:
    """`Doc.of(text).line_keys` without hashing every token: all a site's template needs."""
    return [ln.key for ln in (tokens if tokens is not None else Tokens()).lines(text)]


# --- signatures and bands ----------------------------------------------------------------------


@cache
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch 2's "affine32" permutations h -> a*h + b mod 2^32 (odd a), drawn as it draws them."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, with which datasketch pre-mixes each value."""
    return _fmix(h, (16, 13, 16), (0x85EBCA6B, 0xC2B2AE35))


def signature(shingles: np.ndarray, params: DedupParams = DEFAULT_PARAMS) -> np.ndarray:
    """The MinHash signature, the very values datasketch 2.0's `MinHash(hashfunc=int)` gives (the
    stored bands were cut from them): our own few lines, because importing datasketch pulls in
    scipy and redis, about 60 MB in each analysis worker."""
    a, b = _permutations(params.num_perm, params.seed)
    if len(shingles) == 0:
        return np.full(params.num_perm, 0xFFFFFFFF, dtype=np.uint32)
    hv = _fmix32(np.asarray(shingles, dtype=np.uint32).reshape(-1, 1))
    return np.asarray((hv * a + b).min(axis=0), dtype=np.uint32)


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


def longest_unshared(sequence: np.ndarray, other: np.ndarray) -> int:
    """The longest run of consecutive shingles of a text (`Doc.shingle_sequence`) that the other
    text's shingle set lacks: a passage of its own, not light edits scattered through a copy."""
    missing = ~np.isin(sequence, other)
    if not missing.any():
        return 0
    edges = np.diff(np.concatenate(([0], missing.astype(np.int8), [0])))
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())


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
