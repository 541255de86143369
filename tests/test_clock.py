"""flows/clock.py: days in the configured zone, printed times with their offset."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from flows.clock import day_start, local, local_date, offset, parse_since, zone

MOMENT = datetime(2026, 12, 1, 3, 21, tzinfo=UTC)


def test_times_carry_their_offset() -> None:
    assert local(MOMENT, ZoneInfo("Asia/Tashkent")) == "2026-12-01 08:21 +05"
    assert local(MOMENT, ZoneInfo("Asia/Kolkata")) == "2026-12-01 08:51 +05:30"
    assert local(MOMENT, ZoneInfo("America/St_Johns")) == "2026-11-30 23:51 -03:30"
    assert local(MOMENT.replace(tzinfo=None), ZoneInfo("UTC")) == "2026-12-01 03:21 +00"  # naive is UTC
    assert local(None, ZoneInfo("UTC")) == ""
    assert offset(MOMENT) == "+00"


def test_days_begin_at_local_midnight() -> None:
    assert day_start(date(2026, 12, 1), ZoneInfo("Asia/Tashkent")) == datetime(2026, 11, 30, 19, tzinfo=UTC)
    assert local_date(datetime(2026, 11, 30, 20, tzinfo=UTC), ZoneInfo("Asia/Tashkent")) == date(2026, 12, 1)
    assert local_date(None, ZoneInfo("UTC")) is None


def test_unknown_zones_are_named() -> None:
    assert zone("UTC").key == "UTC"
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        zone("Mars/Olympus")


ALMATY = ZoneInfo("Asia/Almaty")  # +05
NOW = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)  # already 2 December, 01:30, in Almaty


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("2026-11-28", datetime(2026, 11, 27, 19, tzinfo=UTC)),  # 00:00 in Almaty
        ("today", datetime(2026, 12, 1, 19, tzinfo=UTC)),  # the zone's today, not UTC's
        ("yesterday", datetime(2026, 11, 30, 19, tzinfo=UTC)),
        ("Yesterday ", datetime(2026, 11, 30, 19, tzinfo=UTC)),
        ("24h", datetime(2026, 11, 30, 20, 30, tzinfo=UTC)),
        ("7d", datetime(2026, 11, 24, 20, 30, tzinfo=UTC)),
        ("2w", datetime(2026, 11, 17, 20, 30, tzinfo=UTC)),
    ],
)
def test_since_is_a_day_in_the_zone_or_a_span_back_from_now(text: str, start: datetime) -> None:
    assert parse_since(text).start(ALMATY, NOW) == start


@pytest.mark.parametrize("text", ["last week", "7", "7days", "-7d", "2026-13-01", "d7", ""])
def test_since_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(ValueError, match="24h, 7d, 2w"):
        parse_since(text)
