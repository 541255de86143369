"""One story across languages: linking near-duplicate clusters that report the same event.

No translation model or multilingual embedding can be loaded here (STACK-NOTES), so a link is
decided from what a text carries across scripts and languages:
* names: every word of five letters or more becomes its cross-script key (storage/search/names.py:
  Tokayev = Токаев = Тоқаев), cut to its first six letters so that Turkic suffixes meet the bare
  name (Тоқаевтың, Mirziyoyevni, Жапаровду); lower-case internationalisms meet the same way
  (референдум = referendum, коронавирус = coronavirus);
* dates written in the text (26 февраля = 26-фев = February 26 = 2月26日), in Russian, Kazakh,
  Kyrgyz, Uzbek (both scripts), English and Chinese;
* numbers and amounts, normalised (26 млрд = 26 billion = 260亿; 87,05% = 87.05%);
* the publication window: clusters first seen more than `WINDOW` apart are never one story.
Each shared key weighs its rarity among the clusters compared (an idf: Tokayev weighs little in a
week of Kazakh news, a village or a casualty count much); the score is the weight shared over the
weight of the smaller side. Two texts that both give dates but no date in common are different
events (a call on 7 October and one on 1 May). Precision comes first: a wrong link hides a story.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storage.search.names import name_key

WINDOW = timedelta(days=3)
THRESHOLD = 0.45  # benchmarks/stories.py: chosen on the labelled set, also scored by outlet folds
PREFIX = 6  # letters of a key kept: the stem before Turkic and Russian endings
MIN_WORD = 5
MIN_POOL = 30  # fewer clusters in the window: no link (rarity cannot be told from so few)
ANCHORS = 12  # rarest cross-language keys of a new cluster a candidate must share two of
MAX_CHARS = 2500  # the head of a text carries the event; the tail is background and links
DATE_PENALTY = 0.5  # dates on both sides and none shared: the score is multiplied by this
SKELETON = 8  # letters of a key whose consonants make the second key (Атамбаев = Атамбоев)
DATE = "d:"
SOUND = "s:"
NUMBER = "n:"

_WORD = re.compile(r"[^\W\d_][^\W\d_'ʻʼ‘’`-]*")
_MONTHS = (
    ("01", r"январ\w*|янв|yanvar\w*|january|jan|қаңтар\w*|kantar\w*|qantar\w*"),
    ("02", r"феврал\w*|фев|fevral\w*|february|feb|ақпан\w*|akpan\w*|aqpan\w*"),
    ("03", r"март\w*|mart\w*|march|mar|наурыз\w*|nauryz\w*|nawryz\w*"),
    ("04", r"апрел\w*|апр|aprel\w*|april|apr|сәуір\w*|sauir\w*|sáuir\w*"),
    ("05", r"ма[йяю]\w*|may|mai|мамыр\w*|mamyr\w*"),
    ("06", r"июн\w*|iyun\w*|june|jun|маусым\w*|mausym\w*|maýsym\w*"),
    ("07", r"июл\w*|iyul\w*|july|jul|шілде\w*|shilde\w*"),
    ("08", r"август\w*|авг|avgust\w*|august|aug|тамыз\w*|tamyz\w*"),
    ("09", r"сентябр\w*|сен|sentyabr\w*|september|sept?|қыркүйек\w*|qyrkúıek\w*"),
    ("10", r"октябр\w*|окт|oktyabr\w*|october|oct|қазан\w*|qazan\w*"),
    ("11", r"ноябр\w*|ноя|noyabr\w*|november|nov|қараша\w*|qarasha\w*"),
    ("12", r"декабр\w*|дек|dekabr\w*|december|dec|желтоқсан\w*|jeltoqsan\w*"),
)
_MONTH_WORD = "|".join(f"(?P<m{m}>{words})" for m, words in _MONTHS)
_DAY_MONTH = re.compile(
    rf"(?<![\d.])(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?:\s*[-–]\s*[0-3]?\d)?[\s\-]*(?:of\s+)?(?:{_MONTH_WORD})\b",
    re.IGNORECASE,
)
_DAY_NUMBER = re.compile(r"(?<!\d)[0-3]?\d(?!\d)")
_MONTH_BEFORE = re.compile(rf"\b(?:{_MONTH_WORD})\.?\s+$", re.IGNORECASE)  # February 26
_DAY_AFTER = re.compile(r"[0-3]?\d(?:st|nd|rd|th)?(?!\d)")
_NUMERIC_DATE = re.compile(r"(?<![\d.])(?P<day>[0-3]?\d)\.(?P<month>[01]\d)\.(?:19|20)\d\d(?!\d)")
_HAN_DATE = re.compile(r"(?P<month>1[0-2]|0?[1-9])月(?P<day>[0-3]?\d)[日号]")
_AMOUNT = re.compile(
    r"(?<![\d.,])(?P<num>\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+(?:[.,]\d+)?)\s*(?P<unit>"
    r"млрд|миллиард\w*|billion|bn|mlrd|миллиард|млн|миллион\w*|million|mln|million|тыс\w*|thousand|亿|万)?",
    re.IGNORECASE,
)
_UNITS = {"млрд": 1e9, "миллиард": 1e9, "billion": 1e9, "bn": 1e9, "mlrd": 1e9, "млн": 1e6}
_UNITS |= {"миллион": 1e6, "million": 1e6, "mln": 1e6, "тыс": 1e3, "thousand": 1e3, "亿": 1e8, "万": 1e4}


@dataclass(frozen=True)
class Evidence:
    """What one cluster's text offers for linking, with when it was first seen."""

    language: str | None
    seen_at: datetime | None
    keys: frozenset[str]  # name and term keys, `d:MM-DD` dates, `n:VALUE` numbers

    @functools.cached_property
    def dates(self) -> frozenset[str]:  # asked for each candidate scored
        return frozenset(k for k in self.keys if k.startswith(DATE))


