from __future__ import annotations

from flows.stages.sources.discovery import alternate_feeds, sniff
from tests.support import ROOT

REAL = ROOT / "tests" / "fixtures" / "real" / "discovery"


def test_a_json_feed_is_a_feed() -> None:
    """JSON Feed is a feed whatever its media type, its key order, escaped slashes or a byte-order
    mark; other JSON is not."""
    real = (REAL / "daringfireball-feed.json").read_bytes()
    assert sniff(real) == "feed"
    assert sniff(b"\xef\xbb\xbf\n" + real) == "feed"
    late = b'{"title": "T", "items": [{"id": "1", "url": "https://x.kz/1"}], "version": "https://jsonfeed.org/version/1.1"}'
    assert sniff(late) == "feed"
    assert sniff(b'{"version":"https:\\/\\/jsonfeed.org\\/version\\/1","items":[]}') == "feed"
    assert sniff(b'{"id": 12, "link": "https://x.kz/wp/12"}') == "unknown"
    assert sniff(b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>') == "feed"
    assert sniff(b"<!DOCTYPE html><html></html>") == "html"


def test_alternate_feeds_of_a_real_page_name_its_json_feed() -> None:
    """daringfireball.net names an Atom feed and, as `application/json`, a JSON Feed."""
    body = (REAL / "daringfireball.html").read_bytes()
    assert alternate_feeds(body, "https://daringfireball.net/", "text/html; charset=utf-8") == [
        ("https://daringfireball.net/feeds/main", None),
        ("https://daringfireball.net/feeds/json", None),
    ]


def test_alternate_feeds_take_json_feeds_after_the_typed_ones_and_skip_rest_api_links() -> None:
    page = b"""<html><head>
    <link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/12">
    <link rel="alternate" type="application/json+oembed" href="/wp-json/oembed/1.0/embed?url=x">
    <link rel="alternate" type="application/json" title="JSON Feed" href="/feed.json">
    <link rel="alternate" type="application/feed+json" title="Feed" href="/feed/json">
    <link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">
    <link rel="alternate" type="application/json" href="/?rest_route=/wp/v2/pages/5">
    </head><body></body></html>"""
    assert alternate_feeds(page, "https://x.kz/news/") == [
        ("https://x.kz/feed/json", "Feed"),
        ("https://x.kz/rss.xml", "RSS"),
        ("https://x.kz/feed.json", "JSON Feed"),
    ]
