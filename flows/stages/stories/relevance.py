"""Relevance and countries: topic terms in every configured language, title above body, seeds nearby.

Evidence, turned into a 0..1 score by 1 - exp(-evidence):
- a topic term in the title (a country, its capital, leader or institutions, or the region);
- topic terms in the body: more mentions, and earlier ones, count for more; a long text needs
  more of them than a short one (a passing mention in a long story on Russia is not enough);
- closeness to the seed corpus (term vectors, cosine against the seeds' centroid), so an article
  much like the seeds scores higher even when it names no country.

Terms starting with "~" in the profile are ambiguous (Astana the restaurant, Osh, "Uzbek"
fighters in Syria) and count only next to unambiguous evidence; see flows/topic_default.yaml.
A country is tagged when the article is about it: named in the title, or named repeatedly or
early in the body, and not merely once in a list of the region's countries.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from flows.config import Topic
from flows.stages.stories.joint import acting_together, project_ends
from flows.stages.stories.name_terms import key_match, name_keys
from flows.text import RELEVANCE_HAN

CENTRAL_ASIA = ("KZ", "KG", "TJ", "TM", "UZ")
REGION = "*"  # the target of region-wide keywords
HOME_COUNTRY = {"kk": "KZ", "ky": "KG", "tg": "TJ", "tk": "TM", "uz": "UZ"}

_HAN = re.compile(f"[{RELEVANCE_HAN}]")  # not CJK: stored scores were computed with it (flows/text.py)
_WORD_START = re.compile(r"(?<![^\W_])[^\W\d_]")
_TOKENS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_APOSTROPHES = str.maketrans(dict.fromkeys("ʻʼ‘’`´ʹ′ꞌ＇", "'") | {"ё": "е", "Ё": "Е"})
_EN_SUFFIX = r"(?:'s|s|es)?"
_AGGLUTINATIVE_SUFFIX = r"[^\W\d_]{0,7}"

# weights of the evidence (see the module docstring); tuned on tests/test_relevance.py
TITLE_WEIGHT = 1.6
TITLE_WEAK_WEIGHT = 0.2
BODY_WEIGHT = 0.5
FIRST_MENTION = 0.5
LEAD_FACTOR = 3.0
LEAD_CHARS = 250
UNCORROBORATED = 0.1
LIST_WINDOW = 40  # characters between two countries' names in one list
PAIR_FACTOR = 0.6
LIST_FACTOR = 0.3
BODY_CAP = 14.0
TITLE_COUNTRY = 3.0
COUNTRY_MIN = 1.5
COUNTRY_SHARE = 0.3
SEED_WEIGHT = 2.5
SEED_FLOOR = 0.15
SEED_CAP = 1.0
LANGUAGE_PRIOR = 0.3  # written in one of the region's own languages
REFERENCE_LENGTH = 300  # words; longer texts need proportionally more mentions
LENGTH_EXPONENT = 0.7


def normalize(text: str) -> str:
    """NFC, one apostrophe, е for ё: the forms terms are compiled in."""
    return unicodedata.normalize("NFC", text).translate(_APOSTROPHES)


def text_length(text: str) -> float:
    """Length in words, counting about 1.5 Chinese characters as a word."""
    han = len(_HAN.findall(text))
    return len(_TOKENS.findall(_HAN.sub(" ", text))) + han / 1.5


@dataclass(frozen=True)
class Term:
    text: str
    target: str  # a country code, or REGION
    weak: bool
    lang: str


def parse_terms(topic: Topic) -> list[Term]:
    terms: list[Term] = []
    for lang, words in topic.keywords.items():
        terms.extend(_term(w, REGION, lang) for w in words if w.strip().lstrip("~").strip())
    for code, per_lang in topic.countries.items():
        for lang, words in per_lang.items():
            terms.extend(_term(w, code, lang) for w in words if w.strip().lstrip("~").strip())
    return terms


def _term(raw: str, target: str, lang: str) -> Term:
    raw = raw.strip()
    weak = raw.startswith("~")
    return Term(normalize(raw.lstrip("~").strip()), target, weak, lang)


_ADJECTIVE_ENDINGS = ("ая", "яя", "ое", "ее", "ий", "ый", "ой")


def _inflected(word: str, in_phrase: bool) -> str:
    """Case endings after a word (Казахстан-а, Қазақстан-ның) or in place of its last vowel.

    Russian nouns in -а/-я and adjectives change their ending (Астана -> Астане, Туркмения ->
    Туркмении, Центральная Азия -> Центральной Азии); a replaced ending is short, so Бухара
    does not reach Бухарест.
    """
    lower = word.lower()
    stem = ""
    if in_phrase and lower.endswith(_ADJECTIVE_ENDINGS) and len(word) >= 5:
        stem = word[:-2]
    elif lower.endswith(("а", "я")) and len(word) >= (4 if in_phrase else 5):
        stem = word[:-1]
    full = f"{_cased(word, word[0].isupper())}{_AGGLUTINATIVE_SUFFIX}"
    if not stem:
        return full
    short = r"[^\W\d_]{0,3}" if in_phrase else r"[^\W\d_]{1,2}"
    return f"(?:{full}|{_cased(stem, stem[0].isupper())}{short})"


def _cased(text: str, first_exact: bool) -> str:
    if not text:
        return ""
    if first_exact:
        return re.escape(text[0]) + (f"(?i:{re.escape(text[1:])})" if len(text) > 1 else "")
    return f"(?i:{re.escape(text)})"


def term_pattern(term: Term) -> str:
    """A regular expression for one term: word boundaries, inflection, case rules (see the profile)."""
    text = term.text
    if _HAN.search(text):
        return re.escape(text)
    words = text.split()
    acronym = len(text) <= 6 and text.upper() == text and any(c.isalpha() for c in text)
    pieces = []
    for i, word in enumerate(words):
        last = i == len(words) - 1
        first_exact = acronym or (i == 0 and word[0].isupper())
        if acronym:
            pieces.append(re.escape(word) + (_EN_SUFFIX if term.lang == "en" and last else ""))
        elif term.lang == "en":
            piece = _cased(word, first_exact)
            pieces.append(piece + (_EN_SUFFIX if last else ""))
        else:
            word = word if i == 0 else word[0].lower() + word[1:]
            pieces.append(_inflected(word, len(words) > 1))
    return r"(?<![^\W_])" + r"[\s\-]+".join(pieces) + r"(?![^\W_])"


_SENTENCE_END = re.compile(r"[.!?](?=\s)|[。！？]")


def _lead_end(text: str) -> int:
    """Where the lead ends: the first sentence, within LEAD_CHARS characters at most."""
    m = _SENTENCE_END.search(text)
    return min(max(m.end() if m else LEAD_CHARS, LEAD_CHARS // 2), LEAD_CHARS)


@dataclass(frozen=True)
class Hit:
    term: int  # index into Matcher.terms
    start: int
    venue: bool = False  # right after "in", "at", "в", "在": where something happened, maybe not what about


# A place named as a venue ("talks in Tashkent", "встреча в Астане", "在阿斯塔纳举行") says where a
# story happened, not that it is about that country: in a story of VENUE_WORDS words or more, a
# country named only so, fewer than VENUE_MIN times, is not one of the article's countries (its
# relevance is unchanged). A short item ("A court in Dushanbe sentenced ...") is about its place.
_VENUE_BEFORE = re.compile(r"(?<![^\W\d_])(?:in|at|в|во|на)\s+$", re.IGNORECASE)
VENUE_MIN = 3
VENUE_WORDS = 60


def _is_venue(text: str, pos: int) -> bool:
    if pos and text[pos - 1] == "在":
        return True
    return bool(_VENUE_BEFORE.search(text, max(0, pos - 9), pos))


class Matcher:
    """Every term of a profile, tried only where a word starts with a term's first two letters.

    One regular expression per two-letter prefix keeps matching linear in the text's length
    (an alternation of hundreds of terms tried at every character is a hundred times slower).
    Chinese terms are plain substrings.
    """

    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = list(terms)
        by_prefix: dict[str, list[int]] = {}
        self._han: list[tuple[str, int]] = []
        for i, term in enumerate(self.terms):
            if _HAN.search(term.text):
                self._han.append((term.text, i))
            else:
                by_prefix.setdefault(term.text[:2].lower(), []).append(i)
        self._by_prefix: dict[str, re.Pattern[str]] = {}
        for prefix, indices in by_prefix.items():
            indices.sort(key=lambda i: -len(self.terms[i].text))  # longest first: Kazakhstan before Kazakh
            self._by_prefix[prefix] = re.compile(
                "|".join(f"(?P<t{i}>{term_pattern(self.terms[i])})" for i in indices)
            )
        self._han.sort(key=lambda item: -len(item[0]))
        self._keys = name_keys(self.terms)

    def find(self, text: str) -> list[Hit]:
        if not text:
            return []
        hits = []
        end = 0
        for start in _WORD_START.finditer(text):
            pos = start.start()
            if pos < end:
                continue
            pattern = self._by_prefix.get(text[pos : pos + 2].lower())
            m = pattern.match(text, pos) if pattern is not None else None
            if m is not None and m.lastgroup is not None:
                hits.append(Hit(int(m.lastgroup[1:]), pos, _is_venue(text, pos)))
                end = m.end()
            elif self._keys and text[pos].isupper():  # another script's spelling of a profile name
                key_hit = key_match(self._keys, text, pos)
                if key_hit is not None:
                    hits.append(Hit(key_hit[0], pos))
                    end = key_hit[1]
        if self._han and _HAN.search(text):
            taken: list[tuple[int, int]] = []
            for needle, index in self._han:
                at = text.find(needle)
                while at >= 0:
                    if not any(a <= at < b for a, b in taken):  # 中国—中亚 is not also 中亚
                        taken.append((at, at + len(needle)))
                        hits.append(Hit(index, at, _is_venue(text, at)))
                    at = text.find(needle, at + len(needle))
        hits.sort(key=lambda h: h.start)
        return hits


# --- closeness to the seed corpus ------------------------------------------------------------

_STOPWORD_TEXT = """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just more most my no nor not
    now of off on once only or other our out over own said same says she should so some such than that
    the their them then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your year years new one two three first last
    per cent percent mr ms told according including since however would could like may might must
    many much well even still yet back made make way week month day time people"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _term_vector(text: str) -> dict[str, float]:
    counts = Counter(
        t for t in (w.lower() for w in _TOKENS.findall(text)) if len(t) >= 3 and t not in _STOPWORDS
    )
    vec = {t: 1.0 + math.log(c) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {t: v / norm for t, v in vec.items()}


@dataclass(frozen=True)
class SeedProfile:
    """The seeds' centroid: terms found in more seeds weigh more (they carry the topic, not the story)."""

    vector: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> SeedProfile:
        vectors = [_term_vector(normalize(t)) for t in texts if t and t.strip()]
        if not vectors:
            return cls()
        df = Counter(t for v in vectors for t in v)
        n = len(vectors)
        centroid: dict[str, float] = {}
        for v in vectors:
            for t, w in v.items():
                # a term in one seed only says little about the topic; in all of them, a lot
                centroid[t] = centroid.get(t, 0.0) + w * (df[t] / n) ** 1.5
        norm = math.sqrt(sum(w * w for w in centroid.values())) or 1.0
        return cls({t: w / norm for t, w in centroid.items()})

    def similarity(self, text: str) -> float:
        if not self.vector:
            return 0.0
        vec = _term_vector(text)
        return sum(w * self.vector.get(t, 0.0) for t, w in vec.items())


# --- scoring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    relevance: float
    is_relevant: bool
    countries: list[str]


@dataclass
class _Target:
    title: int = 0
    title_strong: int = 0
    body: list[tuple[int, bool, int]] = field(default_factory=list)  # (offset, weak, term)
    terms: set[int] = field(default_factory=set)
    strong: bool = False
    named: bool = False  # named once at least other than as a venue
    venues: int = 0


class Scorer:
    """A topic profile (and seed corpus) compiled once; `score` is pure."""

    def __init__(self, topic: Topic, threshold: float = 0.5, seeds: Sequence[str] = ()) -> None:
        self.threshold = threshold
        self.matcher = Matcher(parse_terms(topic))
        self.seeds = SeedProfile.from_texts(seeds)
        # the five acting together are the profile's own: a country it drops is not added back
        self.region = tuple(c for c in CENTRAL_ASIA if any(t.target == c for t in self.matcher.terms))

    def score(self, title: str | None, text: str, language: str | None = None) -> Score:
        """Relevance, whether it passes the threshold, and countries; `language` is the text's own."""
        title = normalize(title or "")
        text = normalize(text or "")
        terms = self.matcher.terms
        targets: dict[str, _Target] = {}
        title_hits, body_hits = self.matcher.find(title), self.matcher.find(text)
        for hit in title_hits:
            term = terms[hit.term]
            t = targets.setdefault(term.target, _Target())
            t.title += 1
            t.title_strong += 0 if term.weak else 1
            t.terms.add(hit.term)
            t.strong |= not term.weak
            t.named |= not hit.venue
            t.venues += hit.venue
        for hit in body_hits:
            term = terms[hit.term]
            t = targets.setdefault(term.target, _Target())
            t.body.append((hit.start, term.weak, hit.term))
            t.terms.add(hit.term)
            t.strong |= not term.weak
            t.named |= not hit.venue
            t.venues += hit.venue
        any_strong = any(t.strong for t in targets.values())
        region_strong = REGION in targets and targets[REGION].strong
        home = HOME_COUNTRY.get((language or "").lower())

        def corroborated(code: str) -> bool:
            t = targets[code]
            if t.strong:
                return True
            if code == REGION:
                return any_strong
            return region_strong or code == home or len(t.terms) >= 2

        length = max(text_length(text), 1.0)

        def venue_only(code: str) -> bool:
            t = targets[code]
            return not t.named and t.venues < VENUE_MIN and length >= VENUE_WORDS

        lead = _lead_end(text)
        title_countries = [c for c in CENTRAL_ASIA if c in targets and targets[c].title and corroborated(c)]

        evidence = LANGUAGE_PRIOR if home else 0.0
        if any(t.title and corroborated(code) for code, t in targets.items()):
            evidence += TITLE_WEIGHT
        elif any(t.title for t in targets.values()):
            evidence += TITLE_WEAK_WEIGHT
        body_total = 0.0
        country_body: dict[str, float] = {}
        country_offsets = {c: [o for o, _, _ in targets[c].body] for c in CENTRAL_ASIA if c in targets}
        for code, t in targets.items():
            ok = corroborated(code)
            total = 0.0
            for n, (offset, weak, _) in enumerate(sorted(t.body)):
                # a name said once in passing is weak evidence; said again, or in the lead, it is not
                w = FIRST_MENTION if n == 0 else 1.0
                if offset < lead:
                    w *= LEAD_FACTOR
                if weak and not ok:
                    w *= UNCORROBORATED
                if code != REGION:
                    # a list of the region's countries (Kazakhstan, Kyrgyzstan and Uzbekistan)
                    near = sum(
                        1
                        for other, offsets in country_offsets.items()
                        if other != code and any(abs(o - offset) <= LIST_WINDOW for o in offsets)
                    )
                    if near:
                        w *= LIST_FACTOR if near >= 2 else PAIR_FACTOR
                total += w
            body_total += total
            if code != REGION:
                country_body[code] = total
        damping = min(1.0, (REFERENCE_LENGTH / length) ** LENGTH_EXPONENT)
        evidence += BODY_WEIGHT * min(body_total, BODY_CAP) * damping
        similarity = self.seeds.similarity(f"{title}\n{text}")
        evidence += min(SEED_CAP, SEED_WEIGHT * max(0.0, similarity - SEED_FLOOR))
        relevance = round(1.0 - math.exp(-evidence), 4)
        is_relevant = relevance >= self.threshold

        countries: list[str] = []
        if is_relevant:
            from_title = set(title_countries) if len(title_countries) <= 2 else set()
            scores = {
                c: (TITLE_COUNTRY if c in from_title else 0.0) + country_body.get(c, 0.0) * damping**0.5
                for c in CENTRAL_ASIA
                if c in targets and corroborated(c) and not venue_only(c)
            }
            top = max(scores.values(), default=0.0)
            for c, value in scores.items():
                if (c in from_title or value >= COUNTRY_MIN) and value >= COUNTRY_SHARE * top:
                    countries.append(c)
            # the five acting together, and both ends of a cross-border project (joint.py)
            joint = set(acting_together(title, text[:lead], set(targets), self.region, text))
            for words, hits in ((title, title_hits), (text, body_hits)):
                joint |= project_ends(words, [(terms[h.term].target, h.start) for h in hits], CENTRAL_ASIA)
            countries = [c for c in CENTRAL_ASIA if c in countries or c in joint]
        return Score(relevance, is_relevant, countries)
