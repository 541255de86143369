"""Site-aware cleaning: the lines an outlet prints on many of its pages are its template (menus,
footers, share bars, "most read" lists), not its news; they are taken out of the extracted text.

An extractor sees one page; a monitoring pipeline sees every page of an outlet. Each page's
extracted text is cut into lines, hashed as the dedup stage hashes them (flows/stages/stories/dedup.py
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
  rest of its block ("Related news:" and its headlines, which change from page to page), and so
  is a label as short as "Twitter" between the two;
- a recurring paragraph printed on too few pages for the rule above (an outlet seen twice) is
  template when it sits inside the page's template, not beside the story: its neighbours are
  template lines (or the text's edge) and no paragraph of this page alone lies beyond it (the
  "most read" teasers under the story; a background paragraph two stories share stays);
- a long line is also cut into sentences (table cells, a ticker's "10:17" items), whose hashes
  are kept with the page's lines: a run of sentences (a sentence long at least) that `long_pages`
  pages and `long_share` of the outlet's pages print goes from inside a line, as a paragraph
  would (an extractor glued the outlet's ticker or "read also" table to the story); a line made
  only of recurring sentences is left to the line-level rules. With two pages, a shared run is
  as likely the same story printed twice as a template: the dedup stage tells them apart
  (flows/stages/stories/near_duplicates.py).

A story the outlet printed twice (an update, a trimmed republication at a new URL, one story in two
sections) is not template: template lines recur on pages of *different* stories. Another page is
this page's twin when it prints the page's main text, the block of prose (lines of at least
`isolated_tokens` words) holding most of what this page alone prints (else of what only the two
pages print, else the largest), blocks being parted by a list item or two short lines in a row that other pages
print too (a menu, a "Related" heading and its list): its lead (or the line after a rewritten
lead) and at least `twin_share` of the block's words, or `twin_words` words with two
paragraph-long lines (the full story beside its trimmed copy); a block two stories share after
their own leads (a paywall form, "most read" teasers) makes no twins. A
line's count leaves its page's twins out, so the story's paragraphs stay while the menus that
other stories print still go.

Pages with the same lines are counted once (a story the outlet printed at two addresses). An
outlet with one page known has no template: its text is left exactly as extracted, and so is a
text that would lose every line. Pure: what was seen is handed in and taken out as `PageLines`
(storage/templates.py keeps them).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flows.stages.net.urls import host_of
from flows.stages.stories.dedup import Line, Tokens
from storage.records import PageLines


@dataclass(frozen=True)
class TemplateParams:
    window: int = 200  # an outlet's newest pages kept and consulted
    min_pages: int = 2  # a short line printed on this many pages (this one included) is template
    long_tokens: float = 25.0  # a line of this many words (CJK characters: cjk_word) is a paragraph ...
    long_pages: int = 3  # ... template only when printed on this many pages ...
    long_share: float = 0.5  # ... and on this share of the outlet's pages
    cjk_word: float = 1 / 3  # a CJK character as a share of a word: Chinese paragraphs run to 75+
    isolated_tokens: float = 12.0  # neighbours at least this long make a recurring line "inside the story"
    label_tokens: float = 4.0  # a line this short between a template line and a list is the list's label
    twin_share: float = 0.5  # another page printing this share of the main text's words is a twin ...
    twin_words: float = 80.0  # ... or this many of them, two paragraph-long lines among them


# Where a long line is cut into pieces (sentences, table cells, a ticker's "10:17" items) to find a
# template inside it: an extractor sometimes glues a story and the outlet's ticker or "read also"
# table into one line.
_PIECE_END = re.compile(
    r"[.!?\u2026]+[\"'\u00bb\u201d)\]]*\s+|[\u3002\uff01\uff1f]+[\u300d\u201d\u300f\uff09]*\s*|\s\|\s"
    r"|\s(?=\d{1,2}:\d\d\s)"
)


def pieces(raw: str) -> list[str]:
    """A line's sentences (and table cells), each with the spacing after it: they join back to the line."""
    out: list[str] = []
    start = 0
    for m in _PIECE_END.finditer(raw):
        out.append(raw[start : m.end()])
        start = m.end()
    if start < len(raw):
        out.append(raw[start:])
    return out


DEFAULT_TEMPLATE_PARAMS = TemplateParams()


def site_of(url: str) -> str:
    """The site a page belongs to, whatever source brought it: its ASCII host without "www.".

    The host, not the registrable domain: a template is what one site's pages print, and the
    subdomains of one domain are often other sites (ru./kz./en. editions, regional papers, blogs)
    with menus of their own that would thin each other's shares; "www." is the same site."""
    host = host_of(url).lower().rstrip(".")
    return host[4:] if host.startswith("www.") and host.count(".") > 1 else host