@functools.lru_cache(maxsize=1 << 16)
def word_keys(word: str) -> tuple[str, ...]:
    """The cross-script keys of one word: its stem, and its consonants (`s:`), or none."""
    if len(word) < MIN_WORD:
        return ()
    key = name_key(word)
    if key is None:
        return ()
    key = key.replace("c", "k")
    skeleton = key[0] + re.sub("[aeiouy]", "", key[1:SKELETON])
    return (key[:PREFIX], SOUND + skeleton) if len(skeleton) >= 4 else (key[:PREFIX],)


def date_keys(text: str) -> set[str]:
    """Day and month of every date written in `text`, as `d:MM-DD`.

    Only the places where a day's number stands are tried (the month patterns anchored there):
    scanning the whole text for a dozen month names in six languages cost a millisecond.
    """
    found: set[str] = set()
    for m in _DAY_NUMBER.finditer(text):
        at = m.start()
        for pattern in (_DAY_MONTH, _NUMERIC_DATE, _HAN_DATE):
            hit = pattern.match(text, at)
            if hit is not None:
                found.add(_date(_month_of(hit), hit.group("day")))
        before = _MONTH_BEFORE.search(text[max(0, at - 16) : at])
        if before is not None and _DAY_AFTER.match(text, at):
            found.add(_date(_month_of(before), m.group()))
    return {d for d in found if d}


def _month_of(hit: re.Match[str]) -> str:
    if "month" in hit.groupdict() and hit.group("month"):
        return hit.group("month")
    return next(k[1:] for k, v in hit.groupdict().items() if k.startswith("m") and k != "month" and v)


def _date(month: str, day: str) -> str:
    d, mo = int(day), int(month)
    return f"{DATE}{mo:02d}-{d:02d}" if 1 <= d <= 31 and 1 <= mo <= 12 else ""


def number_keys(text: str) -> set[str]:
    """Numbers of two digits or more and amounts, normalised, as `n:VALUE`."""
    found: set[str] = set()
    for m in _AMOUNT.finditer(text):
        raw = re.sub(r"[ \u00a0\u202f]", "", m.group("num")).replace(",", ".")
        try:
            value = float(raw)
        except ValueError:
            continue
        unit = (m.group("unit") or "").lower()
        factor = next((f for u, f in _UNITS.items() if unit.startswith(u)), 1.0) if unit else 1.0
        if factor == 1.0 and value < 10:
            continue  # one digit: a count too common to tell events apart
        found.add(f"{NUMBER}{value * factor:.6g}")
    return found


def evidence(title: str | None, text: str | None, language: str | None, seen_at: datetime | None) -> Evidence:
    """The evidence of a cluster from its head article's title and text."""
    body = f"{title or ''}\n{(text or '')[:MAX_CHARS]}"
    keys: set[str] = set()
    for m in _WORD.finditer(body):
        keys.update(word_keys(m.group()))
    dates = date_keys(body)
    day_numbers = {f"{NUMBER}{int(d[-2:])}" for d in dates}
    keys |= dates
    keys |= number_keys(body) - day_numbers
    return Evidence(language, seen_at, frozenset(keys))


