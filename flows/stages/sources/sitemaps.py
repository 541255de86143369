"""Sitemaps: a sitemap index or URL set (plain, or Google News with news:title, news:publication_date
and news:language), gzipped or not, and the `Sitemap:` lines of a robots.txt. Bytes in, values out.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from flows.stages.net.urls import BadLink, resolve_link
from flows.stages.reading.dates import parse_date

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"  # a UTF-8 byte-order mark, which Windows tools and some CMSs write first
_SITEMAP_KEYS = ("sitemap", "site-map")  # Google reads both spellings, in any case


class SitemapError(Exception):
    """The bytes are not a sitemap (nor a robots.txt naming one)."""


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    published_at: datetime | None  # news:publication_date, else lastmod
    title: str | None = None  # news:title
    language: str | None = None  # news:language


@dataclass(frozen=True)
class ChildSitemap:
    url: str
    lastmod: str | None  # as written: compared as text with the one stored last time


@dataclass
class ParsedSitemap:
    entries: list[SitemapEntry] = field(default_factory=list)
    children: list[ChildSitemap] = field(default_factory=list)  # a sitemap index (or a robots.txt)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (link, why)

    @property
    def is_index(self) -> bool:
        return bool(self.children)


def gunzip(body: bytes, limit: int) -> bytes:
    """A gzipped body unpacked (never more than `limit` bytes), any other body as it is."""
    if not body.startswith(_GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise SitemapError(f"broken gzip data: {exc}") from exc
    if len(out) > limit:
        raise SitemapError(f"gzipped sitemap larger than max_bytes ({limit}) once unpacked")
    return out


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(node: etree._Element, name: str) -> str | None:
    for child in node.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return str(child.text).strip()
    return None


def robots_sitemaps(text: str, base_url: str) -> list[str]:
    """The `Sitemap:` lines of a robots.txt (also `Site-map:`, `sitemap :`), as absolute URLs, in
    order, each once."""
    found: list[str] = []
    for line in text.removeprefix("\ufeff").splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in _SITEMAP_KEYS and value.strip():
            try:
                link = resolve_link(value.strip(), base_url)
            except BadLink:
                continue
            if link not in found:
                found.append(link)
    return found


def parse_sitemap(
    body: bytes, base_url: str, *, limit: int = 50_000_000, now: datetime | None = None
) -> ParsedSitemap:
    """Parse sitemap bytes (gzipped or not); a robots.txt gives its `Sitemap:` lines as children."""
    body = gunzip(body, limit).removeprefix(_BOM)
    head = body.lstrip()[:512].lower()
    if not head.startswith(b"<"):
        text = body.decode("utf-8", "replace")
        children = [ChildSitemap(u, None) for u in robots_sitemaps(text, base_url)]
        if children:
            return ParsedSitemap(children=children)
        raise SitemapError("not a sitemap: no XML and no `Sitemap:` line")
    if head.startswith((b"<!doctype html", b"<html")):
        raise SitemapError("not a sitemap: the server sent an HTML page")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"malformed sitemap: {exc}") from exc
    if root is None:
        raise SitemapError("malformed sitemap: no root element")
    kind = _local(root.tag)
    result = ParsedSitemap()
    if kind == "sitemapindex":
        for node in root:
            if _local(node.tag) != "sitemap":
                continue
            loc = _child_text(node, "loc")
            if not loc:
                continue
            try:
                result.children.append(
                    ChildSitemap(resolve_link(loc, base_url), _child_text(node, "lastmod"))
                )
            except BadLink as exc:
                result.dropped.append((loc[:2000], str(exc)))
        return result
    if kind != "urlset":
        raise SitemapError(
            f"not a sitemap: root element <{kind}> (a <urlset> or <sitemapindex> was expected)"
        )
    seen: set[str] = set()
    for node in root:
        if _local(node.tag) != "url":
            continue
        loc = None
        for child in node:
            if _local(child.tag) == "loc" and child.text:
                loc = str(child.text).strip()
                break
        if not loc:
            continue
        try:
            link = resolve_link(loc, base_url)
        except BadLink as exc:
            result.dropped.append((loc[:2000], str(exc)))
            continue
        if link in seen:
            continue
        seen.add(link)
        news_date = title = language = None
        lastmod = None
        for child in node.iter():
            name = _local(child.tag)
            if name == "lastmod" and child.text:
                lastmod = child.text
            elif name == "publication_date" and child.text:
                news_date = child.text
            elif name == "title" and child.text and child.text.strip():
                title = " ".join(str(child.text).split())
            elif name == "language" and child.text and child.text.strip():
                language = str(child.text).strip().lower()
        published = parse_date(news_date, now) or parse_date(lastmod, now)
        result.entries.append(SitemapEntry(link, published, title, language))
    return result
