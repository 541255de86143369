"""Feeds: RSS 0.9x/1.0/2.0 and Atom through feedparser, and JSON Feed 1.0/1.1, from bytes to
entries with absolute links."""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any

import feedparser
from feedparser.encodings import convert_to_utf8

from flows.stages.net.urls import BadLink, resolve_link
from flows.stages.reading.dates import feed_entry_date, parse_date, register_feed_date_handlers
from flows.stages.reading.extract import decode_html, html_to_text

# The first element, as feedparser finds it: everything before it is the prolog, where feedparser
# runs regexes that go quadratic on a large one and re-declares "safe" entities, which its loose
# parser then expands (a 3 MB entity used 300 times: 66 s and 4 GB). No real feed needs a prolog
# beyond the XML declaration, so only that is kept. Single-token patterns: nothing to backtrack.
_ELEMENT_START = re.compile(rb"<\w")
_SUBSET_END = re.compile(rb"\][ \t\r\n]*+>")  # possessive: never gives back what it matched
_DECLARED_ENCODING = re.compile(rb"""\A(\s*<\?xml[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")


class FeedError(Exception):
    """The bytes are not a feed at all (no entries and a parse error, or HTML)."""


@dataclass(frozen=True)
class FeedEntry:
    link: str
    raw_link: str
    title: str | None
    summary: str | None
    content: str | None
    published_at: datetime | None
    author: str | None
    guid: str | None
    # --- entries of sources without feeds ---
    # the page to fetch for the text: None, the link itself; "", none (the entry's text is the
    # article, a Telegram post); a URL, that page (the article a Telegram post links to)
    fetch: str | None = None
    section_check: bool = False  # a link found on a section page: it may be a section page itself

    @property
    def feed_text(self) -> str:
        """The longest text the feed itself gives for the entry (used when extraction fails)."""
        candidates = [html_to_text(c) for c in (self.content, self.summary) if c]
        return max(candidates, key=len, default="")


@dataclass
class ParsedFeed:
    title: str | None
    entries: list[FeedEntry]
    problem: str | None = None
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (link, why) of entries not taken


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]+")


def _text(value: Any) -> str | None:
    if not value:
        return None
    cleaned = " ".join(_CONTROLS.sub(" ", html_to_text(str(value))).split())
    return cleaned or None


def _take_link(
    raw_link: str, base_url: str, name: object, seen: set[str], dropped: list[tuple[str, str]]
) -> str | None:
    """The entry's absolute link; None for a link seen already in the feed, or a bad one, which is
    noted in `dropped` with the reason."""
    try:
        link = resolve_link(raw_link, base_url)
    except BadLink as exc:
        dropped.append((raw_link or "(none)", f"entry {str(name)[:200]!r}: {exc}"))
        return None
    if link in seen:
        return None
    seen.add(link)
    return link


def _skipped(dropped: list[tuple[str, str]]) -> list[str]:
    return [f"{len(dropped)} entries without a usable link skipped"] if dropped else []


def _content(entry: Any) -> str | None:
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents if isinstance(c, dict)), key=len, default="")
    return best or None


_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _doctype_end(body: bytes, start: int) -> tuple[int, bool] | None:
    """End of the DOCTYPE at `start` and whether it has an internal subset; None if it never ends."""
    gt = body.find(b">", start)
    bracket = body.find(b"[", start)
    if bracket == -1 or (gt != -1 and gt < bracket):
        return (gt + 1, False) if gt != -1 else None
    end = _SUBSET_END.search(body, bracket)
    return (end.end(), True) if end is not None else None


def _as_utf8(body: bytes, content_type: str) -> bytes:
    """The feed in UTF-8, its declaration saying so. Decoded as pages are (flows/stages/reading/extract.py):
    valid UTF-8 beats a `windows-1251` label left in a template, and bytes that are not what their
    label says (cp1251 sent as "utf-8") are detected, where feedparser would read them as Latin-1."""
    if body.isascii():
        return body
    return _DECLARED_ENCODING.sub(rb'\1"utf-8"', decode_html(body, content_type).encode("utf-8"), count=1)


def _strip_prolog(body: bytes) -> tuple[bytes, bool]:
    """The feed with only its XML declaration before the root element; True if a DTD with an
    internal subset (entity declarations) was among what was dropped.

    Linear in the body: each step moves past a comment, processing instruction, DOCTYPE or stray "<"."""
    pos = len(codecs.BOM_UTF8) if body.startswith(codecs.BOM_UTF8) else 0
    if body.startswith(b"<?xml", pos) and (decl_end := body.find(b"?>", pos)) != -1:
        pos = decl_end + 2
    keep = pos
    subset = False
    while (lt := body.find(b"<", pos)) != -1:
        if _ELEMENT_START.match(body, lt):
            return body[:keep] + b"\n" + body[lt:], subset
        if body.startswith(b"<!--", lt):
            end = body.find(b"-->", lt + 4)
            if end == -1:
                raise FeedError("malformed feed: a comment before the root element never ends")
            pos = end + 3
        elif body.startswith(b"<?", lt):
            end = body.find(b"?>", lt + 2)
            if end == -1:
                raise FeedError("malformed feed: a processing instruction before the root element never ends")
            pos = end + 2
        elif body.startswith(b"<!DOCTYPE", lt):
            found = _doctype_end(body, lt)
            if found is None:
                raise FeedError("malformed feed: the DOCTYPE declaration never ends")
            pos, has_subset = found
            subset = subset or has_subset
        else:
            pos = lt + 1  # a stray "<!ENTITY" or the like outside any DOCTYPE: dropped with the rest
    return body, subset


def parse_feed(
    body: bytes, base_url: str, now: datetime | None = None, content_type: str | None = None
) -> ParsedFeed:
    """Parse feed bytes; a malformed feed that still yields entries gives them, with its problem noted."""
    now = now or datetime.now(UTC)
    problems: list[str] = []
    if not body.strip():
        raise FeedError("empty response body: no feed")
    if body.lstrip(codecs.BOM_UTF8 + b" \t\r\n")[:1] == b"{":
        return _parse_json_feed(body, base_url, now)
    head = body[:4096]
    headers = {"content-location": base_url, "content-type": content_type or "application/xml"}
    ascii_like = body.lstrip()[:1] == b"<" or body.startswith(codecs.BOM_UTF8)
    if not ascii_like or b"\x00" in head[:4]:
        # UTF-16, UTF-32, EBCDIC: feedparser's own conversion first, so the prolog is seen as it will
        body = convert_to_utf8(dict(headers), body, {})
        headers["content-type"] = "application/xml; charset=utf-8"
    body = _as_utf8(body, headers["content-type"])
    headers["content-type"] = "application/xml; charset=utf-8"
    body, had_subset = _strip_prolog(body)
    if had_subset:
        problems.append("DTD with entity declarations removed (entities are never expanded)")
    register_feed_date_handlers()
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    bozo = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(bozo, _HARMLESS_BOZO):
        bozo = None
    if not parsed.entries:
        version = parsed.get("version") or ""
        lowered = head.lstrip().lower()
        if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered[:512]:
            raise FeedError("not a feed: the server sent an HTML page")
        if bozo is not None:
            raise FeedError(f"malformed feed: {_bozo_message(bozo)}")
        if not version:
            raise FeedError("not a feed: no RSS or Atom root element")
        # a valid feed with no entries is fine
    elif bozo is not None:
        problems.append(f"malformed feed ({_bozo_message(bozo)}); {len(parsed.entries)} entries recovered")

    entries: list[FeedEntry] = []
    dropped: list[tuple[str, str]] = []
    seen_links: set[str] = set()
    for raw in parsed.entries:
        raw_link = raw.get("link") or ""
        if not raw_link:
            for alt in raw.get("links", []):
                if alt.get("rel", "alternate") == "alternate" and alt.get("href"):
                    raw_link = alt["href"]
                    break
        if not raw_link and raw.get("id", "").startswith(("http://", "https://")):
            raw_link = raw["id"]
        title = _text(raw.get("title"))
        link = _take_link(raw_link, base_url, title or raw.get("id") or "?", seen_links, dropped)
        if link is None:
            continue
        entries.append(
            FeedEntry(
                link=link,
                raw_link=raw_link.strip(),
                title=title,
                summary=raw.get("summary") or None,
                content=_content(raw),
                published_at=feed_entry_date(raw, now),
                author=_text(raw.get("author")),
                guid=raw.get("id") or None,
            )
        )
    if not entries and bozo is not None:
        raise FeedError(f"malformed feed: {_bozo_message(bozo)}; no entry with a usable link")
    problems += _skipped(dropped)
    feed_title = _text(parsed.feed.get("title")) if parsed.get("feed") else None
    return ParsedFeed(title=feed_title, entries=entries, problem="; ".join(problems) or None, dropped=dropped)


def _json_date(item: dict[str, Any], now: datetime) -> datetime | None:
    value = item.get("date_published") or item.get("date_modified")
    return parse_date(value, now) if isinstance(value, str) else None


def _json_author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
    authors = authors if isinstance(authors, list) else []
    names = [str(a["name"]) for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
    return _text(", ".join(names)) if names else None


def _parse_json_feed(body: bytes, base_url: str, now: datetime) -> ParsedFeed:
    """JSON Feed (jsonfeed.org, versions 1 and 1.1): `items` with `url` (or `external_url`),
    `content_html`/`content_text`, `summary`, `date_published`, `authors`."""
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedError(f"malformed JSON feed: {exc}") from exc
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedError("not a feed: JSON without a JSON Feed version (https://jsonfeed.org/version/1.1)")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedError("malformed JSON feed: no list of items")
    entries: list[FeedEntry] = []
    dropped: list[tuple[str, str]] = []
    seen_links: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            dropped.append(("(none)", f"item {str(item)[:200]!r}: not an object"))
            continue
        raw_link = next((item[k] for k in ("url", "external_url") if isinstance(item.get(k), str)), "")
        title = _text(item.get("title"))
        link = _take_link(raw_link, base_url, title or item.get("id") or "?", seen_links, dropped)
        if link is None:
            continue
        html = item.get("content_html") if isinstance(item.get("content_html"), str) else None
        plain = item.get("content_text") if isinstance(item.get("content_text"), str) else None
        summary = item.get("summary") if isinstance(item.get("summary"), str) else None
        entries.append(
            FeedEntry(
                link=link,
                raw_link=raw_link.strip(),
                title=title,
                summary=summary,
                content=html
                or ("".join(f"<p>{escape(p)}</p>" for p in plain.split("\n\n")) if plain else None),
                published_at=_json_date(item, now),
                author=_json_author(item) or _json_author(doc),
                guid=str(item["id"]) if item.get("id") is not None else None,
            )
        )
    problems = _skipped(dropped)
    if items and not entries:
        raise FeedError(
            f"malformed JSON feed: no item with a usable link ({dropped[0][1] if dropped else ''})"
        )
    return ParsedFeed(
        title=_text(doc.get("title")), entries=entries, problem="; ".join(problems) or None, dropped=dropped
    )


def _bozo_message(exc: BaseException) -> str:
    message = getattr(exc, "getMessage", None)
    text = message() if callable(message) else str(exc)
    line = getattr(exc, "getLineNumber", None)
    if callable(line):
        text = f"{text} at line {line()}"
    return text or type(exc).__name__
