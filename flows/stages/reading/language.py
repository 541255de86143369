"""Language: the region's own languages recognised first, then langdetect (seeded) for the rest.

langdetect has no model for Kazakh, Kyrgyz, Tajik, Turkmen, Uzbek, Azerbaijani or Mongolian and
calls them ru, bg, mk, tr and the like. We recognise those seven by their own letters and their
frequent words, in Cyrillic and Latin script, and compare that evidence with the same kind of
evidence for their look-alikes (Russian, Bulgarian, Macedonian, Ukrainian, Belarusian, Turkish,
English): a Russian article quoting a Kazakh name stays Russian, a Turkish one stays Turkish.
Tatar and Bashkir (which langdetect also lacks) are told from Kazakh and Kyrgyz the same way, and
by the alphabet: a language whose alphabet leaves out many of the text's telling letters, or whose
signature letters the text never writes, is ruled out (`misfit`). Where our evidence for one of
the region's languages is there but thin (a headline), CLD2 is asked for a second opinion.
Han text without Hangul or kana is Chinese before anything else (flows/stages/reading/language_han.py).
Anything we do not claim keeps langdetect's answer. Figures in benchmarks/README.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import pycld2
from langdetect import DetectorFactory, LangDetectException
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.language import Language
from langdetect.utils.ngram import NGram
from langdetect.utils.unicode_block import unicode_block

from flows.stages.reading.language_han import han_language
from flows.stages.reading.language_words import ALPHABETS, FUNCTION_WORDS, LETTERS, SIGNATURES, SUFFIXES

# The answer is settled within the first few hundred words; langdetect's cost grows with the text.
SAMPLE_CHARS = 1200

REGIONAL = frozenset({"kk", "ky", "tg", "tk", "uz"})
OWN = REGIONAL | {"az", "mn", "be", "tt", "ba", "kaa"}  # what langdetect cannot name and we can

# Every apostrophe-like mark (Uzbek oʻ gʻ and the tutuq belgisi ʼ are typed many ways) becomes "'".
_APOSTROPHES = str.maketrans(dict.fromkeys("ʻʼ‘’`´ʹ′ꞌ＇", "'"))
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff\u0500-\u052f]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")
# Uzbek oʻ/gʻ inside a lower-case word (not O'Brien, which has a capital after the mark)
_LONG_VOWEL = re.compile(r"(аа|оо|уу|үү|өө|ээ)")
_UZ_OG = re.compile(r"(?:(?<=[^\W\d_])|(?<![^\W\d_]))[oOgG]'[a-z]")


@dataclass(frozen=True)
class Evidence:
    """Votes per language from frequent words and telling letters, and how many words were read."""

    script: str
    votes: dict[str, float]
    words: int
    misfits: frozenset[str] = frozenset()  # languages whose alphabet the text's letters do not fit
    frequent: frozenset[str] = frozenset()  # languages at least one of whose frequent words it holds

    def best(self) -> list[tuple[str, float]]:
        return sorted(self.votes.items(), key=lambda kv: (-kv[1], kv[0]))


def normalize(text: str) -> str:
    """NFC, one apostrophe, ё as е: the forms the word lists are written in."""
    return unicodedata.normalize("NFC", text).translate(_APOSTROPHES)


def _script(text: str) -> str | None:
    cyr = len(_CYRILLIC.findall(text))
    lat = len(_LATIN.findall(text))
    if cyr == 0 and lat == 0:
        return None
    return "cyrl" if cyr >= lat else "latn"


def evidence(text: str) -> Evidence | None:
    """Word and letter votes for the languages of the text's main script (None: neither script)."""
    text = normalize(text)
    script = _script(text)
    if script is None:
        return None
    in_script = _CYRILLIC if script == "cyrl" else _LATIN
    found = [w for w in _WORD.findall(text) if in_script.match(w)]
    words = [w.lower().replace("ё", "е") for w in found]
    votes: dict[str, float] = defaultdict(float)
    frequent: set[str] = set()
    fw = FUNCTION_WORDS[script]
    letters = LETTERS[script]
    suffixes = SUFFIXES[script]
    for word in words:
        owners = [lang for lang, vocab in fw.items() if word in vocab]
        for lang in owners:
            votes[lang] += 1.0 / len(owners)
        frequent.update(owners)
        seen: set[str] = set()
        for ch in set(word):
            for lang in letters.get(ch, ()):
                seen.add(lang)
        # a word's telling letters add up to one vote, spread over the languages they point to
        for pattern, langs, weight in suffixes:
            if len(word) > 3 and pattern.search(word):
                for lang in langs:
                    votes[lang] += weight / len(langs)
        if seen:
            exclusive = [
                lang for lang in seen if all(lang in letters[ch] for ch in set(word) if ch in letters)
            ]
            target = exclusive or sorted(seen)
            for lang in target:
                votes[lang] += 0.8 / len(target)
    if script == "latn":
        votes["uz"] += 1.0 * len(_UZ_OG.findall(text))
    else:
        # Kyrgyz (and Mongolian) long vowels: тууралуу, бөлүү, жооп
        long_vowels = sum(1 for w in words if _LONG_VOWEL.search(w))
        votes["ky"] += 0.25 * long_vowels
        votes["mn"] += 0.25 * long_vowels
    # names (Wildberries, Тоқаев in a Kyrgyz text) are written in their own alphabet: only words
    # in lower case tell which alphabet the text is written in
    common = [w for w, raw in zip(words, found, strict=True) if not raw[0].isupper()]
    return Evidence(script, dict(votes), len(words), misfit(script, common, words), frozenset(frequent))


