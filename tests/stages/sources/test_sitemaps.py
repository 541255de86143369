from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from flows.stages.sources.sitemaps import (
    SitemapError,
    parse_sitemap,
    robots_sitemaps,
)
from tests.support import ROOT

REAL = ROOT / "tests" / "fixtures" / "real" / "sitemaps"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
 <url><loc>https://kun.uz/news/2026/12/01/one</loc>
  <news:news><news:publication><news:name>Kun.uz</news:name><news:language>uz</news:language></news:publication>
  <news:publication_date>2026-12-01T10:00:00+05:00</news:publication_date>
  <news:title>Toshkentda yangi metro bekati</news:title></news:news></url>
 <url><loc>/news/two</loc><lastmod>2026-11-30</lastmod></url>
 <url><loc>https://kun.uz/news/2026/12/01/one</loc></url>
 <url><loc>mailto:x@y</loc></url>
 <url><loc>https://kun.uz/future</loc><lastmod>2031-01-01</lastmod></url>
</urlset>"""


def test_news_and_plain_entries() -> None:
    parsed = parse_sitemap(NEWS, "https://kun.uz/sitemap.xml", now=NOW)
    assert not parsed.is_index
    one, two, future = parsed.entries
    assert one.title == "Toshkentda yangi metro bekati" and one.language == "uz"
    assert one.published_at == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert two.url == "https://kun.uz/news/two" and two.published_at == datetime(2026, 11, 30, tzinfo=UTC)
    assert future.published_at is None  # a date in the future is a template error, not a date
    assert [link for link, _ in parsed.dropped] == ["mailto:x@y"]


def test_index_gzip_and_robots() -> None:
    index = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>/a.xml.gz</loc>'
        b"<lastmod>2026-12-01</lastmod></sitemap><sitemap><loc>https://x.kz/b.xml</loc></sitemap></sitemapindex>"
    )
    parsed = parse_sitemap(gzip.compress(index), "https://x.kz/sitemap.xml")
    assert [(c.url, c.lastmod) for c in parsed.children] == [
        ("https://x.kz/a.xml.gz", "2026-12-01"),
        ("https://x.kz/b.xml", None),
    ]
    robots = b"User-agent: *\nDisallow: /admin\nSitemap: https://x.kz/news.xml\nsitemap: /other.xml\n"
    assert [c.url for c in parse_sitemap(robots, "https://x.kz/robots.txt").children] == [
        "https://x.kz/news.xml",
        "https://x.kz/other.xml",
    ]
    assert robots_sitemaps("Sitemap: /a\nSitemap: /a\n", "https://x.kz/") == ["https://x.kz/a"]


def test_a_real_news_sitemap_with_a_byte_order_mark_is_read() -> None:
    """A UTF-8 byte-order mark before `<?xml` (Windows tools and some CMSs write one) is not
    a reason to refuse the sitemap: plain or gzipped, the same entries as without it."""
    real = (REAL / "shinpaideshou-news-sitemap.xml").read_bytes()
    base = "https://shinpaideshou.wordpress.com/news-sitemap.xml"
    plain = parse_sitemap(real, base, now=NOW)
    assert [(e.url.rsplit("/", 2)[1], e.published_at, e.language) for e in plain.entries] == [
        ("job-opening-reischauer-policy-research-fellow", datetime(2017, 4, 25, 10, 0, 36, tzinfo=UTC), "en"),
        (
            "call-for-papers-nation-gender-and-history-asian-cinemas-in-perspective-2",
            datetime(2017, 4, 24, 10, 0, 33, tzinfo=UTC),
            "en",
        ),
        (
            "job-opening-lecturer-in-japanese-studies-university-of-leeds",
            datetime(2017, 4, 24, 10, 0, 10, tzinfo=UTC),
            "en",
        ),
    ]
    for body in (b"\xef\xbb\xbf" + real, gzip.compress(b"\xef\xbb\xbf" + real)):
        assert parse_sitemap(body, base, now=NOW).entries == plain.entries


def test_robots_txt_site_map_spellings_and_byte_order_mark() -> None:
    """`Site-map:` (Google reads it), any case, spaces before the colon, and a robots.txt that
    starts with a byte-order mark: every sitemap line is read."""
    robots = "Site-map: /b.xml\nSITE-MAP : /c.xml\nSitemap : /d.xml\nsitemap:/e.xml\nDisallow: /site-map\n"
    assert robots_sitemaps(robots, "https://x.kz/robots.txt") == [
        "https://x.kz/b.xml",
        "https://x.kz/c.xml",
        "https://x.kz/d.xml",
        "https://x.kz/e.xml",
    ]
    assert robots_sitemaps("\ufeffSitemap: /a.xml\n", "https://x.kz/") == ["https://x.kz/a.xml"]
    assert [c.url for c in parse_sitemap(b"\xef\xbb\xbfSite-map: /a.xml\n", "https://x.kz/").children] == [
        "https://x.kz/a.xml"
    ]
    # newsweek.com's robots.txt, byte-order mark and all
    real = (REAL / "robots-with-utf8-bom.txt").read_bytes()
    assert real.startswith(b"\xef\xbb\xbf")
    assert [c.url for c in parse_sitemap(real, "https://www.newsweek.com/robots.txt").children] == [
        "http://www.newsweek.com/sitemap_index.xml"
    ]


def test_refusals() -> None:
    with pytest.raises(SitemapError, match="HTML"):
        parse_sitemap(b"<!DOCTYPE html><html></html>", "https://x.kz/")
    with pytest.raises(SitemapError, match="root element <rss>"):
        parse_sitemap(b"<rss><channel/></rss>", "https://x.kz/")
    with pytest.raises(SitemapError, match="max_bytes"):
        parse_sitemap(gzip.compress(b"<urlset>" + b" " * 5000 + b"</urlset>"), "https://x.kz/", limit=1000)
    with pytest.raises(SitemapError, match="no XML"):
        parse_sitemap(b"just text", "https://x.kz/")
    # entities are never expanded
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><urlset><url><loc>https://x.kz/&a;</loc></url></urlset>'
    assert all("aaaaaaaaaa" not in e.url for e in parse_sitemap(bomb, "https://x.kz/").entries)
