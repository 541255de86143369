from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import pytest

from flows.stages.sources.sitemaps import (
    SitemapEntry,
    SitemapError,
    parse_sitemap,
    robots_sitemaps,
    select_new,
)

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


def test_select_new_is_oldest_first_and_capped() -> None:
    entries = [SitemapEntry(f"https://x.kz/{i}", NOW - timedelta(hours=i)) for i in range(10)]
    entries.append(SitemapEntry("https://x.kz/undated", None))
    chosen, more, undated = select_new(entries, NOW - timedelta(hours=4), 3)
    assert [e.url for e in chosen] == ["https://x.kz/4", "https://x.kz/3", "https://x.kz/2"] and more
    chosen, more, undated = select_new(entries, NOW - timedelta(hours=1), 10)
    assert [e.url for e in chosen] == ["https://x.kz/1", "https://x.kz/0"] and not more and undated == 1
