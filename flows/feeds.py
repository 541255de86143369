"""Feeds: RSS 0.9x/1.0/2.0 and Atom through feedparser, from bytes to entries with absolute links."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from flows.extract import html_to_text
from flows.urls import BadLink, resolve_link

# An internal DTD subset is how entity-expansion ("billion laughs") and external-entity feeds
# arrive; no real feed needs one, so it is removed before parsing.
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[.*?\]\s*>", re.DOTALL | re.IGNORECASE)
_FUTURE_SLACK = timedelta(days=1)


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


def _text(value: Any) -> str | None:
    if not value:
        return None
    cleaned = html_to_text(str(value)).strip()
    return cleaned or None


def _date(entry: Any, now: datetime) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                when = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, TypeError):
                continue
            if when > now + _FUTURE_SLACK or when.year < 1990:
                return None  # a clock or template error; first_seen_at still orders the story
            return when
    return None


def _content(entry: Any) -> str | None:
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents if isinstance(c, dict)), key=len, default="")
    return best or None


_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def parse_feed(
    body: bytes, base_url: str, now: datetime | None = None, content_type: str | None = None
) -> ParsedFeed:
    """Parse feed bytes; a malformed feed that still yields entries gives them, with its problem noted."""
    now = now or datetime.now(UTC)
    problems: list[str] = []
    if not body.strip():
        raise FeedError("empty response body: no feed")
    head = body[:4096]
    if _DOCTYPE_SUBSET.search(body[:65536]) or b"<!ENTITY" in head:
        body = _DOCTYPE_SUBSET.sub(b"", body, count=1)
        problems.append("DTD with entity declarations removed (entities are never expanded)")
    headers = {"content-location": base_url, "content-type": content_type or "application/xml"}
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
        try:
            link = resolve_link(raw_link, base_url)
        except BadLink as exc:
            name = title or raw.get("id") or "?"
            dropped.append((raw_link or "(none)", f"entry {str(name)[:200]!r}: {exc}"))
            continue
        if link in seen_links:
            continue
        seen_links.add(link)
        entries.append(
            FeedEntry(
                link=link,
                raw_link=raw_link.strip(),
                title=title,
                summary=raw.get("summary") or None,
                content=_content(raw),
                published_at=_date(raw, now),
                author=_text(raw.get("author")),
                guid=raw.get("id") or None,
            )
        )
    if not entries and bozo is not None:
        raise FeedError(f"malformed feed: {_bozo_message(bozo)}; no entry with a usable link")
    if dropped:
        problems.append(f"{len(dropped)} entries without a usable link skipped")
    feed_title = _text(parsed.feed.get("title")) if parsed.get("feed") else None
    return ParsedFeed(title=feed_title, entries=entries, problem="; ".join(problems) or None, dropped=dropped)


def _bozo_message(exc: BaseException) -> str:
    message = getattr(exc, "getMessage", None)
    text = message() if callable(message) else str(exc)
    line = getattr(exc, "getLineNumber", None)
    if callable(line):
        text = f"{text} at line {line()}"
    return text or type(exc).__name__
