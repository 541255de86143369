"""The topic profile's names across scripts: a profile name in one script also matches
its other spellings (`Tokayev` finds `Тоқаев`), through the name keys of storage/search/names.py.

Only capitalised one-word terms of five letters or more take part (names, not stems such as
казахстанск or weak terms such as ~Osh), and only capitalised words of the text; a term's own
pattern is always tried first, so a key adds hits only where no spelling of the profile matched.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Protocol

from storage.search.names import name_key

_WORD = re.compile(r"[^\W_]+")
MIN_NAME = 5


class _TermLike(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def weak(self) -> bool: ...


@functools.lru_cache(maxsize=1 << 16)
def _key(word: str) -> str | None:
    return name_key(word)


def name_keys(terms: Sequence[_TermLike]) -> dict[str, int]:
    """Key -> index of the first strong (else first) term holding it."""
    keys: dict[str, int] = {}
    for i, term in enumerate(terms):
        text = term.text
        if " " in text or "-" in text or len(text) < MIN_NAME or not text[0].isupper():
            continue
        key = _key(text)
        if key is None:
            continue
        if key not in keys or (terms[keys[key]].weak and not term.weak):
            keys[key] = i
    return keys


def key_match(keys: dict[str, int], text: str, pos: int) -> tuple[int, int] | None:
    """(term index, end) of the word at `pos` if its name key is a profile name's."""
    m = _WORD.match(text, pos)
    if m is None:
        return None
    key = _key(m.group())
    found = keys.get(key) if key is not None else None
    return None if found is None else (found, m.end())