# Letters that tell nothing: Russian's, and a-z less q w x. Every other letter is telling, those
# of no language we answer for (Polish ł ż, Czech ř, Vietnamese ư ơ) too: they fit none of them.
_PLAIN = {
    "cyrl": frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя'-"),
    "latn": frozenset("abcdefghijklmnoprstuvyz'-\u0307"),
}
MISFIT_SHARE = 0.1  # of the telling letters, at most this share may lie outside a language's alphabet
MISFIT_MIN = 5  # telling letters needed before the alphabet decides anything
SIGNATURE_MIN = 10  # telling letters needed before a missing signature letter rules a language out


def misfit(script: str, words: list[str], every_word: list[str]) -> frozenset[str]:
    """Languages whose alphabet leaves out more than MISFIT_SHARE of the telling letters of
    `words`, or whose signature letters none of `every_word` (names included) holds."""
    alphabets = ALPHABETS[script]
    plain = _PLAIN[script]
    counts: dict[str, int] = defaultdict(int)
    for word in words:
        for ch in word:
            if ch not in plain:
                counts[ch] += 1
    total = sum(counts.values())
    if total < MISFIT_MIN:
        return frozenset()
    outside = {
        lang
        for lang, letters in alphabets.items()
        if sum(n for ch, n in counts.items() if ch not in letters) > MISFIT_SHARE * total
    }
    if total >= SIGNATURE_MIN:
        text = "".join(every_word)
        outside |= {lang for lang, sign in SIGNATURES[script].items() if not any(ch in sign for ch in text)}
    return frozenset(outside)


# languages we may answer for in each script, and their look-alikes that langdetect knows
_CLAIMS = {
    "cyrl": ("kk", "ky", "tg", "uz", "tk", "mn", "be", "tt", "ba", "kaa"),
    "latn": ("uz", "tk", "kk", "az", "kaa"),
}


def _regional(text: str, hint: str | None) -> str | None:
    ev = evidence(text)
    if ev is None or ev.words == 0:
        return None
    ranked = [(lang, v) for lang, v in ev.best() if lang not in ev.misfits]
    if not ranked:
        return None
    top, top_votes = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if hint in _CLAIMS[ev.script] and hint != top:
        # a source's language breaks near-ties, never clear evidence
        hinted = ev.votes.get(hint, 0.0)
        if hinted > 0 and hinted >= 0.8 * top_votes:
            return hint
    if ev.script == "latn" and ev.votes.get("en", 0.0) >= max(2.0, 0.5 * top_votes):
        return None
    # enough votes for the length of the text, and clearly ahead of the next language
    needed = 1.2 if ev.words <= 12 else max(2.0, 0.06 * ev.words)
    if top not in _CLAIMS[ev.script] or top_votes < needed or top_votes < 1.5 * runner_up:
        return second_opinion(text, ev)
    if (
        ev.words >= WORDLESS_MIN
        and top not in ev.frequent
        and not _OWN_LETTERS.get(top, frozenset()) & set(text)
    ):
        # twenty words and not one of the language's frequent words, nor a letter only it writes:
        # Gagauz and Khakas, which write Kazakh's letters, not Kazakh
        return None
    if ev.script == "latn" and _cld2_sure(text) not in (None, *_TURKIC):
        # Kazakh's á ó ú ñ ä are Spanish, Hungarian, Slovak and German letters too: what CLD2 is sure
        # is one of those (it never is on Kazakh, Uzbek, Turkmen or Azerbaijani) is not ours
        return None
    return top


