"""Site-aware cleaning: the lines an outlet prints on many of its pages are its template (menus,
footers, share bars, "most read" lists), not its news; they are taken out of the extracted text.

An extractor sees one page; a monitoring pipeline sees every page of an outlet. Each page's
extracted text is cut into lines, hashed as the dedup stage hashes them (flows/stages/dedup.py
`Tokens`, `line_keys`: case, accents and punctuation folded), and the outlet's recent pages say
how many of them print each line:

- a short line (under `long_tokens` words; a CJK character counts as a third of a word) printed on at
  least `min_pages` of the outlet's pages, this one included, is template: menu items, section
  names, copyright lines, "Share this" bars;
- a paragraph-long line must be printed on `long_pages` pages and on `long_share` of all the
  outlet's pages known: a footer "about us" paragraph is on nearly every page, while a background
  paragraph or a quote the outlet repeats in a few stories on one subject is not;
- a recurring line alone between two paragraphs of the story (not in a run of template lines) is
  kept unless it reaches `long_share`: a quote or a standard paragraph inside a story, not a block
  of the page around it;
- list items ("- " lines, as the extractor writes them) that follow a template line are the
  rest of its block ("Related news:" and its headlines, which change from page to page).

Pages with the same lines are counted once (a story the outlet printed at two addresses). An
outlet with one page known has no template: its text is left exactly as extracted, and so is a
text that would lose every line. Pure: what was seen is handed in and taken out as `PageLines`
(storage/templates.py keeps them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flows.stages.dedup import Tokens
from storage.templates import PageLines


@dataclass(frozen=True)
class TemplateParams:
    window: int = 200  # an outlet's newest pages kept and consulted
    min_pages: int = 2  # a short line printed on this many pages (this one included) is template
    long_tokens: float = 25.0  # a line of this many words (CJK characters: cjk_word) is a paragraph ...
    long_pages: int = 3  # ... template only when printed on this many pages ...
    long_share: float = 0.5  # ... and on this share of the outlet's pages
    cjk_word: float = 1 / 3  # a CJK character as a share of a word: Chinese paragraphs run to 75+
    isolated_tokens: float = 12.0  # neighbours at least this long make a recurring line "inside the story"


DEFAULT_TEMPLATE_PARAMS = TemplateParams()


class SiteTemplate:
    """One outlet's recent pages as sets of line keys, and how many distinct pages print each line."""

    def __init__(self, params: TemplateParams = DEFAULT_TEMPLATE_PARAMS) -> None:
        self.params = params
        self._pages: dict[str, frozenset[int]] = {}  # url -> its line keys, oldest first
        self._shapes: Counter[frozenset[int]] = Counter()  # pages with the same lines count once
        self._counts: Counter[int] = Counter()

    @property
    def pages(self) -> int:
        """Distinct pages known."""
        return len(self._shapes)

    def add(self, url: str, keys: Iterable[int]) -> None:
        """Learn a page (again: its new lines replace the old); the oldest page beyond the window goes."""
        self._forget(url)
        shape = frozenset(keys)
        self._pages[url] = shape
        self._shapes[shape] += 1
        if self._shapes[shape] == 1:
            self._counts.update(shape)
        while len(self._pages) > self.params.window:
            self._forget(next(iter(self._pages)))

    def _forget(self, url: str) -> None:
        shape = self._pages.pop(url, None)
        if shape is None:
            return
        self._shapes[shape] -= 1
        if self._shapes[shape] == 0:
            del self._shapes[shape]
            self._counts.subtract(shape)

    def printed(self, key: int) -> int:
        return self._counts.get(key, 0)

    def clean(self, url: str, text: str, tokens: Tokens) -> str:
        """`text` without this outlet's template lines (the text itself when nothing is known)."""
        p = self.params
        own = url in self._pages
        known = self.pages + (0 if own else 1)
        if known < 2:
            return text
        raws = text.splitlines()
        sizes: list[float] = []
        counts: list[int] = []
        for raw in raws:
            line = tokens.lines(raw)
            if not line:
                sizes.append(-1.0)
                counts.append(0)
                continue
            no_space = line[0].no_space()
            sizes.append(len(line[0].tokens) - no_space * (1 - p.cjk_word))
            counts.append(self.printed(line[0].key) + (0 if own else 1))
        common = [c >= p.long_pages and c >= p.long_share * known for c in counts]
        marks = [
            sizes[i] >= 0 and (common[i] if sizes[i] >= p.long_tokens else counts[i] >= p.min_pages)
            for i in range(len(raws))
        ]
        marks = self._keep_isolated(marks, common, sizes)
        marks = self._with_lists(raws, marks, sizes)
        kept = [raw for raw, mark in zip(raws, marks, strict=True) if not mark]
        if not any(s >= 0 for s, m in zip(sizes, marks, strict=True) if not m):
            return text  # all template: leave the page as extracted
        return "\n".join(kept)

    def _keep_isolated(self, marks: list[bool], common: list[bool], sizes: list[float]) -> list[bool]:
        """A recurring line between two paragraphs of the story stays, unless most pages print it."""
        lines = [i for i, s in enumerate(sizes) if s >= 0]
        out = list(marks)
        for pos, i in enumerate(lines):
            if not marks[i] or common[i] or pos == 0 or pos == len(lines) - 1:
                continue
            before, after = lines[pos - 1], lines[pos + 1]
            if (
                not marks[before]
                and not marks[after]
                and sizes[before] >= self.params.isolated_tokens
                and sizes[after] >= self.params.isolated_tokens
            ):
                out[i] = False
        return out

    @staticmethod
    def _with_lists(raws: list[str], marks: list[bool], sizes: list[float]) -> list[bool]:
        """List items that follow a template line belong to its block."""
        out = list(marks)
        after_template = False
        for i, raw in enumerate(raws):
            if sizes[i] < 0:
                continue
            if out[i]:
                after_template = True
            elif after_template and raw.lstrip().startswith("- "):
                out[i] = True
            else:
                after_template = False
        return out