@dataclass(frozen=True)
class Weights:
    """How rare each key is among the clusters compared, and which keys occur in two languages or
    more: a key seen in one language only (an ordinary Russian word) is no evidence across them."""

    df: Mapping[str, int]
    n: int
    cross: frozenset[str]
    # each key's idf and each whole key set's weight, computed once: a cluster is scored against
    # up to 25 candidates, and each score weighs both sides' keys
    _idf: dict[str, float] = field(default_factory=dict, compare=False, repr=False)
    _totals: dict[frozenset[str], float] = field(default_factory=dict, compare=False, repr=False)

    def idf(self, key: str) -> float:
        """Rarer keys weigh more; a key in every cluster weighs nothing."""
        value = self._idf.get(key)
        if value is None:
            value = self._idf[key] = math.log((self.n + 1) / (self.df.get(key, 0) + 1))
        return value

    def weight(self, keys: Iterable[str]) -> float:
        return sum(self.idf(k) for k in keys if k in self.cross)

    def total(self, keys: frozenset[str]) -> float:
        """`weight(keys)` of a cluster's whole key set, remembered."""
        value = self._totals.get(keys)
        if value is None:
            value = self._totals[keys] = self.weight(keys)
        return value


def weights(pool: Iterable[Evidence]) -> Weights:
    """The weights of the keys of `pool` (the clusters of one window)."""
    return combined_weights(0, {}, pool)


def combined_weights(
    n: int, stats: Mapping[str, tuple[int, Collection[str | None]]], pool: Iterable[Evidence]
) -> Weights:
    """The weights of `n` stored clusters, whose keys' counts and languages are `stats`, together
    with the clusters of `pool` (a batch not stored yet)."""
    df = {k: c for k, (c, _) in stats.items()}
    langs: dict[str, set[str | None]] = {k: set(ls) for k, (_, ls) in stats.items()}
    for ev in pool:
        n += 1
        for k in ev.keys:
            df[k] = df.get(k, 0) + 1
            langs.setdefault(k, set()).add(ev.language)
    return Weights(df, n, frozenset(k for k, ls in langs.items() if len(ls - {None}) > 1))


def anchors(ev: Evidence, w: Weights, limit: int = ANCHORS) -> list[str]:
    """The rarest keys of `ev` that occur in another language: what a candidate must share."""
    return sorted((k for k in ev.keys if k in w.cross), key=lambda k: (-w.idf(k), k))[:limit]


def _day_of_year(date_key: str) -> int:
    month, day = date_key[len(DATE) :].split("-")
    return (int(month) - 1) * 31 + int(day)


def dates_meet(a: Iterable[str], b: Iterable[str]) -> bool:
    """Some date of `a` is within a day of some date of `b` (reports of one raid name the evening
    it began and the morning after)."""
    days_b = [_day_of_year(d) for d in b]
    return any(abs(_day_of_year(d) - e) <= 1 or abs(_day_of_year(d) - e) >= 371 for d in a for e in days_b)


def apart(a: Evidence, b: Evidence, window: timedelta = WINDOW) -> bool:
    """First seen further apart than the window (unknown times never are)."""
    if a.seen_at is None or b.seen_at is None:
        return False
    return abs(a.seen_at - b.seen_at) > window


def score(a: Evidence, b: Evidence, w: Weights, window: timedelta | None = WINDOW) -> float:
    """0..1: the weight of the cross-language keys shared, over the geometric mean of each side's;
    0 outside the window (None: no window); halved when both give dates and none within a day."""
    if window is not None and apart(a, b, window):
        return 0.0
    shared = w.weight(a.keys & b.keys)
    if shared <= 0:
        return 0.0
    value = shared / math.sqrt(w.total(a.keys) * w.total(b.keys))
    if a.dates and b.dates and not dates_meet(a.dates, b.dates):
        value *= DATE_PENALTY
    return min(1.0, value)


def linked(
    a: Evidence, b: Evidence, w: Weights, threshold: float = THRESHOLD, window: timedelta | None = WINDOW
) -> bool:
    """One story: two known, different languages and a score at the threshold or above."""
    if a.language is None or b.language is None or a.language == b.language:
        return False
    return score(a, b, w, window) >= threshold


def best_match(
    new: Evidence, candidates: Sequence[tuple[int, Evidence]], w: Weights, threshold: float = THRESHOLD
) -> tuple[int, float] | None:
    """The id and score of the candidate in another known language that `new` (of a known
    language) links to with the highest score (the earliest of equals), or None; always None in a window of fewer than `MIN_POOL`
    clusters, where every shared name would look rare."""
    if w.n < MIN_POOL:
        return None
    best: tuple[int, float] | None = None
    if new.language is None:
        return None
    for cid, ev in candidates:
        if ev.language is None or ev.language == new.language:
            continue
        s = score(new, ev, w)
        if s >= threshold and (best is None or s > best[1]):
            best = (cid, s)
    return best