WORDLESS_MIN = 20
# letters no other language we meet writes: Kazakh's ұ, and ǵ and ū of its Latin alphabets
_OWN_LETTERS = {"kk": frozenset("ұҰǵǴūŪ")}
SECOND_OPINION = REGIONAL | {"tt", "ba"}
_TURKIC = ("tr", "az", "uz", "tk", "kk", "ky", "tt", "ba", "ug")  # CLD2 names them; ours decide
# the second opinion is asked only when one of those has this many votes, and this share of the top
SECOND_MIN_VOTES = 0.5
SECOND_SHARE = 0.15


def second_opinion(text: str, ev: Evidence) -> str | None:
    """CLD2's answer (pycld2), when our evidence for one of the region's languages is there but not
    enough (a headline, a short summary) and CLD2 names one of those our letters allow.

    pycld2 0.42 has CLD2's tables compiled in (kk ky tg tk uz tt ba among them, no Kazakh in Latin
    script; about 7 MB of memory, py3langid's model takes 120 MB a process). On the evaluation set
    cut to 60 characters it takes our answers from 663 to the figure in benchmarks/README.md."""
    candidates = {
        lang: v for lang, v in ev.votes.items() if lang in SECOND_OPINION and lang not in ev.misfits and v > 0
    }
    if not candidates:
        return None
    best = max(candidates.values())
    if best < SECOND_MIN_VOTES or best < SECOND_SHARE * max(ev.votes.values()):
        return None
    try:
        _, _, details = pycld2.detect(text, isPlainText=True)
    except pycld2.error:  # text CLD2 cannot read (unpaired surrogates)
        return None
    lang = str(details[0][1])
    return lang if lang in candidates else None


# Languages langdetect has no profile for, which CLD2 names reliably: langdetect calls Uyghur "ar",
# Pashto "fa" and Serbian Cyrillic "mk" (Armenian and Georgian, "et", are settled by their script).
CLD2_ONLY = frozenset({"ug", "ps", "sr", "hy", "ka"})
# Scripts that one language writes (of those a news monitor of the region meets)
_ONE_LANGUAGE_SCRIPTS = (
    (re.compile(r"[\u10a0-\u10ff\u1c90-\u1cbf\u2d00-\u2d2f]"), "ka"),  # Georgian
    (re.compile(r"[\u0531-\u058f\ufb13-\ufb17]"), "hy"),  # Armenian
)


