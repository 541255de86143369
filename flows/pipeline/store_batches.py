"""Storing one run's analysed articles in batches: each batch cleaned by its outlets' templates,
written to the spool, then stored; once the database stays busy, the rest of the run only spools.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from flows.pipeline.cleaning import SiteCleaner
from flows.pipeline.headlines import Retext, SiteHeadlines, reanalysed
from flows.pipeline.insert import insert_with_dedup
from flows.pipeline.polling import Poll
from flows.progress import Reporter
from flows.stages.stories.near_duplicates import SiteLines
from storage import ArticleRecord, DatabaseBusy, InsertResult, Store
from storage.spool import Spool
from storage.titles import PageTitle

BATCH_SIZE = 100


class BatchWriter:
    """The run's batch under way and where its batches go.

    A batch is on disk (the spool) before the database is tried, so a crash or a busy database
    loses nothing: the next run stores what the spool kept. If the database stays busy past the
    store's lock_timeout, `busy` says why and later batches only spool. Each stored article is
    counted on its poll's report (new, duplicate, or known when another writer stored it first);
    a spooled one as spooled.
    """

    def __init__(
        self,
        store: Store,
        spool: Spool,
        run_id: int,
        cleaner: SiteCleaner[Poll],
        reporter: Reporter,
        busy: str | None = None,
        headlines: tuple[SiteHeadlines, Retext] | None = None,
    ) -> None:
        self.store = store
        self.spool = spool
        self.run_id = run_id
        self.cleaner = cleaner
        self.reporter = reporter
        self.busy = busy  # why the database was given up on for the rest of the run
        self.headlines = headlines  # the sites' titles, and how a record whose title changes is analysed
        self.site_lines = SiteLines()  # what this run's batches learn about the sites' recent articles
        self.pending: list[tuple[Poll, ArticleRecord]] = []
        self._write_lock = asyncio.Lock()  # batches are cleaned and spooled concurrently, stored in turn

    async def load_templates(self, sites: Sequence[str], hosts: Sequence[str] = ()) -> None:
        """The sites' templates and titles as storage kept them (not asked while the database is
        busy; never once pages are fetched: they are spooled before it is tried)."""
        if self.busy is None and self.cleaner.enabled:
            await asyncio.to_thread(self.cleaner.load, self.store, sites)
        if self.busy is None and self.headlines is not None:
            await asyncio.to_thread(self.headlines[0].load, self.store, hosts)

    def arrive(self, poll: Poll, record: ArticleRecord) -> bool:
        """An analysed article joins the batch (or is held until its outlet is known well enough,
        see SiteCleaner); true when the batch is full and should be written."""
        self.pending.extend(self.cleaner.arrive(poll, record))
        return len(self.pending) >= BATCH_SIZE

    async def finish(self) -> str | None:
        """The held articles and the last batch written; why the database was given up on, if it was."""
        held = self.cleaner.release_all()
        for start in range(0, len(held), BATCH_SIZE):
            self.pending.extend(held[start : start + BATCH_SIZE])
            await self.write()
        await self.write()
        return self.busy

    async def write(self) -> None:
        """The batch under way cleaned, spooled and stored (only spooled once the database is busy).
        An interrupted run still finishes the batch it began: its articles are analysed."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        writing = asyncio.ensure_future(self._write(batch))
        try:
            await asyncio.shield(writing)
        except asyncio.CancelledError:
            await writing
            raise

    async def _write(self, batch: list[tuple[Poll, ArticleRecord]]) -> None:
        records = await asyncio.to_thread(self._clean, [r for _, r in batch])
        kept = await asyncio.to_thread(self.spool.put, records)  # on disk before the database is tried
        async with self._write_lock:
            titles = self.headlines[0].take_unsaved() if self.headlines else []
            results = await self._insert(records, titles) if self.busy is None else None
            if results is None:
                for poll, _ in batch:
                    poll.report.spooled += 1
                return
            await asyncio.to_thread(self.spool.remove, kept)
            count_stored([poll for poll, _ in batch], results)

    def _clean(self, records: list[ArticleRecord]) -> list[ArticleRecord]:
        """Titles chosen by the sites' affixes, texts cleaned by their templates; a record whose
        title alone changed is analysed again."""
        if self.headlines is None:
            return self.cleaner.clean(records)
        titled = self.headlines[0].choose(records)  # the hosts' stored titles were loaded before
        return reanalysed(records, self.cleaner.clean(titled), self.headlines[1])

    async def _insert(
        self, records: list[ArticleRecord], titles: list[PageTitle]
    ) -> list[InsertResult] | None:
        """The batch stored with the page lines learnt since the last one, in one transaction, then
        the titles learnt, over one connection; None when the database is busy (and from then on,
        `busy` says why)."""
        page_lines = self.cleaner.take_unsaved()

        def store() -> list[InsertResult]:
            with self.store.pinned_writes():
                results = insert_with_dedup(self.store, records, self.run_id, self.site_lines, page_lines)
                if self.headlines and titles:
                    with contextlib.suppress(DatabaseBusy):  # learnt again from the next run's pages
                        self.headlines[0].save(self.store, titles)
            return results

        try:
            return await asyncio.to_thread(store)
        except DatabaseBusy as exc:
            self.cleaner.put_back(page_lines[0])
            self.busy = str(exc)
            self.reporter.message(f"{exc}; fetched articles are kept in {self.spool.dir}")
            return None


def count_stored(polls: Sequence[Poll], results: Sequence[InsertResult]) -> None:
    """Each stored article on its poll's report: new, a copy of a known story, an edit of a stored
    one, or known already."""
    for poll, result in zip(polls, results, strict=True):
        if result.revised:
            poll.report.revised += 1
        elif not result.inserted:
            poll.report.known += 1
        elif result.duplicate_of is not None:
            poll.report.duplicate += 1
        else:
            poll.report.new += 1
