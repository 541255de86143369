"""Relevance and countries: topic terms in every configured language, title weighted above body."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.config import Topic

CENTRAL_ASIA = ("KZ", "KG", "TJ", "TM", "UZ")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Score:
    relevance: float
    is_relevant: bool
    countries: list[str]


def _term_pattern(term: str) -> str:
    term = term.strip()
    if _HAN.search(term):
        return re.escape(term)
    # a prefix match at a word start lets inflected forms through (Казахстана, Oʻzbekistonda)
    return r"(?<!\w)" + re.escape(term) + r"\w{0,5}(?!\w)"


class Scorer:
    """A topic profile compiled once; `score` is pure."""

    def __init__(self, topic: Topic, threshold: float = 0.5) -> None:
        self.threshold = threshold
        keywords = [t for terms in topic.keywords.values() for t in terms if t.strip()]
        self._keywords = (
            re.compile("|".join(_term_pattern(t) for t in keywords), re.IGNORECASE) if keywords else None
        )
        self._countries: dict[str, re.Pattern[str]] = {}
        for code, per_lang in topic.countries.items():
            terms = [t for ts in per_lang.values() for t in ts if t.strip()]
            if terms:
                self._countries[code] = re.compile("|".join(_term_pattern(t) for t in terms), re.IGNORECASE)

    def score(self, title: str | None, text: str) -> Score:
        title = title or ""
        words = max(len(text.split()), 1)
        country_hits: dict[str, tuple[int, int]] = {}
        for code, pattern in self._countries.items():
            country_hits[code] = (len(pattern.findall(title)), len(pattern.findall(text)))
        kw_title = len(self._keywords.findall(title)) if self._keywords else 0
        kw_body = len(self._keywords.findall(text)) if self._keywords else 0
        title_hits = kw_title + sum(t for t, _ in country_hits.values())
        body_hits = kw_body + sum(b for _, b in country_hits.values())
        density = body_hits / (words / 100)
        raw = 0.45 * min(title_hits, 2) / 2 + 0.55 * min(density / 1.5, 1.0)
        relevance = round(min(max(raw, 0.0), 1.0), 4)
        countries = [
            code
            for code in CENTRAL_ASIA
            if code in country_hits
            and (country_hits[code][0] > 0 or country_hits[code][1] >= max(2, 0.2 * max(body_hits, 1)))
        ]
        return Score(relevance, relevance >= self.threshold, countries)
