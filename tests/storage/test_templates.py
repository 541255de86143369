"""storage/templates.py: the outlets' page lines survive a restart, and only the newest are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage import Store
from storage.templates import PageLines

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
