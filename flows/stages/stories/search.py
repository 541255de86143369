"""Search stage: checks an analyst's search, keeps the index current, and highlights the hits.

Ranking and tokenizing happen in storage/search/ (in SQL, so that articles and queries are cut
into terms by the same code); this module holds what is pure: validating a request, finding the
matched words in a text and choosing the snippet that shows the most of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flows.clock import local_date
from flows.progress import Reporter
from flows.stages.stories.places import resolve_region
from flows.text import CJK
from storage import StorageError, Store
from storage.errors import DatabaseError
from storage.search import IndexUpdate, SearchHit, SearchRequest, rebuild_index, update_index
from storage.search.query_language import QueryError, parse
from storage.search.query_language import terms as query_terms
from storage.spool import writing

COUNTRIES = ("KZ", "KG", "TJ", "TM", "UZ")
MAX_LIMIT = 1000
_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_CJK_CHARS = CJK  # the index's CJK characters (flows/text.py)
_CJK = re.compile(f"[{_CJK_CHARS}]+")
# a word character as the index sees one: letters, digits, marks, but not CJK (those are bigrams)
_WORD_CHAR = rf"[^\W_{_CJK_CHARS}]"


class SearchUsageError(ValueError):
    """A search the analyst has to correct (the CLI exits 2)."""


def build_request(
    terms: str,
    *,
    limit: int = 20,
    since: date | None = None,
    language: str | None = None,
    country: str | None = None,
    relevant: bool = False,
    all_copies: bool = False,
    seeds: bool = False,
    region: str | None = None,
) -> SearchRequest:
    """Validate a search; every problem is named the way the analyst typed it."""
    terms = terms.strip()
    if not terms:
        raise SearchUsageError('give the words to search for, e.g. newswatch search "Rogun dam"')
    if not any(ch.isalnum() for ch in terms):
        raise SearchUsageError(f"{terms!r} has no letters or digits to search for")
    check_query(terms)
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchUsageError(f"--limit {limit}: must be between 1 and {MAX_LIMIT}")
    if language is not None:
        language = language.strip().lower().replace("_", "-")
        if not _LANG.match(language):
            raise SearchUsageError(f"--lang {language!r}: give a language code such as en, ru, kk or zh")
        _known_language(language)
    if country is not None:
        country = country.strip().upper()
        if country not in COUNTRIES:
            raise SearchUsageError(f"--country {country!r}: one of {', '.join(COUNTRIES)}")
    if region is not None:
        try:
            region = resolve_region(region)
        except ValueError as exc:
            raise SearchUsageError(f"--region {exc}") from None
    return SearchRequest(
        terms, limit, since, language, country, relevant, all_copies, seeds=seeds, region=region
    )


def check_query(terms: str) -> None:
    """The query parses, and its lang: and country: name codes an article can have."""
    try:
        tree = parse(terms)
    except QueryError as exc:
        raise SearchUsageError(f"{terms!r}: {exc}") from None
    for term in query_terms(tree):
        if term.field == "country" and term.text.upper() not in COUNTRIES:
            raise SearchUsageError(
                f"{terms!r}: country:{term.text} is not one of {', '.join(COUNTRIES)} at column {term.column}"
            )
        if term.field == "lang":
            try:
                _known_language(term.text.lower())
            except SearchUsageError as exc:
                message = str(exc).replace(f"--lang {term.text.lower()!r}", f"lang:{term.text}")
                raise SearchUsageError(f"{terms!r}: {message} (at column {term.column})") from None


def refresh_index(store: Store, reporter: Reporter | None = None) -> IndexUpdate | None:
    """Index what the last ingest stored. A failure is reported, not raised: the articles are
    safely stored, and the next run (or `newswatch search --reindex`) indexes them."""
    try:
        return update_index(store)
    except (StorageError, DatabaseError, OSError) as exc:
        if reporter is not None:
            reporter.message(f"search index not updated: {exc}")
        return None


def reindex(store: Store) -> IndexUpdate:
    """`newswatch search --reindex`: the whole index again, under the writer lock, so an ingest
    does not index its batches into a table being emptied and refilled."""
    with writing(store, "search reindex"):
        return rebuild_index(store)


# --- highlighting ----------------------------------------------------------------------------------


def han_bigrams(text: str) -> list[str]:
    """Overlapping character pairs of every CJK run (a lone character stays itself), in order."""
    out: list[str] = []
    for run in _CJK.findall(text):
        out.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    return out


def find_matches(text: str, tokens: Iterable[str]) -> list[tuple[int, int]]:
    """Spans of `text` where a matched token stands: whole words, case-insensitively, and CJK
    bigrams wherever they occur. Overlapping and touching spans are merged."""
    words = sorted({t for t in tokens if t and not _CJK.fullmatch(t)}, key=len, reverse=True)
    grams = sorted({t for t in tokens if t and _CJK.fullmatch(t)}, key=len, reverse=True)
    spans: list[tuple[int, int]] = []
    if words:
        pattern = re.compile(
            rf"(?<!{_WORD_CHAR})(?:{'|'.join(map(re.escape, words))})(?!{_WORD_CHAR})", re.IGNORECASE
        )
        spans.extend(m.span() for m in pattern.finditer(text))
    if grams:
        pattern = re.compile("|".join(map(re.escape, grams)))
        pos = 0
        while (m := pattern.search(text, pos)) is not None:
            spans.append(m.span())
            pos = m.start() + 1  # bigrams overlap: 西安宣言 holds 西安, 安宣 and 宣言
    return _merge(spans)


def _merge(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class Snippet:
    text: str
    spans: list[tuple[int, int]]  # highlighted ranges of `text`

    def marked(self, before: str = "[", after: str = "]") -> str:
        out, pos = [], 0
        for start, end in self.spans:
            out += [self.text[pos:start], before, self.text[start:end], after]
            pos = end
        out.append(self.text[pos:])
        return "".join(out)


def snippet(text: str, tokens: Iterable[str], width: int = 240) -> Snippet:
    """The stretch of about `width` characters showing the most distinct matched words, cut at
    word boundaries, with … where text was cut."""
    text = " ".join(text.split())
    spans = find_matches(text, list(tokens))
    if len(text) <= width:
        return Snippet(text, spans)
    start = 0
    if spans:
        best = (-1, 0)
        for i, (s, _) in enumerate(spans):
            inside = [sp for sp in spans[i:] if sp[1] <= s + width]
            distinct = len({text[a:b].lower() for a, b in inside})
            if (distinct, len(inside)) > best:
                best, start = (distinct, len(inside)), s
        # give the first match some context before it
        start = max(0, start - width // 5)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    if start > 0:
        space = text.find(" ", start, start + 30)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", end - 30, end)
        end = space if space > start else end
    piece = text[start:end]
    inner = [(a - start, b - start) for a, b in spans if a >= start and b <= end]
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return Snippet(prefix + piece + suffix, [(a + len(prefix), b + len(prefix)) for a, b in inner])


def hit_record(hit: SearchHit, width: int = 240, tz: ZoneInfo | None = None) -> dict[str, Any]:
    """One hit as plain data for `--json`: highlight ranges are character offsets.

    `date` is the day it is dated (published, else first seen) in `tz` (UTC by default); a seed
    without a publication date has none (it was loaded, not published, that day)."""
    snip = snippet(hit.text, hit.matched_tokens, width)
    dated = hit.published_at or (None if hit.source == "seed" else hit.first_seen_at)
    day = local_date(dated, tz or ZoneInfo("UTC"))
    title = hit.title or ""
    return {
        "id": hit.id,
        "cluster_id": hit.cluster_id,
        "score": round(hit.score, 4),
        "matched_terms": hit.matched,
        "query_terms": hit.terms,
        "copies": hit.copies,
        "title": title,
        "title_highlights": find_matches(title, hit.matched_tokens),
        "source": hit.source,
        "url": hit.url,
        "published_at": hit.published_at.isoformat() if hit.published_at else None,
        "first_seen_at": hit.first_seen_at.isoformat() if hit.first_seen_at else None,
        "date": day.isoformat() if day else None,
        "language": hit.language,
        "countries": hit.countries or [],
        "is_relevant": hit.is_relevant,
        "snippet": snip.text,
        "snippet_highlights": snip.spans,
    }


# --- --lang checked against the codes an article can get ---------------------------


def _known_language(code: str) -> None:
    from flows.stages.reading.language import LANGUAGE_CODES
    from flows.text import did_you_mean

    if code not in LANGUAGE_CODES:
        raise SearchUsageError(
            f"--lang {code!r}: no article gets that language code{did_you_mean(code, LANGUAGE_CODES)};"
            " use one of " + ", ".join(sorted(LANGUAGE_CODES))
        )
