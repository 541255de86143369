"""Feed discovery on a site's page: `<link rel=alternate>` feeds, feed-looking links (trafilatura's
`determine_feed`), the common feed and sitemap paths to try, and what kind of document some bytes are."""

from __future__ import annotations

from urllib.parse import urlsplit

from flows.stages.net.urls import BadLink, host_of, resolve_link
from flows.stages.reading.extract import decode_html, html_document

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
# JSON Feeds are also named as plain JSON (daringfireball.net, micro.blog); so are WordPress's REST
# API links, on every page of a WordPress site, which are not feeds
JSON_TYPE = "application/json"
_NOT_FEEDS = ("/wp-json/", "rest_route=", "/oembed")
_BOM = b"\xef\xbb\xbf"
COMMON_FEED_PATHS = (
    "/feed",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/feeds/all.rss",
    "/rss/",
)
COMMON_SITEMAP_PATHS = ("/news-sitemap.xml", "/sitemap-news.xml", "/sitemap_news.xml", "/sitemap.xml")
TELEGRAM_HOSTS = ("t.me", "telegram.me")


def page_title(body: bytes, content_type: str | None = None) -> str | None:
    doc = html_document(body, content_type)
    if doc is None:
        return None
    for query in ("string(//meta[@property='og:site_name']/@content)", "string(//title)"):
        value = " ".join(str(doc.xpath(query)).split())
        if value:
            return value
    return None


def alternate_feeds(
    body: bytes, base_url: str, content_type: str | None = None
) -> list[tuple[str, str | None]]:
    """The page's `<link rel="alternate">` feeds as (url, title), each once: those of a feed type in
    page order, then the `application/json` ones (a JSON Feed, or not: reading it tells)."""
    doc = html_document(body, content_type)
    if doc is None:
        return []
    base = str(doc.xpath("string(//base/@href)")) or base_url
    typed: list[tuple[str, str | None]] = []
    json_ones: list[tuple[str, str | None]] = []
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" not in rel or not link.get("href") or kind not in (*FEED_TYPES, JSON_TYPE):
            continue
        try:
            url = resolve_link(link.get("href"), base)
        except BadLink:
            continue
        if kind == JSON_TYPE and any(part in url.lower() for part in _NOT_FEEDS):
            continue
        if url not in [u for u, _ in typed + json_ones]:
            title = (link.get("title") or "").strip() or None
            (json_ones if kind == JSON_TYPE else typed).append((url, title))
    return typed + json_ones


def feed_like_links(body: bytes, base_url: str, content_type: str | None = None) -> list[str]:
    """Links in the page body that look like feeds (trafilatura's heuristics), same site first."""
    from trafilatura.feeds import FeedParameters, determine_feed

    text = decode_html(body, content_type)
    host = host_of(base_url)
    try:
        params = FeedParameters(base_url, host, base_url)
        links = determine_feed(text, params)
    except Exception:  # noqa: BLE001 - a heuristic: no answer is an answer
        return []
    return sorted(dict.fromkeys(links), key=lambda u: host_of(u) != host)


def site_root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_telegram(url: str) -> bool:
    return (urlsplit(url).hostname or "").lower() in TELEGRAM_HOSTS


def sniff(body: bytes) -> str:
    """What the bytes look like: feed (RSS, Atom, RDF or JSON Feed), sitemap, telegram, html or
    unknown (a guess, checked by parsing)."""
    head = body.lstrip()[:2048].lower()
    if body.startswith(b"\x1f\x8b") or b"<urlset" in head or b"<sitemapindex" in head:
        return "sitemap"
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        return "feed"
    # a JSON Feed names its version, https://jsonfeed.org/version/1.1 (slashes maybe escaped),
    # anywhere in the object: key order is free
    if body.lstrip(_BOM + b" \t\r\n")[:1] == b"{" and b"jsonfeed.org" in body:
        return "feed"
    if b"tgme_widget_message" in body or b"tgme_channel_history" in body:
        return "telegram"
    if b"<html" in head or b"<!doctype html" in head:
        return "html"
    return "unknown"
