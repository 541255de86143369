"""storage/templates.py: the outlets' page lines survive a restart, and only the newest are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import ArticleRecord, Store
from storage.records import PageLines

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_page_lines_are_kept_per_source_newest_first_and_pruned(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    store = Store(db)
    store.migrate()
    big = (1 << 64) - 5  # line hashes are unsigned 64-bit: the top half must come back as it went
    pages = [PageLines("herald", f"u/{i}", T0 + timedelta(minutes=i), (i, big)) for i in range(5)]
    store.add_site_page_lines(pages, keep=3)
    store.add_site_page_lines([PageLines("other", "o/1", T0, (7,))], keep=3)
    again = Store(db)  # a later run
    kept = again.site_page_lines(["herald", "other", "unknown"], limit=10)
    assert [p.url for p in kept["herald"]] == ["u/4", "u/3", "u/2"]
    assert kept["herald"][0].line_keys == (4, big)
    assert [p.line_keys for p in kept["other"]] == [(7,)] and kept["unknown"] == []
    assert [p.url for p in again.site_page_lines(["herald"], limit=2)["herald"]] == ["u/4", "u/3"]
    # a page seen again replaces its lines
    again.add_site_page_lines([PageLines("herald", "u/4", T0 + timedelta(hours=1), (9,))], keep=3)
    assert again.site_page_lines(["herald"], limit=1)["herald"][0].line_keys == (9,)


def test_a_batchs_page_lines_go_in_with_its_articles_or_not_at_all(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.duckdb")
    store.migrate()
    recs = [
        ArticleRecord(f"https://h.test/{i}", f"https://h.test/{i}", "herald", "T", f"Text {i}.", T0)
        for i in range(2)
    ]
    lines = [PageLines("herald", f"https://h.test/{i}", T0, (i, 42)) for i in range(2)]
    store.insert_articles(recs, page_lines=(lines, 200))
    assert store.count_articles() == 2
    assert sorted(p.url for p in store.site_page_lines(["herald"], 10)["herald"]) == [r.url for r in recs]

    def fail(_db: object) -> None:
        raise RuntimeError("the batch fails before it commits")

    more = [ArticleRecord("https://h.test/9", "https://h.test/9", "herald", "T", "Text 9.", T0)]
    with pytest.raises(RuntimeError):
        store.insert_articles(
            more, before_commit=fail, page_lines=([PageLines("herald", "https://h.test/9", T0, (9,))], 200)
        )
    assert store.count_articles() == 2
    assert len(store.site_page_lines(["herald"], 10)["herald"]) == 2
