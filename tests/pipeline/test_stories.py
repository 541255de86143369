"""Stories across languages in a real DuckDB file: the ingest links new clusters, `articles` gets
story_id, `stories` has one row per story, the rebuild recomputes them, old evidence is dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from benchmarks.stories import load
from flows.pipeline.insert import insert_with_dedup
from flows.pipeline.rebuild import rebuild
from flows.pipeline.stories import KEEP
from flows.stages.stories.dedup import text_hash
from flows.stages.stories.linking import MIN_POOL
from storage import ArticleRecord, Store

ITEMS, _ = load()  # real reports from benchmarks/stories_set (their sources in its SOURCES.md)
T0 = datetime(2026, 3, 16, 9, tzinfo=UTC)
CALL_2026 = [
    "gulfobserver-2026-referendum",
    "zakon-2026-referendum",
    "caliber-2026-referendum",
    "kapital-2026-referendum",
]
PUTIN_2022 = ["sputnikkg-2022-putin", "informburo-2022-putin", "superkg-2022-putin", "fergana-2022-putin"]


def rec(key: str, minutes: int, url: str | None = None, published: datetime | None = None) -> ArticleRecord:
    item = ITEMS[key]
    title = item.text.split(". ")[0]
    return ArticleRecord(
        url or item.url,
        url or item.url,
        item.outlet,
        title,
        item.text,
        T0 + timedelta(minutes=minutes),
        published_at=published,
        language=item.lang,
        text_hash=text_hash(item.text),
    )


def filler(i: int) -> ArticleRecord:
    """Another cluster of the same hours: the news of a day is more than the stories tested."""
    text = f"Harvest report {i}: the farmers of Zhanakorgan{i} district gathered Qyzylgrain{i} wheat."
    return ArticleRecord(
        f"http://f.test/{i}", f"http://f.test/{i}", "F", f"Harvest {i}", text, T0, language="en"
    )


def story_of(db: Path, url: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT story_id FROM articles WHERE url = ?", [url]).fetchone()
    assert row is not None
    return int(row[0])


def ingest(db: Path) -> Store:
    store = Store(db)
    store.migrate()
    insert_with_dedup(store, [filler(i) for i in range(MIN_POOL)], 1)
    # the same congratulation with the roles reversed, three years earlier: outside the window
    insert_with_dedup(store, [rec("adyrna-2023-referendum", 1, published=T0 - timedelta(days=1050))], 1)
    insert_with_dedup(store, [rec(k, i) for i, k in enumerate(PUTIN_2022)], 1)
    for i, key in enumerate(CALL_2026):  # one batch each, as several polls bring them
        insert_with_dedup(store, [rec(key, 10 + i)], 1)
    return store


def test_reports_of_one_event_in_two_languages_share_a_story(db_path: Path) -> None:
    ingest(db_path)
    call = {story_of(db_path, ITEMS[k].url) for k in CALL_2026}
    putin = {story_of(db_path, ITEMS[k].url) for k in PUTIN_2022}
    assert len(call) == 1 and len(putin) == 1
    assert call != putin
    assert story_of(db_path, ITEMS["adyrna-2023-referendum"].url) not in call | putin
    assert story_of(db_path, "http://f.test/1") != story_of(db_path, "http://f.test/2")


def test_a_copy_shares_its_cluster_s_story(db_path: Path) -> None:
    store = ingest(db_path)
    insert_with_dedup(store, [rec("gulfobserver-2026-referendum", 30, url="http://copy.test/gulf")], 1)
    assert story_of(db_path, "http://copy.test/gulf") == story_of(db_path, ITEMS["zakon-2026-referendum"].url)


def test_the_stories_view_has_one_row_per_story_with_its_languages_and_titles(db_path: Path) -> None:
    ingest(db_path)
    story = story_of(db_path, ITEMS["gulfobserver-2026-referendum"].url)
    with duckdb.connect(str(db_path), read_only=True) as con:
        row = con.execute(
            "SELECT languages, outlets, clusters, articles, titles['en'], titles['ru'], first_seen_at, last_seen_at"
            " FROM stories WHERE story_id = ?",
            [story],
        ).fetchone()
        total = con.execute("SELECT count(*), count(DISTINCT story_id) FROM stories").fetchone()
    assert row is not None and total is not None
    languages, outlets, clusters, articles, en, ru, first, last = row
    assert languages == ["en", "ru"] and outlets == 4 and articles == 4 and clusters >= 2
    assert en.startswith("Mirziyoyev Congratulates") and ru.startswith("Мирзиёев поздравил")
    assert first == T0 + timedelta(minutes=10) and last == T0 + timedelta(minutes=13)
    assert total[0] == total[1]


def test_the_rebuild_recomputes_the_same_stories(db_path: Path) -> None:
    store = ingest(db_path)
    before = {k: story_of(db_path, ITEMS[k].url) for k in CALL_2026 + PUTIN_2022}
    summary = rebuild(store, workers=0)
    after = {k: story_of(db_path, ITEMS[k].url) for k in CALL_2026 + PUTIN_2022}
    assert summary.linked >= 2
    assert len(set(after.values())) == 2
    assert {k: after[k] == after[CALL_2026[0]] for k in after} == {
        k: before[k] == before[CALL_2026[0]] for k in before
    }


def test_evidence_older_than_the_window_and_its_margin_is_dropped(db_path: Path) -> None:
    store = ingest(db_path)
    with duckdb.connect(str(db_path), read_only=True) as con:
        oldest = con.execute("SELECT min(dated_at) FROM story_evidence").fetchone()
        recent = con.execute(
            "SELECT count(DISTINCT cluster_id) FROM article WHERE first_seen_at = coalesce(published_at, first_seen_at)"
        ).fetchone()
    assert oldest is not None and oldest[0] >= T0 - KEEP  # the 2023 report's evidence is gone
    assert recent is not None and store.story_counts()["evidence"] == recent[0]


def test_search_shows_one_entry_per_story_across_languages(db_path: Path) -> None:
    from flows.stages.stories.search import build_request
    from storage import search as fts

    store = ingest(db_path)
    fts.update_index(store)
    call = {ITEMS[k].url for k in CALL_2026}
    one = [h for h in fts.search(store, build_request("Mirziyoyev Tokayev")) if h.url in call]
    every = [h for h in fts.search(store, build_request("Mirziyoyev Tokayev", all_copies=True))]
    assert len(one) == 1 and one[0].copies >= 2  # the English and the Russian reports, as one story
    assert len({h.url for h in every} & call) >= 2


def test_the_digest_shows_one_entry_per_story_with_its_languages(db_path: Path) -> None:
    store = ingest(db_path)
    with duckdb.connect(str(db_path)) as con:  # the profile found them relevant
        con.execute("UPDATE article SET is_relevant = true, relevance = 0.9 WHERE source <> 'F'")
    rows = store.digest_articles(T0 - timedelta(hours=1), T0 + timedelta(days=1))
    call = {ITEMS[k].url for k in CALL_2026}
    entries = {r["cluster"] for r in rows if r["url"] in call}
    assert len(entries) == 1
    assert {r["language"] for r in rows if r["cluster"] in entries} == {"en", "ru"}
    assert len({r["cluster"] for r in rows}) == 3  # this call, Putin's call of 2022, the 2023 congratulation
