"""The run table: one row per ingest, seed, digest or rebuild, from start to finish."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

from storage.database import Database

INTERRUPTED = "the process ended before the run finished"


class Runs(Database):
    """Starting, finishing and interrupting runs."""

    def interrupt_stale_runs(self, kind: str) -> int:
        """Mark runs of `kind` still 'running' as interrupted; only for a caller holding the writer lock.

        On a lake only this writer's own runs (those carrying its `run_tag`): other machines'
        running ingests are alive, not stale.
        """
        tag = self.run_tag()

        def attempt() -> int:
            with self.unguarded(), self.transaction() as con:
                where = " WHERE kind = ? AND status = 'running'" + (" AND message = ?" if tag else "")
                params: list[object] = [kind, tag] if tag else [kind]
                row = con.execute(
                    "SELECT count(*) FROM run" + where, params
                ).fetchone()  # a lake has no RETURNING
                if row and row[0]:
                    message = "?" if tag else "coalesce(message, ?)"  # the tag is replaced
                    con.execute(
                        "UPDATE run SET status = 'interrupted', finished_at = coalesce(finished_at, ?),"
                        f" message = {message}" + where,
                        [datetime.now(UTC), INTERRUPTED, *params],
                    )
            return int(row[0]) if row else 0

        return self.retrying(attempt)

    def start_run(self, kind: str) -> int:
        def attempt() -> int:
            with self.transaction() as con:
                run_id = self.next_id(con, "run")
                con.execute(
                    "INSERT INTO run (id, kind, started_at, status, message) VALUES (?, ?, ?, 'running', ?)",
                    [run_id, kind, datetime.now(UTC), self.run_tag()],
                )
            return run_id

        return self.retrying(attempt)

    def finish_run(
        self,
        run_id: int,
        status: str,
        *,
        sources_polled: int = 0,
        new: int = 0,
        duplicate: int = 0,
        failed: int = 0,
        message: str | None = None,
    ) -> None:
        def attempt() -> None:
            with self.connect() as con:
                con.execute(
                    "UPDATE run SET finished_at = ?, status = ?, sources_polled = ?, articles_new = ?,"
                    " articles_duplicate = ?, articles_failed = ?, waited_seconds = ?, message = ?"
                    " WHERE id = ?",
                    [
                        datetime.now(UTC),
                        status,
                        sources_polled,
                        new,
                        duplicate,
                        failed,
                        round(self.waited_seconds, 3),
                        message,
                        run_id,
                    ],
                )

        self.retrying(attempt)

    def interrupt_run(self, run_id: int) -> None:
        """Close an interrupted run (Ctrl-C) with what it stored: new stories and copies."""

        def attempt() -> None:
            with self.transaction() as con:
                row = con.execute(
                    "SELECT count(*) FILTER (WHERE duplicate_of IS NULL), count(*) FILTER"
                    " (WHERE duplicate_of IS NOT NULL) FROM article WHERE run_id = ?",
                    [run_id],
                ).fetchone()
                new, copies = (int(row[0]), int(row[1])) if row else (0, 0)
                con.execute(
                    "UPDATE run SET finished_at = ?, status = 'interrupted', articles_new = ?,"
                    " articles_duplicate = ?, waited_seconds = ?, message = ? WHERE id = ?",
                    [
                        datetime.now(UTC),
                        new,
                        copies,
                        round(self.waited_seconds, 3),
                        f"interrupted: {new + copies} articles stored; the next ingest goes on from there",
                        run_id,
                    ],
                )

        self.retrying(attempt)

    def prune_history(self, days: int) -> tuple[int, int]:
        """Remove the fetch log's rows and the finished runs older than `days`, in one transaction
        (none when there is nothing to remove); returns how many of each."""
        cutoff = datetime.now(UTC) - timedelta(days=days)
        logs_where = " FROM fetch_log WHERE fetched_at < ?"
        runs_where = " FROM run WHERE status <> 'running' AND coalesce(finished_at, started_at) < ?"

        def counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
            logs = con.execute("SELECT count(*)" + logs_where, [cutoff]).fetchone()
            runs = con.execute("SELECT count(*)" + runs_where, [cutoff]).fetchone()
            return int(logs[0]) if logs else 0, int(runs[0]) if runs else 0

        with self.reading() as con:
            if counts(con) == (0, 0):
                return 0, 0

        def attempt() -> tuple[int, int]:
            with self.transaction() as con:
                found = counts(con)
                con.execute("DELETE" + logs_where, [cutoff])
                con.execute("DELETE" + runs_where, [cutoff])
            return found

        return self.retrying(attempt)
