"""Language: langdetect, seeded, after the region's own languages that langdetect has no model for."""

from __future__ import annotations

import re
from functools import lru_cache

from langdetect import DetectorFactory, LangDetectException, detect_langs

_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_KK = set("әғқңөұүһі")
_TG = set("ӣӯҳҷ")
_KY_ONLY = set("ңөү")
_TK = set("äňýž")


@lru_cache(maxsize=1)
def _factory_ready() -> bool:
    DetectorFactory.seed = 0
    return True


def _central_asian(text: str) -> str | None:
    lower = text.lower()
    letters = _LETTERS.findall(lower)
    if not letters:
        return None
    counts = {ch: lower.count(ch) for ch in _KK | _TG | _TK | _KY_ONLY}
    total = len(letters)
    tg = sum(counts[c] for c in _TG)
    kk = sum(counts[c] for c in "әғқұһі")
    ky = sum(counts[c] for c in _KY_ONLY)
    tk = sum(counts[c] for c in _TK)
    if tg / total > 0.004:
        return "tg"
    if kk / total > 0.004:
        return "kk"
    if ky / total > 0.004:
        return "ky"
    if tk / total > 0.004:
        return "tk"
    if re.search(r"\b(o[ʻ'‘`]|g[ʻ'‘`])", lower) and re.search(r"\b(va|bilan|uchun|bo[ʻ'‘`]yicha)\b", lower):
        return "uz"
    return None


def detect_language(text: str, hint: str | None = None) -> str | None:
    """ISO 639-1 code of `text`; the same text always gets the same answer."""
    sample = text[:5000]
    if len(_LETTERS.findall(sample)) < 3:
        return hint
    own = _central_asian(sample)
    if own:
        return own
    _factory_ready()
    try:
        langs = detect_langs(sample)
    except LangDetectException:
        return hint
    return langs[0].lang if langs else hint