class Templates:
    """Every outlet's template, as learnt from its pages: loaded from storage, grown page by page."""

    def __init__(self, params: TemplateParams = DEFAULT_TEMPLATE_PARAMS) -> None:
        self.params = params
        self.tokens = Tokens()
        self._sites: dict[str, SiteTemplate] = {}
        self._loaded: set[str] = set()

    def loaded(self, source: str) -> bool:
        return source in self._loaded

    def load(self, source: str, pages: Iterable[PageLines]) -> None:
        """The pages storage kept for `source`, in any order (newest first, as storage gives them)."""
        site = self._site(source)
        for page in sorted(pages, key=lambda pl: (pl.seen_at, pl.url)):
            if page.url not in site._pages:
                site.add(page.url, page.line_keys)
        self._loaded.add(source)

    def _site(self, source: str) -> SiteTemplate:
        site = self._sites.get(source)
        if site is None:
            site = self._sites[source] = SiteTemplate(self.params)
        return site

    def pages(self, source: str) -> int:
        site = self._sites.get(source)
        return site.pages if site is not None else 0

    def _tokens(self) -> Tokens:
        if self.tokens.size() > 200_000:  # a long run: forget the lines cut so far
            self.tokens = Tokens()
        return self.tokens

    def observe(self, source: str, url: str, text: str, seen_at: datetime) -> PageLines:
        """Learn a page's lines (its text as extracted, template included); what storage keeps of it."""
        keys = tuple(sorted({line.key for line in self._tokens().lines(text)}))
        self._site(source).add(url, keys)
        return PageLines(source, url, seen_at, keys)

    def clean(self, source: str, url: str, text: str) -> str:
        site = self._sites.get(source)
        if site is None:
            return text
        return site.clean(url, text, self._tokens())
