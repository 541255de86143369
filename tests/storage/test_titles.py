"""storage/titles.py: the sites' page titles survive a restart, newest first, and only the newest
are kept per host."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage import Store
from storage.titles import PageTitle

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_titles_are_kept_per_host_newest_first_and_pruned(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    store = Store(db)
    store.migrate()
    pages = [
        PageTitle("fergana.agency", f"u/{i}", T0 + timedelta(minutes=i), f"Новость {i} - Фергана")
        for i in range(5)
    ]
    store.add_site_titles(pages, keep=3)
    store.add_site_titles([PageTitle("kun.uz", "k/1", T0, "Янгилик | Kun.uz")], keep=3)
    again = Store(db)  # a later run
    kept = again.site_titles(["fergana.agency", "kun.uz", "unknown.example"], limit=10)
    assert [p.url for p in kept["fergana.agency"]] == ["u/4", "u/3", "u/2"]
    assert kept["fergana.agency"][0].title == "Новость 4 - Фергана"
    assert [p.title for p in kept["kun.uz"]] == ["Янгилик | Kun.uz"] and kept["unknown.example"] == []
    again.add_site_titles(
        [PageTitle("fergana.agency", "u/4", T0 + timedelta(hours=1), "Правка - Фергана")], keep=3
    )
    assert [p.title for p in again.site_titles(["fergana.agency"], limit=1)["fergana.agency"]] == [
        "Правка - Фергана"
    ]
