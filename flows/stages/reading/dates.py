"""Dates as sources write them, read in one place, and one rule for which of them to believe.

- W3C/ISO 8601 datetimes (sitemaps, JSON Feed, a Telegram post's `<time datetime>`, the
  high-water marks the crawler stores): `parse_date`.
- RSS and Atom dates: feedparser reads RFC 822 and the other forms it knows; `feed_entry_date`
  takes the entry's date from it. Month names of the region, which feedparser does not know (it
  knows English, Greek, Hungarian and Korean ones), are read by `parse_local_date`:
  "Вт, 01 дек 2026 10:00:00 +0600", "1 декабря 2026 г. 10:00", "1 желтоқсан 2026 ж. 10:00",
  "1 dekabr 2026 10:00". `register_feed_date_handlers` hands it to feedparser.
- A page's own date: `page_date`, from what its metadata states (JSON-LD, meta tags, microdata,
  `<time datetime>`), with the time and zone it gives; a date guessed from its URL or text only
  where it states none. Which to keep, the feed's or the page's: `better_date`.

`plausible` is the one rule for feeds, sitemaps, pages and crawler marks: a date more than a day
ahead of now, or before 1990, is a clock or template error, not a publication date (first_seen_at
still orders the story).

A day without a time is stored as its midnight UTC (`is_day`): feeds that give only a day write
00:00:00 GMT, and a sitemap's `2026-11-30` reads the same.
"""

from __future__ import annotations

import calendar
import email.utils
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, NamedTuple

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


class _Stated(NamedTuple):
    when: datetime  # in the zone it was written in (UTC when none was)
    timed: bool  # a time of day was given, not a day alone
    zoned: bool  # and a zone with it


_ZONE_WORD = re.compile(r"(?<=\d)\s*(?:UTC|GMT)$", re.IGNORECASE)
_MERIDIEM = re.compile(r"\d\s*[AP]\.?M\b", re.IGNORECASE)  # email.utils reads 06:47 PM as 06:47


def _stated(text: str | None) -> _Stated | None:
    """A date as a page's metadata writes it: ISO 8601 (2019-01-03T07:00:02.000Z,
    2016-12-22T10:43:37-0800, 2019-04-28 06:01:07, 2016-12-19 19:19:00 UTC, 2024-06-25) or
    RFC 822 with its zone (Tue, 07 Apr 2020 07:36:07 +0530; Mon Aug 03 12:45:00 EDT 2015)."""
    value = " ".join((text or "").split())
    if not value or len(value) > 64:
        return None
    iso = _ZONE_WORD.sub("+00:00", value)
    try:
        when = datetime.fromisoformat(iso)
        timed = len(iso) > 10
    except ValueError:
        if _MERIDIEM.search(value):
            return None
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000" or a zone name it does not know
            return None
        timed = True
    zoned = when.tzinfo is not None
    return _Stated(when if zoned else when.replace(tzinfo=UTC), timed, zoned)


def is_day(when: datetime) -> bool:
    """A day without a time (its midnight UTC), as feeds and sitemaps that give only a day write it."""
    at = when.astimezone(UTC)
    return (at.hour, at.minute, at.second, at.microsecond) == (0, 0, 0, 0)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def on_day(when: datetime, day: datetime) -> bool:
    """`when` falls on the date of `day` (a day at its midnight UTC) in some zone, UTC-12 to UTC+14."""
    return day - timedelta(hours=14) <= when < day + timedelta(days=1, hours=12)


def page_date(
    stated: Sequence[str],
    guess: Callable[[], str | None] | None = None,
    shown: Sequence[str] = (),
    now: datetime | None = None,
) -> datetime | None:
    """The date a page gives itself, in UTC, or None; every date `plausible`:

    1. the first of `stated` (its structured metadata, most trusted first) that reads as a date;
       if it is a day alone, the first later one with a time on that day;
    2. when none reads as a date at all, the day `guess` gives (htmldate's, from the URL or text):
       a date the page states and the rule refuses is not let back in as a guess;
    3. a day alone takes its time from the first of `shown` (`<time datetime>` values) with a time
       and a zone, if that falls on the same day in the zone it gives; else its midnight UTC."""
    now = now or datetime.now(UTC)
    readable = [r for r in map(_stated, stated) if r is not None]
    read = [r for r in readable if plausible(r.when, now)]
    if read:
        if read[0].timed:
            return read[0].when.astimezone(UTC)
        day = read[0].when.date()
        for r in read[1:]:
            if r.timed and r.when.date() == day:
                return r.when.astimezone(UTC)
    else:
        guessed = _stated(guess()) if guess is not None and not readable else None
        if guessed is None or not plausible(guessed.when, now):
            return None
        day = guessed.when.date()
    for text in shown:
        time_of_day = _stated(text)
        if time_of_day is not None and time_of_day.timed and time_of_day.zoned:
            if time_of_day.when.date() == day and plausible(time_of_day.when, now):
                return time_of_day.when.astimezone(UTC)
            break
    return _midnight(day)


def better_date(listed: datetime | None, page: datetime | None) -> datetime | None:
    """The date a feed, sitemap or channel lists an entry under, unless it is a day alone
    (`is_day`) and the page gives a time on that day: the page's time then. A listed time is
    the outlet's own word and stays, whatever the page says."""
    if listed is None:
        return page
    if page is not None and is_day(listed) and not is_day(page) and on_day(page, listed):
        return page
    return listed


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
