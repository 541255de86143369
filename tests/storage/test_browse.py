"""storage/browse.py: the console's reads; here, its calendar day without ICU (arithmetic on the
epoch, with the zone's offsets found in Python) against DuckDB's own timezone()."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from storage.browse import _day_sql, offsets


@pytest.mark.parametrize(
    "tz", ["Asia/Almaty", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Tehran"]
)
def test_the_day_of_an_instant_is_the_zones_calendar_day(tz: str) -> None:
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    segments = offsets(start, end, tz)
    day = _day_sql(segments).replace("coalesce(a.published_at, a.first_seen_at)", "t")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        wrong = con.execute(
            f"SELECT count(*) FILTER (WHERE {day} <> CAST(timezone('{tz}', t) AS DATE)), count(*) FROM"
            " (SELECT TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i * 97) AS t FROM range(650000) r(i))"
            " WHERE t < TIMESTAMPTZ '2026-01-01 00:00:00+00'"
        ).fetchone()
    finally:
        con.close()
    assert wrong is not None and wrong[0] == 0 and wrong[1] > 600_000
    if tz == "Europe/Berlin":  # two changes a year, each to the second
        assert len(segments) == 5
        assert datetime.fromtimestamp(segments[1][0] / 1e6, UTC) == datetime(2024, 3, 31, 1, 0, tzinfo=UTC)
