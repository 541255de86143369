"""What the analyst's web console reads (flows/web/): a story's copies, the sources' health, coverage
counts per day, and the digest archive. Read-only, each a few milliseconds at 100,000 articles.

A day here is a calendar day in the time zone the caller names (the digest's `settings.timezone`),
of the publication time where known, else the time first seen, as in the `daily_by_*` views.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from storage.database import Database

_STORY = "coalesce(a.cluster_id, a.id)"
_US = 1_000_000


def offsets(start: datetime, end: datetime, tz: str) -> list[tuple[int, int]]:
    """The zone's UTC offsets over [start, end): (from this epoch microsecond, offset in µs), the
    first from -inf; each change found to the second between two midnights that differ."""
    zone = ZoneInfo(tz)

    def offset(at: datetime) -> int:
        delta = at.astimezone(zone).utcoffset()
        return int(delta.total_seconds()) * _US if delta is not None else 0

    day = timedelta(days=1)
    out = [(0, offset(start))]
    at = start
    while at < end:
        nxt = min(at + day, end)
        if offset(nxt) != out[-1][1]:
            lo, hi = int(at.timestamp()), int(nxt.timestamp())  # offset(lo) old, offset(hi) new
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(datetime.fromtimestamp(mid, UTC)) == out[-1][1]:
                    lo = mid
                else:
                    hi = mid
            out.append((hi * _US, offset(nxt)))
        at = nxt
    return out


def _day_sql(segments: list[tuple[int, int]]) -> str:
    """An article's local calendar day as integer arithmetic on its epoch: ICU's timezone() costs
    more than the rest of the coverage queries together (140 ms for 100,000 rows)."""
    e = "epoch_us(coalesce(a.published_at, a.first_seen_at))"
    shift = str(segments[0][1])
    if len(segments) > 1:
        cases = " ".join(
            f"WHEN {e} < {frm} THEN {prev}"
            for (frm, _), (_, prev) in zip(segments[1:], segments[:-1], strict=True)
        )
        shift = f"CASE {cases} ELSE {segments[-1][1]} END"
    return f"(DATE '1970-01-01' + CAST(({e} + {shift}) // {86400 * _US} AS INTEGER))"


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cols = [d[0] for d in cur.description or []]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


class Browse(Database):
    """The console's reads; the Today page reuses the digest's (storage/digests.py)."""

    def story_copies(self, clusters: Sequence[int], text_chars: int = 600) -> list[dict[str, Any]]:
        """Every article of these stories (a cluster, or an article on its own), oldest first.

        Two steps: the ids from the narrow columns, then their rows by id (the index on id), so
        that the text column is read only for these rows, not for every row group."""
        if not clusters:
            return []
        with self.connect(read_only=True) as con:
            wanted = ",".join(str(int(c)) for c in clusters)
            ids = con.execute(f"SELECT a.id FROM article a WHERE {_STORY} IN ({wanted})").fetchall()
            if not ids:
                return []
            listed = ",".join(str(int(r[0])) for r in ids)
            cur = con.execute(
                f"SELECT {_STORY} AS cluster, a.id, a.url, a.source, a.title, a.language, a.published_at,"
                " a.first_seen_at, a.word_count, length(coalesce(a.text, '')) AS chars,"
                " left(coalesce(a.text, ''), $chars) AS excerpt, a.relevance,"
                " coalesce(a.is_relevant, false) AS is_relevant, coalesce(a.countries, []) AS countries,"
                " a.duplicate_of, a.is_seed, a.extraction"
                f" FROM article a WHERE a.id IN ({listed}) ORDER BY a.first_seen_at, a.id",
                {"chars": text_chars},
            )
            return _dicts(cur)

    def source_health_rows(self) -> list[dict[str, Any]]:
        """The `source_health` view, failing sources first (longest failing first), then by name."""
        with self.connect(read_only=True) as con:
            cur = con.execute(
                "SELECT * FROM source_health ORDER BY (status = 'failing') DESC,"
                " failing_since NULLS LAST, consecutive_failures DESC, lower(name)"
            )
            return _dicts(cur)

    def coverage(
        self,
        start: datetime,
        end: datetime,
        tz: str,
        relevant_only: bool = False,
        top: int = 15,
        weekly: bool = False,
    ) -> dict[str, list[dict[str, Any]]]:
        """Articles and stories per day (or per week, from Monday), by country and by language, and
        the top outlets, of the news (no seeds) dated in [start, end). Countries: NULL for articles
        about none of the five."""
        where = (
            "WHERE NOT a.is_seed AND coalesce(a.published_at, a.first_seen_at) >= $start"
            " AND coalesce(a.published_at, a.first_seen_at) < $end"
            + (" AND a.is_relevant" if relevant_only else "")
        )
        params: dict[str, Any] = {"start": start, "end": end}
        day = _day_sql(offsets(start, end, tz))
        if weekly:
            day = f"date_trunc('week', {day})::DATE"
        with self.connect(read_only=True) as con:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE nw_cover AS"
                f" SELECT a.id, {_STORY} AS story, {day} AS day, a.language,"
                " a.countries, a.source,"
                " coalesce(a.is_relevant, false) AS relevant"
                f" FROM article a {where}",
                params,
            )
            try:
                days = _dicts(
                    con.execute(
                        "SELECT day, count(*) AS articles, count(DISTINCT story) AS stories"
                        " FROM nw_cover GROUP BY day ORDER BY day"
                    )
                )
                countries = _dicts(
                    con.execute(
                        "SELECT day, country, count(*) AS articles, count(DISTINCT story) AS stories FROM"
                        " (SELECT day, story, unnest(CASE WHEN len(coalesce(countries, [])) = 0"
                        "  THEN [NULL::VARCHAR] ELSE countries END) AS country FROM nw_cover)"
                        " GROUP BY ALL ORDER BY day, country NULLS LAST"
                    )
                )
                languages = _dicts(
                    con.execute(
                        "SELECT day, coalesce(language, 'unknown') AS language, count(*) AS articles,"
                        " count(DISTINCT story) AS stories FROM nw_cover GROUP BY ALL ORDER BY day, language"
                    )
                )
                outlets = _dicts(
                    con.execute(
                        "SELECT source, count(*) AS articles, count(DISTINCT story) AS stories,"
                        " count(*) FILTER (WHERE relevant) AS relevant FROM nw_cover"
                        " GROUP BY source ORDER BY articles DESC, source LIMIT $top",
                        {"top": top},
                    )
                )
            finally:
                con.execute("DROP TABLE IF EXISTS nw_cover")
        return {"days": days, "countries": countries, "languages": languages, "outlets": outlets}

    def news_span(self) -> tuple[datetime | None, datetime | None]:
        """The first and last time a news article (not a seed) was first seen."""
        with self.connect(read_only=True) as con:
            row = con.execute(
                "SELECT min(first_seen_at), max(first_seen_at) FROM article WHERE NOT is_seed"
            ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def digest_archive(self, limit: int = 400) -> list[dict[str, Any]]:
        """The digest log, newest day first: one row per day and recipient list."""
        with self.connect(read_only=True) as con:
            cur = con.execute(
                "SELECT day, recipients, status, stories, articles, subject, html_path, attempts,"
                " last_attempt_at, sent_at, error, updated_at FROM digest"
                " ORDER BY day DESC, recipients LIMIT ?",
                [limit],
            )
            return _dicts(cur)

    def digest_html_path(self, day: date) -> str | None:
        """Where the HTML of a day's digest was written (the most recently updated row's file)."""
        with self.connect(read_only=True) as con:
            row = con.execute(
                "SELECT html_path FROM digest WHERE day = ? AND html_path IS NOT NULL"
                " ORDER BY updated_at DESC LIMIT 1",
                [day],
            ).fetchone()
        return str(row[0]) if row else None