def _size(params: TemplateParams, line: Line) -> float:
    """A line's length in words, a CJK character counting `cjk_word`."""
    return line.count - line.no_space() * (1 - params.cjk_word)


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
        keys: list[int | None] = []
        for raw in raws:
            line = tokens.lines(raw)
            sizes.append(_size(self.params, line[0]) if line else -1.0)
            keys.append(line[0].key if line else None)
        seen = [self.printed(k) + (0 if own else 1) if k is not None else 0 for k in keys]
        twins = self._twins(url, raws, keys, sizes, seen, known)
        counts = [self._apart(k, c, twins) if k is not None else 0 for k, c in zip(keys, seen, strict=True)]
        known -= len(twins)
        common = [self._common(c, known) for c in counts]
        marks = [
            sizes[i] >= 0 and (common[i] if sizes[i] >= p.long_tokens else counts[i] >= p.min_pages)
            for i in range(len(raws))
        ]
        marks = self._keep_isolated(marks, common, sizes)
        marks = self._with_lists(raws, marks, sizes)
        marks = self._in_template_blocks(raws, marks, sizes, counts)
        if not any(s >= 0 for s, m in zip(sizes, marks, strict=True) if not m):
            return text  # all template: leave the page as extracted
        return "\n".join(self._runs_out(raws, marks, sizes, own, known, tokens, twins))

    def _apart(self, key: int, count: int, twins: list[frozenset[int]]) -> int:
        """A line's count without the page's twins (the same story printed again is no template)."""
        return count - sum(1 for t in twins if key in t)

    def _twins(
        self,
        url: str,
        raws: list[str],
        keys: list[int | None],
        sizes: list[float],
        seen: list[int],
        known: int,
    ) -> list[frozenset[int]]:
        """The other pages (as line sets) that print this page's main text: the same story again.
        Only pages sharing a recurring prose line are looked at (few: the line sets are compared
        once, the blocks cut only for them)."""
        p = self.params
        recurring = {
            key
            for key, size, count in zip(keys, sizes, seen, strict=True)
            if key is not None and size >= p.isolated_tokens and count >= p.min_pages
        }
        if not recurring:
            return []
        mine = self._pages.get(url)
        out: list[frozenset[int]] = []
        for shape in self._shapes:
            if shape == mine or shape.isdisjoint(recurring):
                continue
            main = self._main_block(raws, keys, sizes, seen, known, shape)
            total = sum(sizes[i] for i in main)
            shared = [sizes[i] for i in main if keys[i] in shape]
            long = sum(1 for size in shared if size >= p.long_tokens)
            lead = any(keys[i] in shape for i in main[:2])  # the lead, or the one after a rewritten lead
            if lead and (sum(shared) >= p.twin_share * total or (sum(shared) >= p.twin_words and long >= 2)):
                out.append(shape)
        return out

    def _main_block(
        self,
        raws: list[str],
        keys: list[int | None],
        sizes: list[float],
        seen: list[int],
        known: int,
        other: frozenset[int],
    ) -> list[int]:
        """The prose lines of the page's main block, as seen beside the page `other`: blocks are
        parted by a list item or by two short lines in a row that pages other than `other` print
        (a menu, a heading and its list); the main one holds most of what only this page prints,
        else of what only it and `other` print, else most prose."""
        p = self.params
        blocks: list[list[int]] = [[]]
        apart = [c - (1 if k is not None and k in other else 0) for k, c in zip(keys, seen, strict=True)]
        chrome = 0
        for i, size in enumerate(sizes):
            if size < 0:
                continue
            if size < p.isolated_tokens:
                item = raws[i].lstrip().startswith("- ")
                if item or apart[i] >= p.min_pages:
                    chrome = 2 if item else chrome + 1
                    if chrome >= 2 and blocks[-1]:
                        blocks.append([])
                continue
            chrome = 0
            if not self._common(seen[i], known):
                blocks[-1].append(i)

        def weight(block: list[int]) -> tuple[float, float, float]:
            alone = sum(sizes[i] for i in block if seen[i] < p.min_pages)
            return alone, sum(sizes[i] for i in block if apart[i] < p.min_pages), sum(sizes[i] for i in block)

        return max(blocks, key=weight)

    def _common(self, count: int, known: int) -> bool:
        return count >= self.params.long_pages and count >= self.params.long_share * known

    def _in_template_blocks(
        self, raws: list[str], marks: list[bool], sizes: list[float], counts: list[int]
    ) -> list[bool]:
        """A recurring line (a paragraph on fewer pages than `_common` asks, a short one kept as
        isolated) inside the page's template: a neighbour is template, the other is template,
        recurring or the text's edge, and no paragraph of this page alone lies beyond it ("most
        read" teasers under the story, a sidebar's digest). A recurring paragraph next to the story
        (a background paragraph two stories share) stays."""
        p = self.params
        lines = [i for i, s in enumerate(sizes) if s >= 0]
        own = [i for i in lines if counts[i] < p.min_pages and sizes[i] >= p.isolated_tokens]
        if not own:
            return marks
        first, last = own[0], own[-1]
        out = list(marks)
        changed = True
        while changed:
            changed = False
            for pos, i in enumerate(lines):
                if out[i] or counts[i] < p.min_pages or first <= i <= last:
                    continue
                near = [lines[q] for q in (pos - 1, pos + 1) if 0 <= q < len(lines)]
                if any(out[j] for j in near) and all(out[j] or counts[j] >= p.min_pages for j in near):
                    out[i] = changed = True
            if changed:
                out = self._with_lists(raws, out, sizes)
        return out

    def _runs_out(
        self,
        raws: list[str],
        marks: list[bool],
        sizes: list[float],
        own: bool,
        known: int,
        tokens: Tokens,
        twins: list[frozenset[int]],
    ) -> list[str]:
        """The lines kept, a long one without the run of sentences it may hold that most of the
        outlet's pages print (a ticker or "read also" table glued to the story by the extractor)."""
        p = self.params
        out: list[str] = []
        for i, raw in enumerate(raws):
            if marks[i]:
                continue
            parts = pieces(raw) if sizes[i] >= p.long_tokens else []
            if len(parts) < 2:
                out.append(raw)
                continue
            sized: list[tuple[float, int]] = []
            merged: list[str] = []
            for part in parts:
                cut = tokens.lines(part)
                if not cut and merged:  # "| " alone: with the piece before it
                    merged[-1] += part
                    continue
                count = (
                    self._apart(cut[0].key, self.printed(cut[0].key) + (0 if own else 1), twins)
                    if cut
                    else p.min_pages
                )
                sized.append((_size(self.params, cut[0]) if cut else 0.0, count))
                merged.append(part)
            parts = merged
            drop = [False] * len(parts)
            j = 0
            while j < len(parts):
                if sized[j][1] < p.min_pages:
                    j += 1
                    continue
                k = j
                while k < len(parts) and sized[k][1] >= p.min_pages:
                    k += 1
                run = sized[j:k]
                if (
                    (j, k) != (0, len(parts))
                    and all(self._common(c, known) for _, c in run)
                    and sum(size for size, _ in run) >= p.isolated_tokens
                ):
                    drop[j:k] = [True] * (k - j)
                j = k
            out.append("".join(part for part, d in zip(parts, drop, strict=True) if not d).rstrip())
        return out

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

    def _with_lists(self, raws: list[str], marks: list[bool], sizes: list[float]) -> list[bool]:
        """List items that follow a template line belong to its block, and so does a label as short
        as "Twitter" between the two."""
        out = list(marks)
        lines = [i for i, s in enumerate(sizes) if s >= 0]
        after_template = False
        for pos, i in enumerate(lines):
            label = (
                sizes[i] < self.params.label_tokens
                and pos + 1 < len(lines)
                and raws[lines[pos + 1]].lstrip().startswith("- ")
            )
            if out[i]:
                after_template = True
            elif after_template and (label or raws[i].lstrip().startswith("- ")):
                out[i] = True
            else:
                after_template = False
        return out


