"""Page metadata: the fields we keep, as trafilatura.extract_metadata gives them, on real pages
(mozilla/readability's test pages, the benchmark's fixture); the page's date with the time and
zone its metadata states, on real pages of other projects; and what is left unread when the feed
has said it."""

from __future__ import annotations

import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trafilatura
from trafilatura.metadata import extract_metadata
from trafilatura.settings import set_date_params

from benchmarks.realweb import fixture_dir
from flows.stages.reading.extract import extract_page
from flows.stages.reading.page_metadata import page_metadata, stated_dates
from tests.support import ROOT

PAGES = ROOT / "tests" / "fixtures" / "real" / "pages"
READABILITY = ROOT / "benchmarks" / "fixtures" / "readability-test-pages.tar.xz"

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
    """Title, author and site name as trafilatura's; the date on the same day where the page
    states one with no time (trafilatura keeps the day of what htmldate finds)."""
    pages = real_pages(tmp_path_factory, 25)
    assert len(pages) >= 20
    for name, html in pages:
        tree = trafilatura.utils.load_html(html)
        assert tree is not None, name
        theirs = extract_metadata(tree, "https://outlet.test/a/1", set_date_params(True))
        ours = page_metadata(tree, "https://outlet.test/a/1")
        assert (ours.title, ours.author, ours.site_name) == (
            theirs.title or None,
            theirs.author or None,
            theirs.sitename or None,
        ), name
        if ours.date is not None and ours.date.hour == ours.date.minute == 0 and theirs.date:
            assert ours.date.date().isoformat() == theirs.date, name


def readability_page(name: str) -> bytes:
    with tarfile.open(READABILITY) as tar:
        member = tar.extractfile(f"{name}/source.html")
        assert member is not None
        return member.read()


@pytest.mark.parametrize(
    ("page", "url", "published"),
    [
        # Open Graph with fractional seconds; the URL gives the day only (what was stored before)
        ("guardian-1", "https://www.theguardian.com/environment/2019/jan/03/whales", "2019-01-03T07:00:02Z"),
        # JSON-LD's datePublished over Open Graph's, which gives the update here
        (
            "schema-org-context-object",
            "https://www.nbcnews.com/news/world/x-rcna183138",
            "2024-12-06T22:00:40Z",
        ),
        # Open Graph's over microdata's, which gives the update here
        (
            "bug-1255978",
            "http://www.independent.co.uk/news/business/news/x-10506160.html",
            "2015-09-17T15:57:43Z",
        ),
        # the only statement a <time datetime> on the day found, a time a zone west of UTC
        ("002", "https://hacks.mozilla.org/2015/03/this-api-is-so-fetching/", "2015-03-10T15:05:41Z"),
    ],
)
def test_a_real_pages_date_keeps_its_time_and_zone(page: str, url: str, published: str) -> None:
    """mozilla/readability's test pages; expected: the date and time the page shows its readers."""
    got = extract_page(readability_page(page), url, mode="fast").published_at
    assert got == datetime.fromisoformat(published)


def test_real_pages_of_other_projects_keep_their_structured_time() -> None:
    """al.com (postlight/parser's fixture): 6:47 p.m. in Alabama on 22 December is 00:47 UTC on
    the 23rd, as its Open Graph time says (the URL gives the month only). wiwo.de (goose3's): its
    JSON-LD's time in +01:00."""
    al = extract_page(
        (PAGES / "al-com.html").read_bytes(),
        "https://www.al.com/news/birmingham/index.ssf/2016/12/two_arrested_in_multi-state_de.html",
    )
    assert al.published_at == datetime(2016, 12, 23, 0, 47, 31, tzinfo=UTC)
    wiwo_html = (PAGES / "wiwo.html").read_bytes()
    tree = trafilatura.utils.load_html(wiwo_html.decode())
    assert stated_dates(tree)[0] == "2017-03-23T15:43:14+01:00"
    wiwo = extract_page(wiwo_html, "https://www.wiwo.de/unternehmen/industrie/linde-x/19562798.html")
    assert wiwo.published_at == datetime(2017, 3, 23, 14, 43, 14, tzinfo=UTC)


def test_a_year_alone_is_no_date() -> None:
    """htmldate gives a copyright line's year as 1 January of it: not a publication date."""
    page = b"<html><body><article><p>Water talks went on.</p></article><footer>&copy; 2019 Outlet</footer></body></html>"
    assert extract_page(page, "https://outlet.test/story").published_at is None
    dated = page.replace(b"</article>", b'<p class="date">Published 2019-03-14</p></article>')
    assert extract_page(dated, "https://outlet.test/story").published_at == datetime(2019, 3, 14, tzinfo=UTC)


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
    # no search of the URL or text: only the page's structured metadata would give a date
    assert page_metadata(tree, "https://steppe.test/2026/11/30/water", date_search=False).date is None


def test_extract_page_text_does_not_depend_on_what_metadata_is_read(tmp_path: Path) -> None:
    full = extract_page(BYLINE_PAGE, "https://steppe.test/a", "text/html", mode="auto")
    trimmed = extract_page(
        BYLINE_PAGE, "https://steppe.test/a", "text/html", mode="auto", date_search=False, author_search=False
    )
    assert "Syr Darya" in full.text
    assert trimmed.text == full.text and trimmed.title == full.title
    assert full.author == "Aigerim Sultanova" and trimmed.author is None
    assert full.published_at is not None and trimmed.published_at is None
