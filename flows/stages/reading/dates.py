"""Dates as sources write them, read in one place, and one rule for which of them to believe.

- W3C/ISO 8601 datetimes (sitemaps, JSON Feed, a Telegram post's `<time datetime>`, the
  high-water marks the crawler stores): `parse_date`.
- RSS and Atom dates: feedparser reads RFC 822 and the other forms it knows; `feed_entry_date`
  takes the entry's date from it. Month names of the region, which feedparser does not know (it
  knows English, Greek, Hungarian and Korean ones), are read by `parse_local_date`:
  "Вт, 01 дек 2026 10:00:00 +0600", "1 декабря 2026 г. 10:00", "1 желтоқсан 2026 ж. 10:00",
  "1 dekabr 2026 10:00". `register_feed_date_handlers` hands it to feedparser.
- A page's own date, as htmldate finds it: `page_date`.

`plausible` is the one rule for feeds, sitemaps and crawler marks: a date more than a day ahead
of now, or before 1990, is a clock or template error, not a publication date (first_seen_at
still orders the story).
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import feedparser

FUTURE_SLACK = timedelta(days=1)  # a source's clock a little ahead, or a zone written wrong
EARLIEST_YEAR = 1990


def plausible(when: datetime, now: datetime) -> bool:
    """Not more than FUTURE_SLACK ahead of `now`, and not before EARLIEST_YEAR (in UTC)."""
    return not (when > now + FUTURE_SLACK or when.astimezone(UTC).year < EARLIEST_YEAR)


def parse_date(text: str | None, now: datetime | None = None) -> datetime | None:
    """A W3C datetime (2026-11-30, 2026-11-30T10:00Z, 2026-11-30T10:00:00+05:00) in UTC, or None
    when it is no such date or not `plausible`. No zone given: UTC."""
    if not text:
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    return when if plausible(when, now or datetime.now(UTC)) else None


def page_date(value: str | None) -> datetime | None:
    """The date htmldate found on a page (an ISO date), UTC when no zone is given, or None.

    Not held to `plausible`: htmldate already keeps what it returns between 1995 and today."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def feed_entry_date(entry: Mapping[str, Any], now: datetime) -> datetime | None:
    """A feedparser entry's date (published, else updated, else created) in UTC, or None when it
    has none or the first it has is not `plausible`."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                when = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, TypeError):
                continue
            return when if plausible(when, now) else None
    return None


# the first three letters of each month's name: Russian (also Uzbek, Tajik and Kyrgyz Cyrillic
# spellings, январ, феврал...), Kazakh, Uzbek Latin
_MONTHS = {
    **dict.fromkeys(("янв", "қаң", "yan"), 1),
    **dict.fromkeys(("фев", "ақп", "fev"), 2),
    **dict.fromkeys(("мар", "нау", "mar"), 3),
    **dict.fromkeys(("апр", "сәу", "apr"), 4),
    **dict.fromkeys(("мая", "май", "мае", "мам", "may"), 5),
    **dict.fromkeys(("июн", "мау", "iyu"), 6),  # iyun and iyul: told apart below
    **dict.fromkeys(("июл", "шіл"), 7),
    **dict.fromkeys(("авг", "там", "avg"), 8),
    **dict.fromkeys(("сен", "қыр", "sen"), 9),
    **dict.fromkeys(("окт", "қаз", "okt"), 10),
    **dict.fromkeys(("ноя", "қар", "noy"), 11),
    **dict.fromkeys(("дек", "жел", "dek"), 12),
}
_DATE = re.compile(
    r"(?<!\d)(\d{1,2})\s*\.?\s*([^\W\d_]{3,})\.?,?\s+(\d{4})"
    r"(?:\s*(?:г|года|ж|жыл|йил|yil)?\.?,?\s*(?:в\s+)?(\d{1,2}:\d{2}(?::\d{2})?))?"
    r"(?:\s*([+-]\d{2}:?\d{2}))?",
    re.IGNORECASE,
)


def _month(word: str) -> int | None:
    word = word.lower()
    if word.startswith("iyu"):
        return 7 if word.startswith("iyul") else 6 if word.startswith("iyun") else None
    return _MONTHS.get(word[:3])


def parse_local_date(value: str) -> time.struct_time | None:
    """A date with the region's month name, in UTC (no offset given: taken as UTC, as feedparser
    does), as the 9-tuple feedparser's date handlers return; None lets its next handler try."""
    m = _DATE.search(value)
    if m is None or (month := _month(m.group(2))) is None:
        return None
    hour, minute, second = ([int(p) for p in (m.group(4) or "0:0").split(":")] + [0])[:3]
    zone = (m.group(5) or "+0000").replace(":", "")
    offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * (-1 if zone[0] == "-" else 1)
    try:
        when = datetime(
            int(m.group(3)), month, int(m.group(1)), hour, minute, second, tzinfo=timezone(offset)
        )
    except ValueError:  # 32 декабря, 25:00, an offset of a day or more
        return None
    return when.utctimetuple()


_registered = False


def register_feed_date_handlers() -> None:
    """Teach feedparser the region's month names; called before feeds are parsed. Idempotent:
    feedparser keeps its handlers in one global list, and a second copy would only be tried twice."""
    global _registered
    if not _registered:
        feedparser.registerDateHandler(parse_local_date)
        _registered = True