CUT_LINES_KEPT = 100_000


class Templates:
    """Every site's template (keyed by `site_of` the page, whatever source brought it), as learnt from
    its pages: loaded from storage, grown page by page."""

    def __init__(self, params: TemplateParams = DEFAULT_TEMPLATE_PARAMS) -> None:
        self.params = params
        self.tokens = Tokens(light=True)
        self._sites: dict[str, SiteTemplate] = {}
        self._loaded: set[str] = set()

    def loaded(self, site: str) -> bool:
        return site in self._loaded

    def load(self, key: str, pages: Iterable[PageLines]) -> None:
        """The pages storage kept for the site `key`, in any order (newest first, as storage gives them)."""
        site = self._site(key)
        for page in sorted(pages, key=lambda pl: (pl.seen_at, pl.url)):
            if page.url not in site._pages:
                site.add(page.url, page.line_keys)
        self._loaded.add(key)

    def _site(self, key: str) -> SiteTemplate:
        site = self._sites.get(key)
        if site is None:
            site = self._sites[key] = SiteTemplate(self.params)
        return site

    def pages(self, key: str) -> int:
        site = self._sites.get(key)
        return site.pages if site is not None else 0

    def _tokens(self) -> Tokens:
        # a long run: forget the lines cut so far (a batch of 100 pages cuts 10,000 to 20,000).
        # Light lines: 200,000 lines with their tokens held 250 MB in a 5,000-page ingest
        if self.tokens.size() > CUT_LINES_KEPT:
            self.tokens = Tokens(light=True)
        return self.tokens

    def observe(self, key: str, url: str, text: str, seen_at: datetime) -> PageLines:
        """Learn a page's lines (its text as extracted, template included); what storage keeps of it."""
        tokens = self._tokens()
        found = {line.key for line in tokens.lines(text)}
        for raw in text.splitlines():  # a long line's sentences too: a template may hide inside one
            cut = tokens.lines(raw)
            if cut and _size(self.params, cut[0]) >= self.params.long_tokens:
                parts = pieces(raw)
                if len(parts) > 1:  # not a lone "The" that a short line elsewhere would match
                    found.update(
                        line.key
                        for part in parts
                        for line in tokens.lines(part)
                        if _size(self.params, line) >= self.params.label_tokens
                    )
        keys = tuple(sorted(found))
        self._site(key).add(url, keys)
        return PageLines(key, url, seen_at, keys)

    def clean(self, key: str, url: str, text: str) -> str:
        site = self._sites.get(key)
        if site is None:
            return text
        return site.clean(url, text, self._tokens())
