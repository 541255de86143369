"""The search index's tokenizer: SQL macros (so articles and queries are cut by the same code),
their Python mirror for highlighting and for plain text, and the Snowball stemmers."""

from __future__ import annotations

import contextlib
import functools
import re
import unicodedata
from importlib import resources
from pathlib import Path

import duckdb
import pyarrow as pa
from duckdb.func import ARROW, SPECIAL
from duckdb.sqltypes import VARCHAR
from snowballstemmer.english_stemmer import EnglishStemmer
from snowballstemmer.russian_stemmer import RussianStemmer

from flows.text import CJK, CJK_RE2, PLAIN_HAN
from storage.database import Database
from storage.errors import StorageError
from storage.search.names import name_key

# nw2: name keys of capitalised words (storage/search/names.py); nw3: title terms of their own
# (TITLE_MARK), the vocabulary (search_word)
TOKENIZER_VERSION = "nw3"

_CJK = CJK_RE2  # [\p{Han}\p{Hiragana}\p{Katakana}] as code ranges (flows/text.py)
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
    # capitalised words (names, mostly), lower-cased: they also get a cross-script name key
    "CREATE OR REPLACE TEMP MACRO nw_caps(s) AS [lower(w) FOR w IN regexp_extract_all("
    f"regexp_replace(coalesce(s, ''), '{_CJK}+', ' ', 'g'), '\\p{{Lu}}[\\p{{L}}\\p{{N}}\\p{{M}}]*')]",
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
KEY_PREFIX = "~"  # a name key's index term is KEY_PREFIX + key: never an exact term
TITLE_MARK = "^"  # a title's term (or key term) posts again as TITLE_MARK + term, for title:


@functools.lru_cache(maxsize=1 << 18)
def _key(word: str) -> str | None:
    return name_key(word)


def key_term(word: str | None) -> str | None:
    """The index term of a word's cross-script name key, or None."""
    key = None if word is None else _key(word)
    return None if key is None else KEY_PREFIX + key


def _keys_of(words: pa.Array) -> pa.Array:
    """nw_key over a whole vector of words at once (a UDF called per row costs 100 µs a call)."""
    return pa.array([key_term(w) for w in words.to_pylist()], type=pa.string())


def _define_key_function(con: duckdb.DuckDBPyConnection) -> None:
    """nw_key(w): the name key's index term, in Python (anyascii), a vector of words a call."""
    with contextlib.suppress(duckdb.NotImplementedException, duckdb.CatalogException):  # defined already
        con.create_function(
            "nw_key", _keys_of, [VARCHAR], VARCHAR, type=ARROW, null_handling=SPECIAL, side_effects=False
        )


PROBE = "Қазақстан президенты, presidents running 西安宣言"


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
    _define_key_function(con)


def define_tokenizer(con: duckdb.DuckDBPyConnection) -> None:
    """The tokenizer macros that need no extension: enough to cut a query into words."""
    con.execute("SET enable_progress_bar = false")
    for macro in _TOKEN_MACROS:
        con.execute(macro)


def tokenizer_tag(con: duckdb.DuckDBPyConnection) -> str:
    """Changes when the tokenizer or DuckDB's hash() changes: then the index must be rebuilt."""
    row = con.execute("SELECT hash([nw_term(w) FOR w IN nw_tokens($p)])", {"p": PROBE}).fetchone()
    assert row is not None
    return f"{TOKENIZER_VERSION}:{row[0]}"


class Stemmer:
    """The index's stemming in Python: the Snowball release that duckdb-extension-fts carries
    (snowballstemmer 2.2.0; tests compare the two word by word), so that a search needs no
    extension (loading and checking its signature costs more than the whole ranking)."""

    def __init__(self) -> None:
        self._by_kind = {1: RussianStemmer(), 2: EnglishStemmer()}
        self._memo: dict[tuple[str, int], str] = {}
        self._words: dict[str, str] = {}

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
        """The index term of a token, its script told in Python (for highlighting and phrases)."""
        found = self._words.get(token)
        if found is None:
            kind, stem_input = _kind_and_input(token)
            found = self._words[token] = self.term(stem_input, kind)
        return found


def _quote(text: str) -> str:
    return text.replace("'", "''")


# The same words in Python, for highlighting only: the matched words of a hit's text are found
# without another pass of the SQL tokenizer over it. CJK runs are cut by the very ranges of the
# SQL class; a word cut differently otherwise would at worst not be highlighted.
_PY_CJK = CJK  # the same ranges as the SQL class
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


