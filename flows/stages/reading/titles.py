"""Headlines: the story's title, not the site's name, slogan or a sidebar's heading (issue 27).

A page states its headline in several places: the feed's entry, JSON-LD `headline`, Open Graph's
`og:title` (and Twitter's), the `<h1>`, the `<title>`. Most of them carry the site's affix
("... - Фергана", "... : REGNUM", "..._财经_凤凰网", "| Kun.uz", "【...】"), and some pages put the
site's slogan or a sidebar's heading ("ссылки по теме") in one of them. The headline is the
candidate the others agree with, each without its site's affix.

A site's affix is learnt from the titles of its pages (`SiteTitles`, keyed by host): a leading
or trailing part, cut off by a separator (| - – — : _ · ::, or 【】 brackets), that at least two
different titles of the site share. A site seen once has no learnt affix; only a part that names
the site (its `og:site_name`, or its host) is dropped then. A whole title that the site printed on
two different pages is its slogan, not a headline.

Pure: strings in, strings out (the page's candidates are read from its parsed tree).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

# A separator between a headline and a site's affix: spaced | - – — : · :: or an unspaced _ (as
# CJK sites print it), or a bracketed 【affix】 at either end.
_SEPARATOR = re.compile(r"\s+(?:[|\-–—:·•»/]|::)\s+|\s*_\s*|\s+(?=【)|(?<=】)\s*|\s*【|】\s*")
_BRACKETED = re.compile(r"^【([^】]{1,40})】\s*|\s*【([^】]{1,40})】$")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_CANDIDATES = 3  # h1 elements looked at
_SLOGAN_PAGES = 3
_SECTION = 12  # characters: a site's section name before its affix, at most
_SLOT = "\x00"  # marks a learnt tail that a section's name precedes
_MAX_AFFIX = 60  # characters: longer parts are headlines of their own, not affixes


@functools.lru_cache(maxsize=1 << 16)  # a site's titles are folded again each time it learns one
def fold(text: str) -> str:
    """Case, width, punctuation and spacing folded: how two titles are compared."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def clean(text: str | None) -> str:
    """Spacing folded; the characters stay as printed (full-width punctuation is the page's own)."""
    return _SPACES.sub(" ", text or "").strip()


@dataclass(frozen=True)
class PageTitles:
    """The headline's candidates a page states, most trusted first (as printed: affixes kept)."""

    json_ld: str | None = None
    og: str | None = None  # og:title, or twitter:title
    h1: tuple[str, ...] = ()
    title: str | None = None
    site_name: str | None = None
    feed: str | None = None  # the feed entry's title, when a feed gave the page

    def stated(self) -> list[tuple[str, bool]]:
        """Every candidate, metadata first, then the h1s, then the <title>; true for an h1 (a
        heading of the page, which may be a sidebar's or a section's)."""
        out = [(t, False) for t in (self.json_ld, self.og) if t]
        out += [(t, True) for t in self.h1]
        if self.title:
            out.append((self.title, False))
        return out


def _json_ld_headlines(tree: HtmlElement) -> Iterator[str]:
    """`headline` (or an article's `name`) of the page's JSON-LD objects, outermost first."""
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        try:
            queue: list[Any] = [json.loads(script.text or "", strict=False)]
        except ValueError:
            continue
        while queue:
            item = queue.pop(0)
            if isinstance(item, dict):
                key = "headline" if "headline" in item else "name"
                if (key == "headline" or "Article" in str(item.get("@type", ""))) and isinstance(
                    value := item.get(key), str
                ):
                    yield value
                queue.extend(v for v in item.values() if isinstance(v, (dict, list)))
            elif isinstance(item, list):
                queue.extend(item)


def _meta(tree: HtmlElement, *names: str) -> str | None:
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").lower()
        if key in names and (content := clean(meta.get("content"))):
            return content
    return None


