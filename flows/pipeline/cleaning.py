"""Site-aware cleaning in the ingest: each article's text loses its site's template
(flows/stages/reading/templates.py) and its inline related-link and counter lines
(flows/stages/reading/related_lines.py) before it is stored, so search, relevance, watches, dedup
and the digest read the story, not the outlet's menus, sidebars and "Also read" lines.

The template is keyed by the page's site (`site_of`: its host), whatever source brought it, and
learnt from the site's pages: those storage kept (storage/templates.py, the newest of each site,
shared by every source and every lake shard) and those of this run. A site with fewer than
`hold_until` pages known has its articles held back until it has that many, or until the run's
last batch, so that even a first run cleans every page with all the pages it fetched (a site seen
once is stored as extracted). Held articles are bounded (`max_held`); past it the oldest go as
they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from flows.stages.reading.related_lines import without_related_lines
from flows.stages.reading.templates import DEFAULT_TEMPLATE_PARAMS, TemplateParams, Templates, site_of
from storage import ArticleRecord, DatabaseBusy, Store
from storage.records import PageLines

T = TypeVar("T")  # what travels with a record (the ingest's poll)


class SiteCleaner(Generic[T]):
    """Holds, cleans and re-analyses one run's articles by their site's template."""

    def __init__(
        self,
        retext: Callable[[Sequence[tuple[ArticleRecord, str, str | None]]], list[ArticleRecord]],
        language_hints: dict[str, str | None] | None = None,
        params: TemplateParams = DEFAULT_TEMPLATE_PARAMS,
        hold_until: int = 5,
        max_held: int = 2000,
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled  # false: articles pass as they come, texts as extracted
        self.templates = Templates(params)
        self._retext = retext  # records with new texts analysed again: AnalysisPool.retext
        self.hints = language_hints or {}
        self.hold_until = hold_until
        self.max_held = max_held
        self._arrived: Counter[str] = Counter()  # this run's pages per site
        self._held: dict[str, list[tuple[T, ArticleRecord]]] = {}
        self._order: list[str] = []  # sites with held articles, the oldest hold first
        self._store: Store | None = None  # where the sites a batch brings unannounced are looked up
        self._unsaved: list[PageLines] = []
        self.cleaned = 0

    def load(self, store: Store, sites: Sequence[str]) -> None:
        """What storage kept of these sites' pages (nothing when the database is busy); a site a
        batch brings later (a redirect to another host) is looked up in `store` then."""
        self._store = store
        wanted = [s for s in sites if not self.templates.loaded(s)]
        if not wanted:
            return
        try:
            kept = store.site_page_lines(wanted, self.templates.params.window)
        except DatabaseBusy:
            kept = {}
        for site in wanted:
            self.templates.load(site, kept.get(site, ()))

    def _known(self, site: str) -> int:
        return self.templates.pages(site) + self._arrived[site]

    def arrive(self, tag: T, rec: ArticleRecord) -> list[tuple[T, ArticleRecord]]:
        """An analysed article: the articles that may go to storage now (it, others, or none)."""
        if rec.extraction != "page" or not self.enabled:
            return [(tag, rec)]
        site = site_of(rec.canonical_url)
        known_before = self._known(site)
        self._arrived[site] += 1
        if known_before >= self.hold_until:
            return [(tag, rec)]
        held = self._held.setdefault(site, [])
        if not held:
            self._order.append(site)
        held.append((tag, rec))
        if self._known(site) >= self.hold_until:
            return self._release(site)
        out: list[tuple[T, ArticleRecord]] = []
        while sum(len(v) for v in self._held.values()) > self.max_held and self._order:
            out += self._release(self._order[0])
        return out

    def _release(self, site: str) -> list[tuple[T, ArticleRecord]]:
        if site in self._order:
            self._order.remove(site)
        return self._held.pop(site, [])

    def release_all(self) -> list[tuple[T, ArticleRecord]]:
        out: list[tuple[T, ArticleRecord]] = []
        while self._order:
            out += self._release(self._order[0])
        return out

    def clean(self, records: Sequence[ArticleRecord]) -> list[ArticleRecord]:
        """The batch learnt (each page's lines as extracted), then each text without its site's
        template and its related-link and counter lines; a changed text is analysed again."""
        if not self.enabled:
            return list(records)
        pages = [r for r in records if r.extraction == "page"]
        sites = {id(rec): site_of(rec.canonical_url) for rec in pages}
        if self._store is not None:
            self.load(self._store, sorted(set(sites.values())))
        for rec in pages:
            self._unsaved.append(
                self.templates.observe(sites[id(rec)], rec.canonical_url, rec.text, rec.first_seen_at)
            )
        changed: dict[int, tuple[ArticleRecord, str, str | None]] = {}
        for i, rec in enumerate(records):
            if rec.extraction == "page":
                text = self.templates.clean(sites[id(rec)], rec.canonical_url, rec.text)
                text = without_related_lines(text)
                if text != rec.text:
                    changed[i] = (rec, text, self.hints.get(rec.source))
        out = list(records)
        if changed:
            for i, rec in zip(changed, self._retext(list(changed.values())), strict=True):
                out[i] = rec
            self.cleaned += len(changed)
        return out

    def take_unsaved(self) -> tuple[list[PageLines], int]:
        """The pages learnt since the last save and how many a site keeps, to be stored with a
        batch; `put_back` them if the batch is not stored."""
        taken, self._unsaved = self._unsaved, []
        return taken, self.templates.params.window

    def put_back(self, pages: Sequence[PageLines]) -> None:
        self._unsaved = [*pages, *self._unsaved]

    def save(self, store: Store) -> None:
        """Keep the pages learnt since the last save (after their batch is stored)."""
        if self._unsaved:
            store.add_site_page_lines(self._unsaved, self.templates.params.window)
            self._unsaved = []
