"""The batch writer: spool first, then the database; a busy database leaves the rest of the run spooled."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from flows.config import Source
from flows.pipeline.cleaning import SiteCleaner
from flows.pipeline.insert import insert_with_dedup
from flows.pipeline.polling import Poll, SourceReport
from flows.pipeline.store_batches import BATCH_SIZE, BatchWriter
from flows.progress import SilentReporter
from flows.stages.stories.dedup import text_hash
from storage import ArticleRecord, Store
from storage.spool import Spool

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def rec(url: str, text: str) -> ArticleRecord:
    return ArticleRecord(url, url, "A", "A title", text, T0, text_hash=text_hash(text))


def unchanged(jobs: Sequence[tuple[ArticleRecord, str, str | None]]) -> list[ArticleRecord]:
    raise AssertionError("a cleaner that is off analyses nothing again")


def writer(store: Store, busy: str | None = None) -> BatchWriter:
    cleaner: SiteCleaner[Poll] = SiteCleaner(unchanged, enabled=False)
    return BatchWriter(store, Spool(store.path), 1, cleaner, SilentReporter(), busy=busy)


def poll() -> Poll:
    return Poll(Source(name="A", url="http://a.test/feed"), SourceReport("A"), None)


def test_a_batch_is_stored_counted_per_source_and_leaves_the_spool_empty(db_path: Path) -> None:
    store = Store(db_path)
    store.migrate()
    insert_with_dedup(store, [rec("http://a.test/old", "An old story about water.")], 1)
    p, w = poll(), writer(store)
    for record in (
        rec("http://a.test/old", "An old story about water."),  # another writer stored it first
        rec("http://a.test/new", "A new story about a summit."),
        rec("http://a.test/copy", "A new story about a summit."),
    ):
        assert not w.arrive(p, record)
    assert asyncio.run(w.finish()) is None
    assert (p.report.new, p.report.duplicate, p.report.known, p.report.spooled) == (1, 1, 1, 0)
    assert Spool(db_path).count() == 0


def test_once_the_database_is_busy_batches_are_only_spooled(db_path: Path) -> None:
    store = Store(db_path)  # never migrated: a writer that touched the database would fail
    p, w = poll(), writer(store, busy="the database is held by another program")
    full = [w.arrive(p, rec(f"http://a.test/{i}", f"Story number {i}.")) for i in range(BATCH_SIZE + 1)]
    assert full.index(True) == BATCH_SIZE - 1
    asyncio.run(w.write())
    assert asyncio.run(w.finish()) == "the database is held by another program"
    assert (p.report.new, p.report.spooled) == (0, BATCH_SIZE + 1)
    assert Spool(db_path).count() == BATCH_SIZE + 1
