"""Days and printed times: one rule for every command.

A day is a calendar day in `settings.timezone` unless a command's `--tz` names another zone; a
printed time is in that zone and always carries its UTC offset ("2026-12-01 13:21 +05"), so the
same moment never reads as two different hours without saying why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> ZoneInfo:
    """The zone called `name` (an IANA name such as Asia/Almaty, or UTC); ValueError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Asia/Almaty or UTC)") from exc


def offset(value: datetime) -> str:
    """A time's UTC offset, short: +05, -03:30, +00."""
    delta = value.utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")


def local(value: datetime | None, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`value` in `tz` with its offset ("2026-12-01 13:21 +05"); "" for None. A naive time is UTC."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    moment = value.astimezone(tz)
    return f"{moment.strftime(fmt)} {offset(moment)}"


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant `day` begins in `tz` (what `--since YYYY-MM-DD` means)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_date(value: datetime | None, tz: ZoneInfo) -> date | None:
    """The calendar day `value` falls on in `tz`."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(tz).date()


# --- since: a day, or a span back from now ---------------------------------------------------------

_SPAN = re.compile(r"^(\d{1,5})\s*([hdw])$")
_UNIT_HOURS = {"h": 1, "d": 24, "w": 24 * 7}
SINCE_HELP = "YYYY-MM-DD, today, yesterday, or a span back from now: 24h, 7d, 2w"


@dataclass(frozen=True)
class Since:
    """When a `--since` starts, as written: a calendar day (from 00:00 in the zone), or hours back
    from now (24h, 7d, 2w)."""

    text: str
    day: date | None = None
    days_back: int | None = None  # today 0, yesterday 1
    hours: int | None = None

    def start(self, tz: ZoneInfo, now: datetime | None = None) -> datetime:
        """The UTC instant it starts: a day at 00:00 in `tz`, a span back from `now`."""
        now = now or datetime.now(UTC)
        if self.hours is not None:
            return now.astimezone(UTC) - timedelta(hours=self.hours)
        if self.day is not None:
            return day_start(self.day, tz)
        today = now.astimezone(tz).date()
        return day_start(today - timedelta(days=self.days_back or 0), tz)


def parse_since(text: str) -> Since:
    """`2026-05-01`, `today`, `yesterday`, `24h`, `7d`, `2w`; ValueError naming the forms otherwise."""
    value = text.strip().lower()
    if value in ("today", "yesterday"):
        return Since(text, days_back=0 if value == "today" else 1)
    if m := _SPAN.match(value):
        return Since(text, hours=int(m.group(1)) * _UNIT_HOURS[m.group(2)])
    try:
        return Since(text, day=date.fromisoformat(value))
    except ValueError:
        raise ValueError(f"{text!r} is not a day or a span ({SINCE_HELP})") from None
