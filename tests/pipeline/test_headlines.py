"""flows/pipeline/headlines.py: a batch's titles chosen again by their sites' affixes, learnt from
the batch and from the titles storage kept; a record whose title alone changed is analysed again."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from flows.pipeline.headlines import SiteHeadlines, reanalysed
from flows.stages.reading.titles import PageTitles
from storage import ArticleRecord, Store

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def _record(url: str, printed: str, feed: str | None = None, text: str = "Text.") -> ArticleRecord:
    titles = PageTitles(title=printed, feed=feed)
    return ArticleRecord(url, url, "Aggregator", printed, text, T0, page_titles=titles)


def test_a_site_seen_in_an_earlier_run_has_its_affix_learnt_from_storage(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.duckdb")
    store.migrate()
    first = SiteHeadlines()
    out = first.choose([_record("https://fergana.agency/1", "Паводок в Оше - Фергана")], store)
    assert [r.title for r in out] == ["Паводок в Оше - Фергана"]  # a site seen once keeps it
    assert all(r.page_titles is None for r in out)  # nothing but the title goes on (to the spool)
    first.save(store, first.take_unsaved())
    later = SiteHeadlines()  # the next run
    out = later.choose([_record("https://fergana.agency/2", "Выборы в Бишкеке - Фергана")], store)
    assert [r.title for r in out] == ["Выборы в Бишкеке"]
    assert later.changed == 1


def test_a_record_whose_title_alone_changed_is_analysed_again() -> None:
    raw = [
        _record("https://a.example/1", "A - Site"),
        _record("https://a.example/2", "B - Site", text="Old."),
    ]
    cleaned = [dataclasses.replace(raw[0], title="A"), dataclasses.replace(raw[1], title="B", text="New.")]
    seen: list[str] = []

    def retext(todo: Sequence[tuple[ArticleRecord, str, str | None]]) -> list[ArticleRecord]:
        seen.extend(rec.canonical_url for rec, _, _ in todo)
        return [dataclasses.replace(rec, relevance=0.5) for rec, _, _ in todo]

    out = reanalysed(raw, cleaned, retext)
    assert seen == ["https://a.example/1"]  # the other was analysed by its cleaning
    assert out[0].relevance == 0.5 and out[0].title == "A" and out[1].relevance is None
