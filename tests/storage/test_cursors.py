"""storage/cursors.py: where sources without a feed stopped reading."""

from __future__ import annotations

from pathlib import Path

from storage import Store
from storage.cursors import Cursor


def test_cursors_are_replaced_by_source_kind_and_key(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.duckdb")
    store.migrate()
    assert store.cursors("Chan") == {}
    store.save_cursors(
        [Cursor("Chan", "last_post", "", "60"), Cursor("Map", "child", "https://x/a.xml", "2026-12-01")]
    )
    store.save_cursors(
        [Cursor("Chan", "last_post", "", "65"), Cursor("Map", "child", "https://x/b.xml", None, '"e"')]
    )
    assert store.cursors("Chan") == {("last_post", ""): Cursor("Chan", "last_post", "", "65")}
    maps = store.cursors("Map", kinds=["child"])
    assert sorted(maps) == [("child", "https://x/a.xml"), ("child", "https://x/b.xml")]
    assert maps[("child", "https://x/b.xml")].etag == '"e"'
    assert store.cursors("Map", kinds=["section"]) == {}
    store.save_cursors([])  # nothing to do, no transaction
