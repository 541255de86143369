"""Dates (flows/stages/reading/dates.py): W3C datetimes, feed dates with the region's month names,
page dates, and the one plausibility rule that feeds, sitemaps, JSON feeds and pages share."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.stages.reading.dates import better_date, is_day, page_date, parse_date, plausible
from flows.stages.reading.extract import extract_page
from flows.stages.sources.feeds import parse_feed
from flows.stages.sources.sitemaps import parse_sitemap
from tests.support import ROOT

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Вт, 01 дек 2026 10:00:00 +0600", datetime(2026, 12, 1, 4, 0, tzinfo=UTC)),
        ("1 декабря 2026 г. 10:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("3 мая 2025, 09:15 +05:00", datetime(2025, 5, 3, 4, 15, tzinfo=UTC)),
        ("1 желтоқсан 2026 ж. 10:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("20 маусым 2026", datetime(2026, 6, 20, tzinfo=UTC)),
        ("1 dekabr 2026 10:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("15 iyul 2026", datetime(2026, 7, 15, tzinfo=UTC)),
        ("15 iyun 2026", datetime(2026, 6, 15, tzinfo=UTC)),
        ("Tue, 01 Dec 2026 10:00:00 +0600", datetime(2026, 12, 1, 4, 0, tzinfo=UTC)),  # feedparser's own
        ("1 декабря 2026 г. в 10:00:30 -03:00", datetime(2026, 12, 1, 13, 0, 30, tzinfo=UTC)),
    ],
)
def test_feed_dates_with_the_regions_month_names(written: str, expected: datetime) -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Лента</title>'
        f"<item><title>Новость</title><link>http://a.test/1</link><pubDate>{written}</pubDate></item>"
        "</channel></rss>"
    ).encode()
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert parse_feed(body, "http://a.test/feed.xml", now=now).entries[0].published_at == expected


@pytest.mark.parametrize(
    "written", ["12 фунтов 2026", "вчера", "32 декабря 2026", "1 декабря 2026 г. 25:00", "15 iyux 2026"]
)
def test_what_is_no_date_stays_no_date(written: str) -> None:
    body = (
        '<rss version="2.0"><channel><title>T</title>'
        f"<item><title>N</title><link>http://a.test/1</link><pubDate>{written}</pubDate></item></channel></rss>"
    ).encode()
    assert parse_feed(body, "http://a.test/feed.xml").entries[0].published_at is None


def test_the_month_names_are_registered_with_feedparser_when_feeds_are_parsed_and_once() -> None:
    """Not on import (a global handler is no side effect of importing a module), and a second
    registration adds nothing."""
    script = """
import feedparser
from flows.stages.reading import dates
import flows.stages.sources.feeds
calls = []
feedparser.registerDateHandler = calls.append
assert calls == [], calls
dates.register_feed_date_handlers()
dates.register_feed_date_handlers()
assert calls == [dates.parse_local_date], calls
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_parse_date_forms() -> None:
    assert parse_date("2026-11-30T10:00Z", NOW) == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert parse_date("2026-11-30T10:00z", NOW) == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert parse_date("2026-11-30T10:00:00.5+06:00", NOW) == datetime(
        2026, 11, 30, 4, 0, 0, 500000, tzinfo=UTC
    )
    assert parse_date(" 2026-11-30 ", NOW) == datetime(2026, 11, 30, tzinfo=UTC)
    assert parse_date("yesterday", NOW) is None and parse_date(None) is None and parse_date("") is None


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("stated", "expected"),
    [
        ("2026-11-30T21:30:00Z", utc(2026, 11, 30, 21, 30)),
        ("2026-12-01T02:30:00+05:00", utc(2026, 11, 30, 21, 30)),  # the same instant, Almaty's time
        ("2026-11-30T21:30:00.000Z", utc(2026, 11, 30, 21, 30)),  # fractional seconds, as most CMSs write
        ("2026-11-30T13:30:00-0800", utc(2026, 11, 30, 21, 30)),
        ("2026-11-30 21:30:00 UTC", utc(2026, 11, 30, 21, 30)),
        ("2026-11-30 21:30:00", utc(2026, 11, 30, 21, 30)),  # no zone given: UTC
        ("Tue, 01 Dec 2026 03:00:00 +0530", utc(2026, 11, 30, 21, 30)),
        ("Mon Nov 30 16:30:00 EST 2026", utc(2026, 11, 30, 21, 30)),
        ("2026-11-30", utc(2026, 11, 30)),  # a day alone: its midnight UTC
    ],
)
def test_a_page_date_keeps_the_time_and_zone_the_page_states(stated: str, expected: datetime) -> None:
    assert page_date([stated], now=NOW) == expected


