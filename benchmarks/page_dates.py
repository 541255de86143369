"""Page dates on real news pages: how many get the right day, the right time, and how many are
years off, when the page itself is all there is to go by (a page source, a sitemap without dates).

    python -m benchmarks.page_dates DIR [--labels FILE] [--fold tuned|held-out] [--show N] [--out FILE]

DIR is what benchmarks/page_dates_build.py writes (pages/NAME.html and pages.jsonl). Every page
goes through `flows.stages.reading.extract.extract_page` as the analysis worker calls it when the
feed gives no date, and its `published_at` is compared with the expected date in
benchmarks/page_dates_labels.json:

- "minute" labels (a time with its zone, as the page states it): right day (the same UTC date;
  also the same date in Asia/Almaty), right time (within a minute), years off (365 days or more);
- "day" labels (the page states a date, or a time without a zone): right day when the date found
  falls on that date in some zone (UTC-12 to UTC+14), years off;
- DAnIEL pages (rundimeco/waddle, even-crc32 domains only) carry the date the corpus lists them
  under (the story's day; many pages were saved months later, and show that day in their
  headers): right day when the date found is at most a day before it or a day after it, in the
  future when later, years off at 365 days or more either way.

Pages are split by outlet (host name) into a fold the rules were tuned on and a held-out fold
(`fold`), and every figure is given for both. `--fold tuned --show 20` lists the tuned fold's
misses (never look at the held-out ones while tuning).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flows.stages.reading.extract import extract_page

LABELS = Path(__file__).with_name("page_dates_labels.json")
ALMATY = ZoneInfo("Asia/Almaty")
YEAR = timedelta(days=365)


def fold(outlet: str) -> str:
    """A third of the outlets are held out; the rest are the ones the rules were tuned on."""
    return "held-out" if zlib.crc32(f"page-dates/{outlet}".encode()) % 3 == 0 else "tuned"


@dataclass
class Result:
    name: str
    outlet: str
    fold: str
    kind: str  # "minute", "day", "listed" or "none" (no label: not counted)
    expected: str | None
    found: str | None
    right_day: bool = False
    right_day_almaty: bool = False
    right_time: bool = False
    years_off: bool = False
    future: bool = False


def _expected(text: str) -> datetime:
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def judge(
    name: str, outlet: str, label: dict[str, Any] | None, listed: str | None, found: datetime | None
) -> Result:
    r = Result(name, outlet, fold(outlet), "none", None, found.isoformat() if found else None)
    if label is not None:
        r.kind, r.expected = label["precision"], label["published"]
        want = _expected(label["published"])
        if found is None:
            return r
        r.years_off = abs(found - want) >= YEAR
        if r.kind == "minute":
            r.right_day = found.astimezone(UTC).date() == want.astimezone(UTC).date()
            r.right_day_almaty = found.astimezone(ALMATY).date() == want.astimezone(ALMATY).date()
            r.right_time = abs(found - want) < timedelta(minutes=1)
        else:
            start = datetime.combine(date.fromisoformat(label["published"][:10]), datetime.min.time(), UTC)
            r.right_day = start - timedelta(hours=14) <= found < start + timedelta(days=1, hours=12)
    elif listed is not None:
        r.kind, r.expected = "listed", listed
        if found is not None:
            day = datetime.combine(date.fromisoformat(listed), datetime.min.time(), UTC)
            r.right_day = day - timedelta(days=1) <= found < day + timedelta(days=2)
            r.future = found >= day + timedelta(days=2)
            r.years_off = abs(found - day) >= YEAR
    return r


def run(directory: Path, labels: dict[str, dict[str, Any]]) -> list[Result]:
    results = []
    for line in (directory / "pages.jsonl").read_text(encoding="utf-8").splitlines():
        page = json.loads(line)
        body = (directory / "pages" / page["name"]).read_bytes()
        url = page.get("url") or f"https://{page['outlet']}/"
        found = extract_page(body, url, mode="fast").published_at
        results.append(
            judge(page["name"], page["outlet"], labels.get(page["name"]), page.get("listed"), found)
        )
    return results


def summary(results: list[Result]) -> dict[str, dict[str, dict[str, int]]]:
    """fold -> kind -> counts."""
    table: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for r in results:
        if r.kind == "none":
            continue
        for key in (r.fold, "all"):
            c = table[key][r.kind]
            c["pages"] += 1
            c["dated"] += r.found is not None
            for field in ("right_day", "right_day_almaty", "right_time", "years_off", "future"):
                c[field] += getattr(r, field)
    return {f: {k: dict(c) for k, c in kinds.items()} for f, kinds in table.items()}


def render(table: dict[str, dict[str, dict[str, int]]]) -> str:
    rows = []
    for key in ("tuned", "held-out", "all"):
        kinds = table.get(key, {})
        m, d, c = kinds.get("minute", {}), kinds.get("day", {}), kinds.get("listed", {})
        rows.append(
            f"{key:>8} | time labels {m.get('pages', 0):3}: right day {m.get('right_day', 0):3}"
            f" (Almaty {m.get('right_day_almaty', 0):3}), right time {m.get('right_time', 0):3},"
            f" no date {m.get('pages', 0) - m.get('dated', 0):2}, years off {m.get('years_off', 0):2}"
            f" | day labels {d.get('pages', 0):3}: right day {d.get('right_day', 0):3},"
            f" no date {d.get('pages', 0) - d.get('dated', 0):2}, years off {d.get('years_off', 0):2}"
            f" | DAnIEL {c.get('pages', 0):3}: dated {c.get('dated', 0):3}, right day {c.get('right_day', 0):3},"
            f" future {c.get('future', 0):2},"
            f" years off {c.get('years_off', 0):2}"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--fold", choices=("tuned", "held-out"), help="which fold's misses --show lists")
    parser.add_argument("--show", type=int, default=0, help="list this many misses of --fold")
    parser.add_argument("--out", type=Path, help="every page's result as JSON")
    args = parser.parse_args(argv)
    labels = json.loads(args.labels.read_text(encoding="utf-8"))
    started = time.perf_counter()
    results = run(args.directory, labels)
    table = summary(results)
    print(render(table))
    print(f"{len(results)} pages in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.show and args.fold:
        misses = [
            r
            for r in results
            if r.fold == args.fold
            and r.kind != "none"
            and (r.future or r.years_off or not (r.right_time or (r.kind != "minute" and r.right_day)))
        ]
        for r in misses[: args.show]:
            print(f"  {r.name}: expected {r.expected}, found {r.found}")
    if args.out:
        args.out.write_text(json.dumps({"summary": table, "pages": [asdict(r) for r in results]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
