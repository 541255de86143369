"""Deduplication: exact (normalised-text hash) now; near-duplicates build on the same record."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


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