@pytest.mark.parametrize("stated", ["30.11.2026", "Nov 30, 2026 9:30 PM", "yesterday", "2026", "", "x" * 100])
def test_what_reads_as_no_date_is_none(stated: str) -> None:
    """A time of day with AM/PM is not guessed at (email.utils would read 9:30 PM as 09:30)."""
    assert page_date([stated], now=NOW) is None


def test_structured_metadata_beats_a_date_guessed_from_url_or_text() -> None:
    assert page_date([], lambda: "2015-06-01", now=NOW) == utc(2015, 6, 1)
    assert page_date(["2026-11-30T21:30:00Z"], lambda: "2015-06-01", now=NOW) == utc(2026, 11, 30, 21, 30)
    # the most trusted statement first: a later one never overrides it with another day
    assert page_date(["2026-11-30T21:30:00Z", "2026-11-29T08:00:00Z"], now=NOW) == utc(2026, 11, 30, 21, 30)


def test_a_day_takes_its_time_from_a_later_statement_or_time_element_on_that_day_only() -> None:
    # the day as the outlet writes it, in its own zone: 1 December in Almaty is 21:30 UTC the day before
    assert page_date(["2026-12-01", "2026-12-01T02:30:00+05:00"], now=NOW) == utc(2026, 11, 30, 21, 30)
    assert page_date(["2026-11-30", "2026-12-01T02:30:00+05:00"], now=NOW) == utc(2026, 11, 30)
    assert page_date(["2026-11-30", "2026-11-28T10:00:00Z"], now=NOW) == utc(2026, 11, 30)
    shown = ["2026-11-30T16:30:00-05:00", "2026-11-30T09:00:00Z"]  # the first zoned <time> decides
    assert page_date(["2026-11-30"], shown=shown, now=NOW) == utc(2026, 11, 30, 21, 30)

    def guessed(shown: list[str]) -> datetime | None:
        return page_date([], lambda: "2026-11-30", shown, now=NOW)

    assert guessed(shown) == utc(2026, 11, 30, 21, 30)
    assert guessed(["2026-11-29T10:00:00Z", shown[0]]) == utc(2026, 11, 30)  # the first is another day
    assert guessed(["2026-11-30T10:00:00"]) == utc(2026, 11, 30)  # no zone: no time taken from it
    assert guessed(["10:00", "2026-11-30T10:00:00Z"]) == utc(2026, 11, 30, 10)


def test_a_page_date_in_the_future_is_refused() -> None:
    """The rule of feeds and sitemaps (`plausible`): a day ahead of now at most, 1990 at the earliest."""
    ahead = "2026-12-03T10:00:00Z"
    assert page_date([ahead], now=NOW) is None
    assert page_date([ahead, "2026-11-30T21:30:00Z"], now=NOW) == utc(2026, 11, 30, 21, 30)
    assert page_date([], lambda: "2026-12-05", now=NOW) is None
    assert page_date([], lambda: "1989-12-31", now=NOW) is None
    assert page_date(["2026-11-30"], shown=[ahead], now=NOW) == utc(2026, 11, 30)
    # a date the page states and the rule refuses is not let back in as a guess from its text
    assert page_date([ahead], lambda: "2026-12-02", now=NOW) is None
    assert page_date(["30.11.2026"], lambda: "2026-11-30", now=NOW) == utc(2026, 11, 30)  # unreadable: guess


