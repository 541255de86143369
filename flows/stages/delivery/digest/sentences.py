"""Sentences and summaries for the digest: Latin, Cyrillic and Chinese text split into sentences,
and the first few of them (title repeats, bylines and captions skipped) as a story's summary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

SUMMARY_MAX_CHARS = 450


_CLOSERS = "\"'”’»)]）」』›"
_OPENERS = "\"'“‘«([（「『‹—–-"
# CJK full stops end a sentence on their own; Latin/Cyrillic ones only before whitespace.
_BOUNDARY = re.compile(rf"[。！？]+[{re.escape(_CLOSERS)}]*|[.!?…]+[{re.escape(_CLOSERS)}]*(?=\s)")
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st jr sr inc ltd co corp vs etc e.g i.e no nos gen col lt sgt gov sen rep
    jan feb mar apr jun jul aug sep sept oct nov dec approx est dept univ fig vol mt ft
    г гг т.е т.д т.п т.к им ул пр просп д кв обл р-н млн млрд тыс руб долл проф акад см стр рис
    гл ст п пп тел чел ок н.э др""".split()  # noqa: SIM905 - a word list reads better this way
)


def _is_abbreviation(before: str) -> bool:
    """Whether the word ending just before a full stop is an abbreviation or an initial."""
    # the last word alone: a regex anchored at the end would scan the whole paragraph each time
    words = before[-80:].rsplit(None, 1)
    if not words or before[-1:].isspace():
        return False
    word = words[-1].lstrip(_OPENERS)
    if not word:
        return False
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "K. Tokayev", "Н. Назарбаев"
    if "." in word:
        return True  # U.S, т.е, К.-Ж
    return word.lower() in _ABBREVIATIONS


def split_sentences(text: str) -> list[str]:
    """Sentences of Latin, Cyrillic and Chinese text; paragraph breaks always end a sentence."""
    return list(iter_sentences(text))


def iter_sentences(text: str) -> Iterator[str]:
    """The sentences one by one, so that a summary reads only as far as it needs."""
    for paragraph in re.split(r"\n+", text):
        paragraph = " ".join(paragraph.split())
        start = 0
        for match in _BOUNDARY.finditer(paragraph):
            end = match.end()
            if match.group(0)[0] not in "。！？":
                rest = paragraph[end:].lstrip().lstrip(_OPENERS)
                nxt = rest[:1]
                if not nxt or not (nxt.isupper() or nxt.isdigit() or _no_case(nxt)):
                    continue
                if match.group(0)[0] == "." and _is_abbreviation(paragraph[: match.start()]):
                    continue
            sentence = paragraph[start:end].strip()
            if sentence:
                yield sentence
            start = end
        tail = paragraph[start:].strip()
        if tail:
            yield tail


def _no_case(ch: str) -> bool:
    """A letter of a script without case (Chinese, Arabic...): it may start a sentence."""
    return ch.isalpha() and not ch.islower() and not ch.isupper()


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).split())


def _is_heading_noise(paragraph: str) -> bool:
    """Bylines, datelines, captions: short lines that do not end like a sentence."""
    p = paragraph.strip()
    return len(p) < 60 and not re.search(r"[.!?…。！？][\"'”’»)]*$", p)


def _join(sentences: list[str]) -> str:
    """Sentences back into text: a space after Latin/Cyrillic ones, none after a CJK full stop."""
    out = ""
    for sentence in sentences:
        if out and not re.search(r"[。！？][\"'”’»)）」』]*$", out):
            out += " "
        out += sentence
    return out


def summarize(
    text: str | None, title: str | None = None, sentences: int = 3, max_chars: int = SUMMARY_MAX_CHARS
) -> str:
    """The first `sentences` sentences of the text (two when three would run long), title repeats skipped."""
    if not text:
        return ""
    paragraphs = [p for p in re.split(r"\n+", text) if p.strip()]
    body = [p for p in paragraphs if not _is_heading_noise(p)] or paragraphs
    folded_title = _fold(title or "")
    chosen: list[str] = []
    length = 0
    for sentence in iter_sentences("\n".join(body)):
        if folded_title and _fold(sentence) == folded_title:
            continue
        if chosen and (len(chosen) >= sentences or (len(chosen) >= 2 and length + len(sentence) > max_chars)):
            break
        if chosen and length + len(sentence) > max_chars * 1.5:
            break
        chosen.append(sentence)
        length += len(sentence) + 1
    summary = _join(chosen)
    if len(summary) > max_chars * 1.5:
        cut = summary[: max_chars + 1]
        space = cut.rfind(" ")
        summary = (cut[:space] if space > max_chars // 2 else cut[:max_chars]).rstrip(" ,;:") + "…"
    return summary
