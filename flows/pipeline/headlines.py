"""Headlines in the ingest: each page's title chosen again once its site's affixes are known
(flows/stages/reading/titles.py), before the batch is cleaned and stored.

The analysis workers choose a title from what one page states (the site's name is dropped where
the page names it). Here the run knows every page of the site it fetched and the titles storage
kept of the site's earlier pages (storage/titles.py, by host), so a site's affix ("... - Фергана",
"..._财经_凤凰网") and its slogan are learnt and dropped. A record whose title changes is analysed
again (relevance reads the title: "Фергана" is a place) unless its cleaning analyses it anyway.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from flows.stages.net.urls import host_of
from flows.stages.reading.titles import PageTitles, SiteTitles, choose
from storage import ArticleRecord, DatabaseBusy, Store
from storage.titles import PageTitle

Retext = Callable[[Sequence[tuple[ArticleRecord, str, str | None]]], list[ArticleRecord]]


class SiteHeadlines:
    """The sites' titles of one run (and those storage kept), and the batch's titles chosen by them."""

    def __init__(self, keep: int = 50, enabled: bool = True) -> None:
        self.keep = keep  # titles a host keeps in storage
        self.enabled = enabled
        self.sites: dict[str, SiteTitles] = {}
        self._unsaved: list[PageTitle] = []
        self.changed = 0

    def load(self, store: Store | None, hosts: Sequence[str]) -> None:
        """What storage kept of these hosts' titles (nothing when the database is busy or absent)."""
        wanted = sorted({h for h in hosts if h and h not in self.sites})
        kept = {}
        if store is not None and wanted:
            try:
                kept = store.site_titles(wanted, self.keep)
            except DatabaseBusy:
                kept = {}
        for host in wanted:
            site = self.sites[host] = SiteTitles()
            for page in reversed(kept.get(host, [])):
                site.observe(page.url, page.title)

    def choose(self, records: Sequence[ArticleRecord], store: Store | None = None) -> list[ArticleRecord]:
        """The batch learnt (each page's printed title), then each page's title chosen again."""
        if not self.enabled:
            return list(records)
        pages = [r for r in records if isinstance(r.page_titles, PageTitles)]
        self.load(store, [host_of(r.canonical_url) for r in pages])
        for rec in pages:
            printed = rec.page_titles.title or rec.page_titles.og
            host = host_of(rec.canonical_url)
            if printed and host:
                self.sites[host].observe(rec.canonical_url, printed)
                self._unsaved.append(PageTitle(host, rec.canonical_url, rec.first_seen_at, printed))
        out = []
        for rec in records:
            title = rec.title
            if isinstance(rec.page_titles, PageTitles):
                host = host_of(rec.canonical_url)
                title = choose(rec.page_titles.feed, rec.page_titles, self.sites.get(host), host)
                self.changed += title != rec.title
            out.append(dataclasses.replace(rec, title=title, page_titles=None))  # none spooled
        return out

    def take_unsaved(self) -> list[PageTitle]:
        taken, self._unsaved = self._unsaved, []
        return taken

    def save(self, store: Store, titles: Sequence[PageTitle]) -> None:
        """Keep the titles learnt (after their batch is stored)."""
        if titles:
            store.add_site_titles(titles, self.keep)


def reanalysed(
    before: Sequence[ArticleRecord], after: Sequence[ArticleRecord], retext: Retext
) -> list[ArticleRecord]:
    """`after` (the batch cleaned) with the records whose title changed but whose text did not
    analysed again: relevance reads the title. Cleaned texts were analysed with the new title."""
    todo = {
        i: (rec, rec.text, None)
        for i, (old, rec) in enumerate(zip(before, after, strict=True))
        if rec.title != old.title and rec.text == old.text
    }
    out = list(after)
    if todo:
        for i, rec in zip(todo, retext(list(todo.values())), strict=True):
            out[i] = rec
    return out
