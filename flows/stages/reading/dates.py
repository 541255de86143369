"""Feed dates written with the region's month names, which feedparser does not read (it knows
English, Greek, Hungarian and Korean ones): "Вт, 01 дек 2026 10:00:00 +0600", "1 декабря 2026 г.
10:00", "1 желтоқсан 2026 ж. 10:00", "1 dekabr 2026 10:00". Registered with feedparser on import.
"""

from __future__ import annotations

import re
import time

import feedparser
from feedparser.datetimes.rfc822 import _parse_date_rfc822

_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
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
    """The date in UTC (no offset given: taken as UTC, as feedparser does), or None to let the next
    handler try."""
    m = _DATE.search(value)
    if m is None or (month := _month(m.group(2))) is None:
        return None
    zone = (m.group(5) or "+0000").replace(":", "")
    result: time.struct_time | None = _parse_date_rfc822(
        f"{int(m.group(1))} {_EN[month - 1]} {m.group(3)} {m.group(4) or '00:00'} {zone}"
    )
    return result


feedparser.registerDateHandler(parse_local_date)
