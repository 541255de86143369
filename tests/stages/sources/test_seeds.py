"""Seed corpus: boilerplate removal, titles, idempotent loading."""

from __future__ import annotations

from pathlib import Path

import duckdb

from flows.config import parse_config
from flows.pipeline.maintenance import seed
from flows.stages.sources.seeds import clean_seed_text, load_seed_dir
from storage import Store


def test_seed_files_are_the_shared_corpus_unchanged(seeds_dir: Path) -> None:
    shared = Path("/work/shared/seeds")
    names = sorted(p.name for p in seeds_dir.glob("*.txt"))
    assert len(names) == 5
    if shared.is_dir():  # on developer machines: byte-identical copies
        for name in names:
            assert (seeds_dir / name).read_bytes() == (shared / name).read_bytes()


def test_boilerplate_lines_removed(seeds_dir: Path) -> None:
    docs = load_seed_dir(seeds_dir)
    assert len(docs) == 5
    for doc in docs:
        for junk in (
            "Also Read :",
            "- Advertisement -",
            "Source link",
            "Related Articles",
            "Leave a Reply",
            "Your email address will not be published",
            "Leave a comment",
            "Share This Article",
        ):
            assert junk not in doc.text, (doc.file_name, junk)
        assert doc.title and doc.title not in ("", "\n")
    titles = {d.file_name: d.title for d in docs}
    assert titles["004_2cd3d6cc82535d3c.txt"] == "China Trying to Gain Greater Influence in Central Asia"
    assert titles["001_c1ddc58547b124d4.txt"].startswith("China Woos Central Asia")


def test_clean_keeps_real_sentences() -> None:
    title, text = clean_seed_text(
        "Title\n\nThe comments came after Beijing pledged aid.\nAlso Read :  Something else\nComment\nName *\n"
        "Related analysis shows growth.\n"
    )
    assert title == "Title"
    assert "The comments came after Beijing pledged aid." in text
    assert "Related analysis shows growth." in text
    assert "Also Read" not in text and "Name *" not in text


def test_seed_is_idempotent(seeds_dir: Path, db_path: Path) -> None:
    config = parse_config("sources: []\n")
    store = Store(db_path)
    assert seed(config, store, seeds_dir) == (5, 0)
    assert seed(config, store, seeds_dir) == (0, 5)
    con = duckdb.connect(str(db_path), read_only=True)
    rows = con.execute("SELECT url, source, is_seed, language, title FROM articles ORDER BY url").fetchall()
    con.close()
    assert [r[0] for r in rows] == [f"seed://{p.name}" for p in sorted(seeds_dir.glob("*.txt"))]
    assert all(r[1] == "seed" and r[2] is True and r[3] == "en" for r in rows)


def test_a_seed_keeps_the_date_its_dateline_gives(seeds_dir: Path) -> None:
    from datetime import UTC, datetime

    from flows.stages.sources.seeds import dateline

    dated = {d.file_name: d.published_at for d in load_seed_dir(seeds_dir)}
    assert dated["003_4fead3815712969c.txt"] == datetime(2023, 5, 26, 11, 45, 48, tzinfo=UTC)
    assert sum(v is None for v in dated.values()) == 4
    assert dateline("Jane Doe\nMay 24, 2023\nText.") == datetime(2023, 5, 24, tzinfo=UTC)
    assert dateline("Jane Doe\n3 March 2022\nText.") == datetime(2022, 3, 3, tzinfo=UTC)
    # a year in the article's own sentences is not its date
    assert dateline("By A. Writer\n\n" + "In 2019 the talks began; by 2020-01-01 " * 5) is None
