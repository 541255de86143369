"""storage/revisions.py: an edited article takes its new text, the old one is kept, and the search
index and near-duplicate bands follow the new text."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from storage import ArticleRecord, Store
from storage.search import index as search_index
from storage.search import query as search

BEFORE = "The ministry in Astana reported wheat exports of 12 million tonnes to Uzbekistan on Monday."
AFTER = "Correction: the ministry in Astana reported barley exports of 9 million tonnes to Uzbekistan."


def record(text: str, title: str, revises: bool = False) -> ArticleRecord:
    return ArticleRecord(
        url="https://t.me/chan/7",
        canonical_url="https://t.me/chan/7",
        source="Chan",
        title=title,
        text=text,
        first_seen_at=datetime(2026, 12, 1, 8, tzinfo=UTC),
        language="en",
        text_hash=str(hash(text)),
        band_keys=[len(text), 1],
        revises=revises,
    )


def found(store: Store, words: str) -> list[int]:
    return [h.id for h in search.search(store, search.SearchRequest(words, all_copies=True))]


def test_an_edit_keeps_the_old_text_and_the_index_follows_the_new_one(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.duckdb")
    store.migrate()
    [first] = store.insert_articles([record(BEFORE, "Wheat exports")], run_id=1)
    search_index.update_index(store)
    assert found(store, "wheat") == [first.id]
    # the same text again, even flagged as an edit: nothing changes
    [same] = store.insert_articles([record(BEFORE, "Wheat exports", revises=True)], run_id=2)
    assert not same.inserted and not same.revised
    [edit] = store.insert_articles([record(AFTER, "Barley exports", revises=True)], run_id=3)
    assert edit.id == first.id and edit.revised and not edit.inserted
    # an unflagged copy of a stored URL is skipped as before
    [skipped] = store.insert_articles([record("Something else entirely.", "Other")], run_id=4)
    assert not skipped.revised and not skipped.inserted
    con = duckdb.connect(str(store.path), read_only=True)
    try:
        article = con.execute("SELECT title, text, word_count, first_seen_at FROM article").fetchall()
        revisions = con.execute("SELECT article_id, run_id, title, text FROM article_revision").fetchall()
        bands = con.execute("SELECT band_key FROM dedup_band ORDER BY band_key").fetchall()
    finally:
        con.close()
    assert article == [("Barley exports", AFTER, len(AFTER.split()), datetime(2026, 12, 1, 8, tzinfo=UTC))]
    assert revisions == [(first.id, 3, "Wheat exports", BEFORE)]
    assert bands == [(1,), (len(AFTER),)]
    search_index.update_index(store)
    assert found(store, "barley") == [first.id] and found(store, "wheat") == []
    assert search_index.index_status(store).indexed == 1


def test_an_edit_of_an_article_not_stored_is_stored_as_new(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.duckdb")
    store.migrate()
    [result] = store.insert_articles([dataclasses.replace(record(AFTER, "Barley"), revises=True)])
    assert result.inserted and not result.revised
