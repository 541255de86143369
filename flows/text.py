"""Scripts and tokens: the one definition of "CJK characters", and the other character sets the
stages cut text by. Imports nothing of the project (storage's tokenizer imports this module:
the one import from storage/ into flows/).

`CJK_RANGES` is the set the search index has always used, DuckDB's RE2
`[\\p{Han}\\p{Hiragana}\\p{Katakana}]`, written out as code ranges; both the Python class
(`CJK`) and the SQL class (`CJK_RE2`, for storage's tokenizer) are made from them, so the SQL
tokenizer and its Python mirror cut the same runs (tests/test_text.py checks every code point).

Two older sets are not the CJK set and stay as they were, because something stored depends on
them (see the note at each): the dedup stage's scripts written without spaces (its band keys are
stored in `dedup_band`) and relevance's Han characters (its scores are stored per article).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# [\p{Han}\p{Hiragana}\p{Katakana}] as DuckDB 1.5's RE2 matches it (surrogates left out).
CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x2E80, 0x2E99),
    (0x2E9B, 0x2EF3),
    (0x2F00, 0x2FD5),
    (0x3005, 0x3005),
    (0x3007, 0x3007),
    (0x3021, 0x3029),
    (0x3038, 0x303B),
    (0x3041, 0x3096),
    (0x309D, 0x309F),
    (0x30A1, 0x30FA),
    (0x30FD, 0x30FF),
    (0x31F0, 0x31FF),
    (0x32D0, 0x32FE),
    (0x3300, 0x3357),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFA6D),
    (0xFA70, 0xFAD9),
    (0xFF66, 0xFF6F),
    (0xFF71, 0xFF9D),
    (0x16FE2, 0x16FE3),
    (0x16FF0, 0x16FF1),
    (0x1AFF0, 0x1AFF3),
    (0x1AFF5, 0x1AFFB),
    (0x1AFFD, 0x1AFFE),
    (0x1B000, 0x1B122),
    (0x1B132, 0x1B132),
    (0x1B150, 0x1B152),
    (0x1B155, 0x1B155),
    (0x1B164, 0x1B167),
    (0x1F200, 0x1F200),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B739),
    (0x2B740, 0x2B81D),
    (0x2B820, 0x2CEA1),
    (0x2CEB0, 0x2EBE0),
    (0x2F800, 0x2FA1D),
    (0x30000, 0x3134A),
    (0x31350, 0x323AF),
)

# The CJK unified ideographs of every Unicode version involved (to U+9FEF): the part of CJK the
# search's plain-text fast path (storage/search/tokenizer.py, `plain_tokens`) takes as it is.
PLAIN_HAN_RANGES: tuple[tuple[int, int], ...] = ((0x3400, 0x4DBF), (0x4E00, 0x9FEF))

# Scripts written without spaces between words, as the dedup stage cuts them (each character is
# a token): Thai, Lao, Myanmar, Khmer, kana, Han. Not CJK_RANGES: it takes the whole kana blocks
# (U+30FC ー, U+30FB ・ too) and fewer Han. The stored band keys were cut by it, so moving it
# onto CJK_RANGES would need `newswatch dedup --rebuild`.
NO_SPACE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0E00, 0x0E7F),
    (0x0E80, 0x0EFF),
    (0x1000, 0x109F),
    (0x1780, 0x17FF),
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
)

# Han characters as relevance counts them (text length, term matching). Not CJK_RANGES: kana
# are left out and U+4DC0-4DFF (hexagram symbols) counted; the stored relevance scores were
# computed with it, so moving it onto CJK_RANGES would need a rescore.
RELEVANCE_HAN_RANGES: tuple[tuple[int, int], ...] = ((0x3400, 0x9FFF), (0xF900, 0xFAFF))


def python_class(ranges: tuple[tuple[int, int], ...]) -> str:
    """The inside of a Python `re` character class (no brackets) for `ranges`."""
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)


def re2_class(ranges: tuple[tuple[int, int], ...]) -> str:
    """The same class for RE2 (DuckDB's regexp functions), brackets included."""
    return "[" + "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges) + "]"


CJK = python_class(CJK_RANGES)  # the inside of a class: f"[{CJK}]"
CJK_RE2 = re2_class(CJK_RANGES)
CJK_RUN = re.compile(f"[{CJK}]+")
PLAIN_HAN = python_class(PLAIN_HAN_RANGES)
NO_SPACE = python_class(NO_SPACE_RANGES)
RELEVANCE_HAN = python_class(RELEVANCE_HAN_RANGES)


# --- the closest valid name, for messages about a typo ------------------------------


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the choice closest to `word`, or '' when none is close."""
    import difflib

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {found[0]}?)" if found else ""
