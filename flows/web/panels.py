"""The operating pages: Sources (health, failing first), Coverage (charts of a range of days) and
the Digests archive (each day opening its stored HTML)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from starlette.requests import Request

from flows.stages.delivery.digest.build import GROUP_LABELS
from flows.stages.delivery.digest.build import today as today_in
from flows.stages.delivery.digest.render import language_name
from flows.web.app import Console, Page, PageError
from flows.web.charts import OTHER_COLOUR, PALETTE, days_between, group_small, horizontal, stacked_days
from flows.web.news import parse_day
from storage.sources import backoff_delay

COUNTRY_ORDER = ("KZ", "KG", "TJ", "TM", "UZ", "none")
COUNTRY_COLOURS = dict(zip(COUNTRY_ORDER, (*PALETTE[:5], OTHER_COLOUR), strict=True))
DEFAULT_DAYS = 30
MAX_DAYS = 731
WEEKLY_AFTER = 92  # longer ranges are charted by week


def _delay(failures: int) -> str:
    seconds = backoff_delay(failures).total_seconds()
    if not seconds:
        return ""
    hours = seconds / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{seconds / 60:.0f} min"


def sources(console: Console, request: Request) -> Page:
    """`/sources`: the `source_health` view, failing sources first."""
    rows = console.store.source_health_rows()
    now = datetime.now(UTC)
    for r in rows:
        r["backoff"] = _delay(int(r["consecutive_failures"] or 0))
        r["next_poll_due"] = r["next_poll_at"] is not None and r["next_poll_at"] > now
    failing = sum(1 for r in rows if r["status"] == "failing")
    return Page("sources.html", {"rows": rows, "failing": failing}, title="Sources")


def _range(console: Console, request: Request) -> tuple[date, date]:
    until = parse_day(request.query_params.get("until"), "until") or today_in(console.tz)
    since = parse_day(request.query_params.get("since"), "since") or until - timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        raise PageError(400, f"since ({since}) is after until ({until})")
    if (until - since).days >= MAX_DAYS:
        raise PageError(400, f"choose at most {MAX_DAYS} days (since {since} to until {until} is more)")
    return since, until


def coverage(console: Console, request: Request) -> Page:
    """`/coverage?since=&until=&relevant=1`: articles and stories per day by country and language."""
    since, until = _range(console, request)
    relevant = request.query_params.get("relevant") in ("1", "on", "true", "yes")
    tz = console.tz
    start = datetime.combine(since, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    weekly = (until - since).days >= WEEKLY_AFTER
    data = console.store.coverage(
        start, end, console.config.settings.timezone, relevant_only=relevant, weekly=weekly
    )
    days = days_between(since, until)
    if weekly:  # a bar a week, from Monday: 53 bars for a year instead of 365 slivers
        days = [d for d in days_between(since - timedelta(days=since.weekday()), until) if d.weekday() == 0]
    per = "week" if weekly else "day"
    period = "week of " if weekly else ""

    def series(rows: list[dict[str, Any]], key: str, measure: str) -> dict[str, dict[date, int]]:
        out: dict[str, dict[date, int]] = {}
        for r in rows:
            out.setdefault(str(r[key] or "none"), {})[r["day"]] = int(r[measure])
        return out

    country_labels = {**GROUP_LABELS, "none": "none of the five"}
    charts = []
    for measure in ("articles", "stories"):
        by_country = series(data["countries"], "country", measure)
        ordered = {c: by_country[c] for c in COUNTRY_ORDER if c in by_country}
        charts.append(
            stacked_days(
                f"{measure.title()} per {per} by country",
                days,
                ordered,
                labels=country_labels,
                colours=COUNTRY_COLOURS,
                period=period,
            )
        )
    for measure in ("articles", "stories"):
        by_language = group_small(series(data["languages"], "language", measure), keep=7)
        labels = {code: language_name(code) for code in by_language if code != "other"}
        charts.append(
            stacked_days(
                f"{measure.title()} per {per} by language",
                days,
                by_language,
                labels={**labels, "other": "other languages"},
                colours={"other": OTHER_COLOUR},
                period=period,
            )
        )
    outlets = horizontal(
        "Top outlets (articles)", [(r["source"], int(r["articles"])) for r in data["outlets"]]
    )
    totals = {
        "articles": sum(int(r["articles"]) for r in data["days"]),
        "stories_per_day": sum(int(r["stories"]) for r in data["days"]),
    }
    return Page(
        "coverage.html",
        {
            "since": since,
            "until": until,
            "relevant": relevant,
            "charts": charts,
            "outlets_chart": outlets,
            "outlets": data["outlets"],
            "days": data["days"],
            "per": per,
            "totals": totals,
        },
        title="Coverage",
    )


def digests(console: Console, request: Request) -> Page:
    """`/digests`: every digest written, newest first, with its send status."""
    rows = console.store.digest_archive()
    for r in rows:
        path = r["html_path"]
        r["has_file"] = bool(path) and Path(path).is_file()
    return Page("digests.html", {"rows": rows}, title="Digests")


def digest_html(console: Console, request: Request) -> str:
    """`/digests/YYYY-MM-DD`: the HTML the digest wrote that day, as stored (it escapes article text
    itself; the console's security headers still forbid scripts)."""
    raw = str(request.path_params["day"]).removesuffix(".html")
    day = parse_day(raw, "day")
    assert day is not None
    path = console.store.digest_html_path(day)
    if path is None:
        raise PageError(404, f"No digest was written for {day}.")
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PageError(
            404, f"The digest of {day} was written to {path}, which cannot be read now: {exc.strerror}"
        ) from None