_SERBIAN = re.compile(r"[ђћЂЋ]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_MACEDONIAN = re.compile(r"[ѓќѕЃЌЅ]")


def _script_language(text: str, letters: int) -> str | None:
    """Georgian or Armenian, when most of the text's `letters` are in that script."""
    for pattern, code in _ONE_LANGUAGE_SCRIPTS:
        if len(pattern.findall(text)) * 2 > letters:
            return code
    return None


# CLD2's codes where langdetect's differ
_CLD2_CODES = {"iw": "he", "zh-Hant": "zh-tw", "zh": "zh-cn"}
CLEAR_PERCENT = 90  # of the text's bytes in CLD2's first language


@lru_cache(maxsize=64)
def _cld2_sure(text: str) -> str | None:
    """CLD2's language where it is sure (reliable, nine tenths of the text in it), any it knows."""
    try:
        # plain text: by default CLD2 reads HTML, and a "<" in a menu hides the rest of the text
        reliable, read, details = pycld2.detect(text, isPlainText=True)
    except pycld2.error:
        return None
    if read < len(text.encode()) // 2:  # most of the text unread (digits, symbols)
        return None
    if not reliable or details[0][2] < CLEAR_PERCENT:
        return None
    return _CLD2_CODES.get(str(details[0][1]), str(details[0][1]))


def _clear_cld2(text: str) -> str | None:
    """CLD2's answer where it is sure, if a language langdetect could have named (or one of
    CLD2_ONLY) but none of those we claim ourselves (they have had their say above). langdetect
    costs about 5 ms a text, CLD2 a few microseconds; on 1,200 characters of an article CLD2 is at
    least as right (benchmarks/README.md)."""
    code = _cld2_sure(text)
    if code is None or code not in LANGDETECT_CODES | CLD2_ONLY:
        return None
    if code == "ug" and not _ARABIC.search(text):
        return None  # CLD2 calls Karakalpak and Azerbaijani in Cyrillic Uyghur too
    if code == "sr" and not _SERBIAN.search(text) and (len(text) < 200 or _MACEDONIAN.search(text)):
        return None  # on a headline CLD2 calls Macedonian and Bulgarian Serbian too
    return None if code in OWN or code.startswith("zh") else code


class _CharClasses(dict[str, tuple[str, bool, bool]]):
    """Per character: langdetect's normalised form, and whether it counts as Latin or as
    non-Latin script. langdetect works these out for every character of every text."""

    def __missing__(self, ch: str) -> tuple[str, bool, bool]:
        value = (
            NGram.normalize(ch),
            "A" <= ch <= "z",
            ch >= "\u0300" and unicode_block(ch) != "Latin Extended Additional",
        )
        self[ch] = value
        return value


class _Detector(Detector):  # type: ignore[misc]
    """langdetect's detector with its two per-character loops written tighter: the same n-grams
    and the same answers (tests/test_language.py compares them), in about two thirds the time."""

    chars = _CharClasses()  # a memo of a pure function of the character, shared by every detector
    text: str

    def cleaning_text(self) -> None:
        chars = self.chars
        latin = non_latin = 0
        for ch in self.text:
            _, is_latin, is_other = chars[ch]
            if is_latin:
                latin += 1
            elif is_other:
                non_latin += 1
        if latin * 2 < non_latin:
            self.text = "".join(ch for ch in self.text if ch < "A" or ch > "z")

    def _extract_ngrams(self) -> list[str]:
        chars = self.chars
        known = self.word_lang_prob_map
        result: list[str] = []
        grams = " "
        capital = False
        for raw in self.text:
            ch = chars[raw][0]
            last = grams[-1]
            if last == " ":
                grams = " "
                capital = False
                if ch == " ":
                    continue
            elif len(grams) >= NGram.N_GRAM:
                grams = grams[1:]
            grams += ch
            if ch.isupper():
                if last.isupper():
                    capital = True
            else:
                capital = False
            if capital:
                continue
            for n in range(1, min(len(grams), NGram.N_GRAM) + 1):
                gram = grams[-n:]
                if gram != " " and gram in known:
                    result.append(gram)
        return result


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    """langdetect's profiles, loaded once per process; seeded, so one text gets one answer."""
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    return factory


def detect_langs(text: str) -> list[Language]:
    """langdetect's ranked guesses for `text`."""
    detector = _Detector(_factory())
    detector.append(text)
    return list(detector.get_probabilities())


def detect_language(text: str, hint: str | None = None) -> str | None:
    """ISO 639-1 code of `text` (langdetect's zh-cn/zh-tw kept); the same text always gets the same answer."""
    sample = text[:SAMPLE_CHARS]
    letters = len(_LETTER.findall(sample))
    if letters < 3:
        return hint
    own = (
        han_language(sample)
        or _script_language(sample, letters)
        or _regional(sample, hint)
        or _clear_cld2(sample)
    )
    if own:
        return own
    try:
        langs = detect_langs(sample)
    except LangDetectException:
        return hint
    return langs[0].lang if langs else hint


# --- every language code the pipeline can give an article (config and search check
# theirs against it): langdetect's profiles, the ones we recognise ourselves, Tatar and Bashkir,
# and `zh`, the family code a source or a topic may name (it covers zh-cn and zh-tw).
_LANGDETECT_TABLE = (
    "af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv mk ml mr ne nl"
    " no pa pl pt ro ru sk sl so sq sv sw ta te th tl tr uk ur vi zh-cn zh-tw"
)
LANGDETECT_CODES = frozenset(_LANGDETECT_TABLE.split())
LANGUAGE_CODES: frozenset[str] = LANGDETECT_CODES | OWN | CLD2_ONLY | {"tt", "ba", "zh", "zh-cn", "zh-tw"}
