"""Page metadata: the four fields we keep, as trafilatura.extract_metadata gives them, on real
pages (mozilla/readability's test pages, the benchmark's fixture), and what is left unread when
the feed has said it."""

from __future__ import annotations

from pathlib import Path

import pytest
import trafilatura
from trafilatura.metadata import extract_metadata
from trafilatura.settings import set_date_params

from benchmarks.realweb import fixture_dir
from flows.stages.reading.extract import extract_page
from flows.stages.reading.page_metadata import page_metadata

BYLINE_PAGE = b"""<html><head><title>Water deal signed</title>
<meta property="og:site_name" content="steppe news"></head><body><article>
<h1>Water deal signed</h1><p class="byline">By Aigerim Sultanova</p>
<p>Kazakhstan and Uzbekistan signed a water agreement on Friday in Astana, the ministries said.</p>
<p>The agreement covers the Syr Darya basin and runs for ten years, with a review after five.</p>
</article><p>Published 2026-11-30</p></body></html>"""


def real_pages(tmp_path_factory: pytest.TempPathFactory, count: int) -> list[tuple[str, str]]:
    root = fixture_dir(tmp_path_factory.mktemp("pages"))
    sources = sorted(root.rglob("source.html"))
    step = max(1, len(sources) // count)
    return [(p.parent.name, p.read_text(encoding="utf-8", errors="replace")) for p in sources[::step][:count]]


def test_same_fields_as_trafilaturas_metadata_on_real_pages(tmp_path_factory: pytest.TempPathFactory) -> None:
    pages = real_pages(tmp_path_factory, 25)
    assert len(pages) >= 20
    for name, html in pages:
        tree = trafilatura.utils.load_html(html)
        assert tree is not None, name
        theirs = extract_metadata(tree, "https://outlet.test/a/1", set_date_params(True))
        ours = page_metadata(tree, "https://outlet.test/a/1")
        assert (ours.title, ours.author, ours.date, ours.site_name) == (
            theirs.title or None,
            theirs.author or None,
            theirs.date or None,
            theirs.sitename or None,
        ), name


def test_what_the_feed_gave_is_not_searched_for() -> None:
    tree = trafilatura.utils.load_html(BYLINE_PAGE.decode())
    full = page_metadata(tree, "https://steppe.test/2026/11/30/water")
    assert full.author == "Aigerim Sultanova"
    assert full.date is not None
    assert full.title == "Water deal signed"
    assert full.site_name == "Steppe News"
    trimmed = page_metadata(tree, "https://steppe.test/2026/11/30/water", date=False, author_search=False)
    assert trimmed.date is None and trimmed.author is None
    assert (trimmed.title, trimmed.site_name) == (full.title, full.site_name)


def test_extract_page_text_does_not_depend_on_what_metadata_is_read(tmp_path: Path) -> None:
    full = extract_page(BYLINE_PAGE, "https://steppe.test/a", "text/html", mode="auto")
    trimmed = extract_page(
        BYLINE_PAGE, "https://steppe.test/a", "text/html", mode="auto", date_search=False, author_search=False
    )
    assert "Syr Darya" in full.text
    assert trimmed.text == full.text and trimmed.title == full.title
    assert full.author == "Aigerim Sultanova" and trimmed.author is None
    assert trimmed.published_at is None