def head(word: str) -> str:
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
        if head(word) in heads and stem.word(word) in terms:
            found.append(word)
    for run in _PY_CJK_RUN.findall(text):
        grams = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        found.extend(g for g in dict.fromkeys(grams) if g in terms and g not in found)
    return found


_PY_IN_ORDER = re.compile(
    f"([{_PY_CJK}]+)|((?:[^\\W_{_PY_CJK}]|[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f])+)"
)


def term_sequence(text: str, stem: Stemmer | None = None) -> list[str]:
    """The tokens of a text in their order, CJK runs as their bigrams in place; with `stem`, each
    word as its index term (a phrase's own terms), else as written (lower-cased; holds_sequence
    stems only the words it has to)."""
    out: list[str] = []
    for m in _PY_IN_ORDER.finditer(text.lower()):
        run, word = m.group(1), m.group(2)
        if run:
            out.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
        else:
            out.append(stem.word(word) if stem is not None else word)
    return out


def phrase_pattern(text: str, stem: Stemmer) -> str:
    """An RE2 pattern over strip_accents(lower(text)) that every text holding the phrase matches
    (more may): each word's index term less its last letter (English turns y into i) as a word's
    start, CJK runs as written, in order, with anything but letters between them."""
    word, gap = "[\\p{L}\\p{N}\\p{M}]", "[^\\p{L}\\p{N}\\p{M}]"
    pieces = []
    for m in _PY_IN_ORDER.finditer(text.lower()):
        run, token = m.group(1), m.group(2)
        if run:
            pieces.append(re.escape(run))
        else:
            term = stem.word(token)
            start = _strip_accents(term[: max(1, len(term) - 1)])
            pieces.append(re.escape(start) + word + "*")
    return f"{gap}*".join(pieces)


def holds_sequence(tokens: list[str], sequence: tuple[str, ...], stem: Stemmer) -> bool:
    """Whether the terms `sequence` stand in a text's `tokens` (term_sequence without a stemmer)
    one after the other."""
    first = head(sequence[0])[:1]
    last = len(tokens) - len(sequence)
    for i, tok in enumerate(tokens):
        if i > last:
            break
        if head(tok)[:1] == first and all(
            tokens[i + k] == t or stem.word(tokens[i + k]) == t for k, t in enumerate(sequence)
        ):
            return True
    return False


_PY_CAPITALISED = re.compile("[^\\W\\d_a-zа-я](?:[^\\W_]|[̀-ͯ҃-҉])*")


def matched_names(text: str, keys: set[str]) -> list[str]:
    """The capitalised words (lower-cased) of `text` whose name key term is one of `keys`."""
    if not keys:
        return []
    found = []
    for word in dict.fromkeys(_PY_CAPITALISED.findall(_PY_CJK_RUN.sub(" ", text))):
        if word[0].isupper() and key_term(word.lower()) in keys:
            found.append(word.lower())
    return found


_TOKENS_SQL = "SELECT [(w, nw_kind(w), nw_stem_input(w, nw_kind(w))) FOR w IN nw_tokens($s)]"

# Text the SQL tokenizer treats plainly: ASCII, Cyrillic letters, CJK unified ideographs. In
# these, a letter or digit is [0-9A-Za-z] or a Cyrillic letter, lower() maps one letter to one,
# and no accent is stripped, so Python cuts such a query exactly as SQL does (tested), without
# compiling the tokenizer's Unicode regular expressions (5 ms a search).
_PLAIN = re.compile(f"[\\x00-\\x7f\u0400-\u0481\u048a-\u052f{PLAIN_HAN}]*")
_PLAIN_HAN = re.compile(f"[{PLAIN_HAN}]+")
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


def tokens_of(con: duckdb.DuckDBPyConnection, text: str) -> list[tuple[str, int, str]]:
    plain = plain_tokens(text)
    if plain is not None:
        return plain
    define_tokenizer(con)
    row = con.execute(_TOKENS_SQL, {"s": text}).fetchone()
    return [(str(w), int(k), str(i)) for w, k, i in (row[0] if row else [])]


def tokens(store: Database, text: str) -> list[tuple[str, str]]:
    """(token, index term) pairs of a text, as the index sees it: for tests and debugging."""
    with store.connect(read_only=True) as con:
        prepare(con)
        row = con.execute("SELECT [(w, nw_term(w)) FOR w IN nw_tokens($s)]", {"s": text}).fetchone()
    return [(str(t[0]), str(t[1])) for t in (row[0] if row else [])]