def test_the_feeds_date_stays_unless_it_is_a_day_and_the_page_gives_the_time() -> None:
    page = utc(2026, 11, 30, 21, 30)
    assert better_date(utc(2026, 11, 30, 20, 0), page) == utc(2026, 11, 30, 20, 0)  # the feed's time
    assert better_date(utc(2026, 11, 30), page) == page  # the feed gives the day only
    assert better_date(utc(2026, 12, 1), page) == page  # the outlet's own day, east of UTC
    assert better_date(utc(2026, 11, 25), page) == utc(2026, 11, 25)  # another day: the feed's
    assert better_date(utc(2026, 11, 30), utc(2026, 11, 29)) == utc(2026, 11, 30)  # no time either
    assert better_date(None, page) == page and better_date(page, None) == page
    assert better_date(None, None) is None
    assert is_day(utc(2026, 11, 30)) and not is_day(page)
    assert is_day(datetime(2026, 11, 30, 5, tzinfo=timezone(timedelta(hours=5))))


# the edges of the one rule, each written as a W3C datetime
EDGES = [
    ("2026-12-02T12:00:00+00:00", True),  # a day ahead: a clock a little fast
    ("2026-12-02T12:00:01+00:00", False),
    ("2026-12-02T17:00:00+05:00", True),  # the same instant as the first, written in local time
    ("1990-01-01T00:00:00+00:00", True),
    ("1989-12-31T23:59:59+00:00", False),
    ("1990-01-01T03:00:00+05:00", False),  # 1989 in UTC: the rule is read in UTC
]


def _sitemap(written: str) -> datetime | None:
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://a.test/1</loc><lastmod>{written}</lastmod></url></urlset>'
    return parse_sitemap(body.encode(), "http://a.test/sitemap.xml", now=NOW).entries[0].published_at


def _json_feed(written: str) -> datetime | None:
    body = f'{{"version": "https://jsonfeed.org/version/1.1", "items": [{{"url": "http://a.test/1", "date_published": "{written}"}}]}}'
    return parse_feed(body.encode(), "http://a.test/feed.json", now=NOW).entries[0].published_at


def _rss(written: str) -> datetime | None:
    rfc822 = datetime.fromisoformat(written).strftime("%a, %d %b %Y %H:%M:%S %z")
    body = f'<rss version="2.0"><channel><title>T</title><item><link>http://a.test/1</link><pubDate>{rfc822}</pubDate></item></channel></rss>'
    return parse_feed(body.encode(), "http://a.test/feed.xml", now=NOW).entries[0].published_at


def _page(written: str) -> datetime | None:
    """A page whose only date is its Open Graph one (and no date in its URL or text)."""
    body = f'<html><head><meta property="article:published_time" content="{written}"></head><body><p>Text.</p></body></html>'
    return extract_page(body.encode(), "http://a.test/story", mode="fast", now=NOW).published_at


def _page_json_ld(written: str) -> datetime | None:
    body = f'<html><head><script type="application/ld+json">{{"@type": "NewsArticle", "datePublished": "{written}"}}</script></head><body><p>Text.</p></body></html>'
    return extract_page(body.encode(), "http://a.test/story", mode="fast", now=NOW).published_at


@pytest.mark.parametrize(
    "source", [_sitemap, _json_feed, _rss, _page, _page_json_ld, lambda w: parse_date(w, NOW)]
)
@pytest.mark.parametrize(("written", "believed"), EDGES)
def test_one_plausibility_rule_for_sitemaps_feeds_and_pages(
    source: Callable[[str], datetime | None], written: str, believed: bool
) -> None:
    when = datetime.fromisoformat(written)
    assert plausible(when, NOW) is believed
    assert source(written) == (when if believed else None)


@given(
    st.datetimes(
        min_value=datetime(1980, 1, 1),
        max_value=datetime(2030, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=5)), timezone(timedelta(hours=-3, minutes=-30))]
        ),
    )
)
def test_a_w3c_datetime_is_read_back_as_the_same_instant_when_plausible(when: datetime) -> None:
    read = parse_date(when.isoformat(), NOW)
    assert read == (when if plausible(when, NOW) else None)
    assert read is None or read.tzinfo is UTC
    on_page = page_date([when.isoformat()], now=NOW)
    assert on_page == read  # the same instant, by the same rule, as a page states it
    assert on_page is None or on_page.tzinfo is UTC
