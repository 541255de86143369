"""Feed dates with the region's month names (flows/stages/reading/dates.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.stages.sources.feeds import parse_feed


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


@pytest.mark.parametrize("written", ["12 фунтов 2026", "вчера", "32 декабря 2026"])
def test_what_is_no_date_stays_no_date(written: str) -> None:
    body = (
        '<rss version="2.0"><channel><title>T</title>'
        f"<item><title>N</title><link>http://a.test/1</link><pubDate>{written}</pubDate></item></channel></rss>"
    ).encode()
    assert parse_feed(body, "http://a.test/feed.xml").entries[0].published_at is None
