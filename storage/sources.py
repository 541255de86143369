"""The source table (one row per configured feed, with its polling state) and the fetch log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.database import Database
from storage.records import FetchLogEntry, PollOutcome, SourceState

BACKOFF_BASE = timedelta(minutes=30)
BACKOFF_MAX = timedelta(days=1)


def backoff_delay(consecutive_failures: int) -> timedelta:
    """30 min, 1 h, 2 h, ... up to once a day: failing sources are polled less, never dropped."""
    if consecutive_failures <= 0:
        return timedelta(0)
    delay = BACKOFF_BASE * (2 ** min(consecutive_failures - 1, 10))
    return min(delay, BACKOFF_MAX)


class Sources(Database):
    """Sources as configured and as polled, and the log of every fetch."""

    def sync_sources(self, sources: Iterable[Any]) -> None:
        """Make the source table mirror the configuration; history of removed sources is kept.

        With many writers (a lake) only the sources whose settings changed: every writer syncs at
        start, and rewriting all rows would make each start conflict with every other writer's.
        """
        items = list(sources)
        if self.many_writers:
            with self.connect() as con:
                stored = {
                    r[0]: tuple(r[1:])
                    for r in con.execute("SELECT name, url, language, enabled, tags FROM source").fetchall()
                }
            items = [
                s for s in items if stored.get(s.name) != (s.url, s.language, s.enabled, ",".join(s.tags))
            ]
            if not items:
                return

        def attempt() -> None:
            now = datetime.now(UTC)
            with self.unguarded(), self.transaction() as con:
                existing = {r[0]: r[1] for r in con.execute("SELECT name, url FROM source").fetchall()}
                for s in items:
                    tags = ",".join(s.tags)
                    if s.name in existing:
                        url_changed = existing[s.name] != s.url
                        con.execute(
                            "UPDATE source SET url = ?, language = ?, enabled = ?, tags = ?, updated_at = ?"
                            + (
                                ", etag = NULL, last_modified = NULL, moved_to = NULL,"
                                " consecutive_failures = 0, next_poll_at = NULL"
                                if url_changed
                                else ""
                            )
                            + " WHERE name = ?",
                            [s.url, s.language, s.enabled, tags, now, s.name],
                        )
                    else:
                        con.execute(
                            "INSERT INTO source (name, url, language, enabled, tags, updated_at)"
                            " VALUES (?, ?, ?, ?, ?, ?)",
                            [s.name, s.url, s.language, s.enabled, tags, now],
                        )

        self.retrying(attempt)

    def source_states(self, names: Sequence[str] | None = None) -> dict[str, SourceState]:
        with self.connect() as con:
            rows = con.execute(
                "SELECT name, url, etag, last_modified, consecutive_failures, next_poll_at,"
                " last_success_at, last_error, failing_since FROM source"
            ).fetchall()
        states = {r[0]: SourceState(*r) for r in rows}
        if names is not None:
            states = {n: states[n] for n in names if n in states}
        return states

    def record_polls(self, run_id: int | None, outcomes: Sequence[PollOutcome]) -> None:
        def attempt() -> None:
            now = datetime.now(UTC)
            with self.unguarded(), self.transaction() as con:
                for o in outcomes:
                    if o.ok:
                        con.execute(
                            "UPDATE source SET last_polled_at = ?, last_status = ?, last_success_at = ?,"
                            " etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),"
                            " feed_problem = ?, consecutive_failures = 0, failing_since = NULL,"
                            " next_poll_at = NULL, moved_to = coalesce(?, moved_to),"
                            " articles_total = articles_total + ?, updated_at = ? WHERE name = ?",
                            [
                                now,
                                o.status,
                                now,
                                o.etag,
                                o.last_modified,
                                o.feed_problem,
                                o.moved_to,
                                o.new_articles,
                                now,
                                o.name,
                            ],
                        )
                    else:
                        row = con.execute(
                            "SELECT consecutive_failures FROM source WHERE name = ?", [o.name]
                        ).fetchone()
                        failures = (int(row[0]) if row else 0) + 1
                        con.execute(
                            "UPDATE source SET last_polled_at = ?, last_status = ?, last_error_at = ?,"
                            " last_error = ?, consecutive_failures = ?, failing_since = coalesce(failing_since, ?),"
                            " next_poll_at = ?, moved_to = coalesce(?, moved_to), updated_at = ? WHERE name = ?",
                            [
                                now,
                                o.status,
                                now,
                                o.error,
                                failures,
                                now,
                                now + backoff_delay(failures),
                                o.moved_to,
                                now,
                                o.name,
                            ],
                        )

        self.retrying(attempt)

    def source_health(self) -> list[dict[str, Any]]:
        with self.connect(read_only=True) as con:
            # the counts come from the source_health view: articles stored (copies included), as
            # articles_7d counts them, not the table's running total of new stories
            cur = con.execute(
                "SELECT s.name, s.url, s.enabled, s.last_polled_at, s.last_success_at, s.last_error_at,"
                " s.last_error, s.feed_problem, s.consecutive_failures, s.failing_since, s.next_poll_at,"
                " s.moved_to, h.articles_total, h.articles_7d, s.last_status"
                " FROM source s JOIN source_health h ON h.name = s.name ORDER BY s.name"
            )
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def failing_sources(self, names: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Enabled sources whose last poll failed, longest failing first; `names` limits to the config's."""
        with self.connect(read_only=True) as con:
            cur = con.execute(
                "SELECT name, url, consecutive_failures, failing_since, last_error, last_success_at"
                " FROM source WHERE enabled AND consecutive_failures > 0"
                " AND (?::VARCHAR IS NULL OR list_contains(string_split(?, chr(31)), name))"
                " ORDER BY failing_since NULLS LAST, name",
                # the names as one string: DuckDB 1.5.5 tries `import pandas` for every element of
                # a list parameter, and without pandas each try costs (45 ms for 60 names here)
                [None if names is None else "\x1f".join(names)] * 2,
            )
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def log_fetches(self, run_id: int | None, entries: Sequence[FetchLogEntry]) -> None:
        if not entries:
            return
        import pyarrow as pa  # loaded already by storage.dedup

        # one Arrow table, not executemany: DuckDB runs executemany row by row (about 1 ms a row)
        rows = pa.table(
            {
                "run_id": pa.array([run_id] * len(entries), pa.int64()),
                "source": pa.array([e.source for e in entries], pa.string()),
                "kind": pa.array([e.kind for e in entries], pa.string()),
                "url": pa.array([e.url for e in entries], pa.string()),
                "final_url": pa.array([e.final_url for e in entries], pa.string()),
                "status": pa.array([e.status for e in entries], pa.int32()),
                "outcome": pa.array([e.outcome for e in entries], pa.string()),
                "error": pa.array([e.error for e in entries], pa.string()),
                "bytes": pa.array([e.bytes for e in entries], pa.int64()),
                "elapsed_ms": pa.array([e.elapsed_ms for e in entries], pa.float64()),
                "fetched_at": pa.array([e.fetched_at for e in entries], pa.timestamp("us", tz="UTC")),
            }
        )

        def attempt() -> None:
            with self.unguarded(), self.transaction() as con:
                con.register("fetch_log_rows", rows)
                try:
                    con.execute(
                        "INSERT INTO fetch_log (run_id, source, kind, url, final_url, status, outcome, error,"
                        " bytes, elapsed_ms, fetched_at) SELECT * FROM fetch_log_rows"
                    )
                finally:
                    con.unregister("fetch_log_rows")

        self.retrying(attempt)