def page_titles(tree: HtmlElement) -> PageTitles:
    """The candidates of a parsed page."""
    json_ld = next((clean(h) for h in _json_ld_headlines(tree) if clean(h)), None)
    h1s = []
    for node in tree.iter("h1"):
        text = clean(node.text_content())
        if text and text not in h1s:
            h1s.append(text)
        if len(h1s) >= _CANDIDATES:
            break
    title_node = tree.find(".//title")
    title = clean(title_node.text_content()) if title_node is not None else None
    return PageTitles(
        json_ld=json_ld,
        og=_meta(tree, "og:title", "twitter:title"),
        h1=tuple(h1s),
        title=title or None,
        site_name=_meta(tree, "og:site_name", "application-name"),
    )


def parts(title: str) -> list[str]:
    """A title cut at its separators (the separators dropped), bracketed affixes apart."""
    return [p for p in (s.strip() for s in _SEPARATOR.split(title)) if p]


def _split_points(title: str) -> list[tuple[int, int]]:
    """(start, end) of every separator in the title."""
    return [(m.start(), m.end()) for m in _SEPARATOR.finditer(title) if m.end() > m.start()]


@functools.lru_cache(maxsize=1 << 14)  # a site learns its titles' affixes again at each batch
def heads_and_tails(title: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every leading and trailing run of parts the separators allow, folded: the affixes a title
    could carry ("A - B - C" has heads "a", "a b" and tails "c", "b c")."""
    heads, tails = [], []
    for start, end in _split_points(title):
        head, tail = title[:start], title[end:]
        if fold(head) and fold(tail):
            if len(head) <= _MAX_AFFIX:
                heads.append(fold(head))
            if len(tail) <= _MAX_AFFIX:
                tails.append(fold(tail))
    return tuple(heads), tuple(tails)


def _names_site(part: str, site_names: Iterable[str]) -> bool:
    folded = fold(part).replace(" ", "")
    return bool(folded) and any(folded == n for n in site_names)


def host_names(host: str | None, site_name: str | None = None) -> set[str]:
    """How a site names itself, folded without spaces: its `og:site_name` and its host's labels
    ("kun.uz" gives "kunuz" and "kun")."""
    names: set[str] = set()
    if site_name:
        names.add(fold(site_name).replace(" ", ""))
    if host:
        labels = [lab for lab in host.lower().split(".") if lab not in ("www", "m", "amp")]
        if labels:
            names.add("".join(labels))
            names.add(labels[0])
    names.discard("")
    return names


@dataclass
class SiteTitles:
    """The titles of one site's pages, by URL: its affixes and slogans, learnt from them."""

    titles: dict[str, str] = field(default_factory=dict)  # url -> title as printed
    # what affixes() and slogans() learnt, until a title changes: a batch asks for each page
    _learnt: tuple[tuple[set[str], set[str]], set[str]] | None = field(
        default=None, repr=False, compare=False
    )

    def observe(self, url: str, title: str | None) -> None:
        if title and clean(title) and self.titles.get(url) != clean(title):
            self.titles[url] = clean(title)
            self._learnt = None

    def learnt(self) -> tuple[tuple[set[str], set[str]], set[str]]:
        """The affixes and the slogans, computed once for the titles seen so far."""
        if self._learnt is None:
            counts = self._counts()
            self._learnt = (self._affixes(*counts[:2]), self._slogans(counts[2]))
        return self._learnt

    def _counts(self) -> tuple[Counter[str], Counter[str], Counter[str]]:
        """How many different titles print each head, each tail, each whole title (folded)."""
        heads: Counter[str] = Counter()
        tails: Counter[str] = Counter()
        whole: Counter[str] = Counter()
        seen: set[str] = set()
        for title in self.titles.values():
            whole[fold(title)] += 1
            if fold(title) in seen:
                continue  # one page stored at two addresses learns nothing twice
            seen.add(fold(title))
            h, t = heads_and_tails(title)
            heads.update(set(h))
            tails.update(set(t))
        return heads, tails, whole

    def affixes(self) -> tuple[set[str], set[str]]:
        """Heads and tails that at least two different titles print. A tail also stands for the
        short part before it when two titles of the site put one there: the section of
        "..._财经_凤凰网" and "..._科技_凤凰网" is an affix, each section's name printed once."""
        return self.learnt()[0]

    def slogans(self) -> set[str]:
        """Whole titles printed on three different pages of the site (folded): its slogan or
        name. Two is not enough: a story republished at a new address keeps its headline."""
        return self.learnt()[1]

    def _affixes(self, heads: Counter[str], tails: Counter[str]) -> tuple[set[str], set[str]]:
        learnt = {t for t, n in tails.items() if n >= 2}
        slots: Counter[str] = Counter()
        for title in {fold(t): t for t in self.titles.values()}.values():
            points = _split_points(title)
            for (_, end), (start, _) in zip(points, points[1:], strict=False):
                section = title[end:start]
                if fold(title[start:]) in learnt and len(section) <= _SECTION:
                    slots[fold(title[start:])] += 1
        learnt |= {_SLOT + t for t, n in slots.items() if n >= 2}
        return {h for h, n in heads.items() if n >= 2}, learnt

    @staticmethod
    def _slogans(whole: Counter[str]) -> set[str]:
        return {t for t, n in whole.items() if n >= _SLOGAN_PAGES}


def strip_affixes(
    title: str,
    heads: AbstractSet[str] = frozenset(),
    tails: AbstractSet[str] = frozenset(),
    names: AbstractSet[str] = frozenset(),
) -> str:
    """`title` without the longest learnt head and tail, and without leading or trailing parts
    that name the site; never empty (a title that is all affix stays as it is)."""
    out = clean(title)
    for _ in range(4):  # "Section - Headline - Site" loses both, one side at a time
        before = out
        points = _split_points(out)
        for i, (start, end) in enumerate(points):  # the longest tail first
            tail = out[end:]
            if fold(out[:start]) and (fold(tail) in tails or _names_site(tail, names)):
                if i and _SLOT + fold(tail) in tails and len(out[points[i - 1][1] : start]) <= _SECTION:
                    start = points[i - 1][0] if fold(out[: points[i - 1][0]]) else start
                out = out[:start].strip()
                break
        for start, end in reversed(_split_points(out)):  # the longest head first
            head = out[:start]
            if fold(out[end:]) and (fold(head) in heads or _names_site(head, names)):
                out = out[end:].strip()
                break
        if out == before:
            break
    bracket = _BRACKETED.search(out)
    if bracket and _names_site(bracket.group(1) or bracket.group(2) or "", names):
        out = _BRACKETED.sub("", out, count=1).strip() or out
    return out


def _agrees(a: str, b: str) -> bool:
    """One candidate is the other, or holds it whole (a headline and its longer <title>)."""
    fa, fb = fold(a), fold(b)
    return bool(fa and fb) and (fa == fb or (len(fa) >= 8 and fa in fb) or (len(fb) >= 8 and fb in fa))


def choose(
    feed_title: str | None,
    page: PageTitles,
    site: SiteTitles | None = None,
    host: str | None = None,
) -> str | None:
    """The headline: the feed's title when it has one (it is the outlet's word on this entry),
    unless it is cut short ("…") and the page holds it whole; otherwise the page's candidate the
    others agree with most, metadata before <h1> before <title>. Each loses the site's affixes;
    a candidate that is the site's slogan, or printed on the site's other pages, is no headline."""
    (heads, tails), slogans = site.learnt() if site is not None else ((set(), set()), set())
    names = host_names(host, page.site_name)

    def bare(t: str) -> str:
        return strip_affixes(t, heads, tails, names)

    every = [(bare(t), h1) for t, h1 in page.stated() if bare(t)]
    kept = [(t, h1) for t, h1 in every if fold(t) not in slogans and fold(t) not in names] or every
    stated = [t for t, _ in kept]
    feed = bare(feed_title) if feed_title and clean(feed_title) else ""
    if feed and (fold(feed) not in slogans or not stated):
        if feed.endswith(("…", "...")):
            stem = fold(feed.rstrip(". …"))
            longer = [t for t in stated if stem and fold(t).startswith(stem) and len(t) > len(feed)]
            if longer:
                return longer[0]
        return feed
    if not stated:
        return None
    support = [sum(_agrees(t, o) for j, o in enumerate(stated) if j != i) for i, t in enumerate(stated)]
    # agreed with: the most agreed, metadata first; alone: an h1 last (it may head a sidebar)
    best = max(range(len(stated)), key=lambda i: (support[i], not kept[i][1] or support[i] > 0, -i))
    return stated[best]
