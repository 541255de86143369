"""storage/templates.py: the sites' page lines survive a restart, only the newest are kept, and
migration 013 re-keys the lines kept by source (007) by site without losing them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from flows.stages.reading.templates import site_of
from storage import ArticleRecord, Store
from storage.migrations import migrations
from storage.records import PageLines

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_page_lines_are_kept_per_site_newest_first_and_pruned(tmp_path: Path) -> None:
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


def test_migration_013_keys_the_kept_lines_by_site_and_loses_none(tmp_path: Path) -> None:
    """Rows written by source before 013 come back under their URL's site, as `site_of` names it;
    a page two sources brought is kept once (its newest lines)."""
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER NOT NULL, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL)"
    )
    for mig in migrations():
        if mig.version < 13:
            con.execute(mig.sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [mig.version, mig.name])
    urls = [
        ("aggregator", "https://www.herald.kz/news/1?utm=x", T0, [1, -5]),
        ("bundle", "https://WWW.Steppe.KZ/p", T0, [6]),
        ("herald-ru", "https://herald.kz/ru/2", T0, [2]),
        ("herald-ru", "https://www.herald.kz/news/1?utm=x", T0 + timedelta(hours=1), [3]),
        ("telegram", "http://user@ru.sputnik.kz:8080/a#b", T0, [4]),
        ("odd", "not a url", T0, [5]),
    ]
    for source, url, seen, keys in urls:
        con.execute("INSERT INTO site_page_lines VALUES (?, ?, ?, ?)", [source, url, seen, keys])
    con.close()
    store = Store(db)
    assert store.migrate() == [f"{m.version:03d}_{m.name}" for m in migrations() if m.version >= 13]
    expected = {site_of(u) or "odd" for _, u, _, _ in urls}
    assert expected == {"herald.kz", "ru.sputnik.kz", "steppe.kz", "odd"}
    kept = store.site_page_lines(sorted(expected), limit=10)
    assert sorted(p.url for p in kept["herald.kz"]) == [
        "https://herald.kz/ru/2",
        "https://www.herald.kz/news/1?utm=x",
    ]
    assert [p.line_keys for p in kept["herald.kz"] if p.url.endswith("utm=x")] == [(3,)]
    assert [p.url for p in kept["ru.sputnik.kz"]] == ["http://user@ru.sputnik.kz:8080/a#b"]
    assert [p.line_keys for p in kept["odd"]] == [(5,)] and [p.line_keys for p in kept["steppe.kz"]] == [(6,)]


def test_two_sources_of_one_site_share_its_lines(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.duckdb")
    store.migrate()
    site = site_of("https://www.herald.kz/a")
    store.add_site_page_lines(
        [PageLines(site, f"https://herald.kz/{i}", T0 + timedelta(minutes=i), (i,)) for i in range(3)], keep=2
    )
    assert site == "herald.kz"
    assert [p.url for p in store.site_page_lines([site], 10)[site]] == [
        "https://herald.kz/2",
        "https://herald.kz/1",
    ]
