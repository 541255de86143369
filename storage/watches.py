"""Watches: the stories each watch has matched, and the deliveries announcing them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from storage.database import Database


@dataclass(frozen=True)
class WatchDelivery:
    id: int
    watch: str
    run_id: int | None
    channel: str  # mail | webhook
    target: str
    stories: int
    subject: str
    payload: str
    status: str
    attempts: int
    created_at: datetime


_DELIVERY_COLUMNS = (
    "id, watch, run_id, channel, target, stories, subject, payload, status, attempts, created_at"
)


class Watches(Database):
    def record_watch_hits(
        self,
        watch: str,
        hits: Sequence[tuple[int, int]],
        run_id: int | None,
        deliveries: Callable[[list[tuple[int, int]]], list[dict[str, Any]]] | None = None,
    ) -> list[tuple[int, int]]:
        """Record (story, article) matches of a watch; returns those whose story was new to it.

        `deliveries(new)` gives the announcements of the new ones, stored in the same transaction:
        a story is never recorded as matched without its announcement.
        """

        def attempt() -> list[tuple[int, int]]:
            now = datetime.now(UTC)
            with self.transaction() as con:
                known = {
                    int(r[0])
                    for r in con.execute(
                        "SELECT story FROM watch_hit WHERE watch = ? AND list_contains(?::BIGINT[], story)",
                        [watch, [s for s, _ in hits]],
                    ).fetchall()
                }
                new: list[tuple[int, int]] = []
                for story, article in hits:
                    if story not in known:
                        known.add(story)
                        new.append((story, article))
                if new:
                    con.executemany(
                        "INSERT INTO watch_hit VALUES (?, ?, ?, ?, ?)",
                        [[watch, s, a, run_id, now] for s, a in new],
                    )
                    self._insert_deliveries(con, deliveries(new) if deliveries else [], now)
            return new

        return self.retrying(attempt) if hits else []

    def _insert_deliveries(
        self, con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]], now: datetime
    ) -> list[int]:
        """New pending deliveries (watch, run_id, channel, target, stories, subject, payload)."""
        ids = []
        for r in rows:
            new_id = self.next_id(con, "watch_delivery")
            con.execute(
                "INSERT INTO watch_delivery (id, watch, run_id, channel, target, stories, subject,"
                " payload, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                [
                    new_id,
                    r["watch"],
                    r["run_id"],
                    r["channel"],
                    r["target"],
                    r["stories"],
                    r["subject"],
                    r["payload"],
                    now,
                ],
            )
            ids.append(new_id)
        return ids

    def unsent_watch_deliveries(self, stale_after: timedelta = timedelta(minutes=15)) -> list[WatchDelivery]:
        """Deliveries to attempt: new, failed, or claimed by a run that died before recording."""
        with self.connect(read_only=True) as con:
            rows = con.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM watch_delivery WHERE status IN ('pending', 'failed')"
                " OR (status = 'sending' AND last_attempt_at < ?) ORDER BY id",
                [datetime.now(UTC) - stale_after],
            ).fetchall()
        return [WatchDelivery(*r) for r in rows]

    def claim_watch_delivery(self, delivery_id: int) -> bool:
        """Mark it 'sending' before the attempt; False if it is sent already."""

        def attempt() -> bool:
            now = datetime.now(UTC)
            with self.transaction() as con:
                row = con.execute("SELECT status FROM watch_delivery WHERE id = ?", [delivery_id]).fetchone()
                if row is None or row[0] == "sent":
                    return False
                con.execute(
                    "UPDATE watch_delivery SET status = 'sending', last_attempt_at = ? WHERE id = ?",
                    [now, delivery_id],
                )
            return True

        return self.retrying(attempt)

    def record_watch_delivery(
        self, delivery_id: int, *, ok: bool, error: str | None = None, last: bool = False
    ) -> None:
        """One attempt's outcome; a failed `last` attempt gives the delivery up ('given_up')."""
        status = "sent" if ok else "given_up" if last else "failed"

        def attempt() -> None:
            now = datetime.now(UTC)
            with self.transaction() as con:
                con.execute(
                    "UPDATE watch_delivery SET status = ?, attempts = attempts + 1, last_attempt_at = ?,"
                    " sent_at = CASE WHEN ? THEN ? ELSE sent_at END, error = ? WHERE id = ?",
                    [status, now, ok, now, error, delivery_id],
                )

        self.retrying(attempt)

    def give_up_watch_delivery(self, delivery_id: int, reason: str) -> None:
        """Never to be attempted again (too old, or its watch or target no longer configured)."""

        def attempt() -> None:
            with self.transaction() as con:
                con.execute(
                    "UPDATE watch_delivery SET status = 'given_up', error = ?"
                    " WHERE id = ? AND status <> 'sent'",
                    [reason, delivery_id],
                )

        self.retrying(attempt)

    def hide_delivery_targets(self, hidden: Callable[[str], str], marker: str) -> int:
        """Rewrite each webhook target stored whole by an older version (one without `marker`)
        as `hidden(target)`, so the database keeps no webhook secret; returns how many."""
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT id, target FROM watch_delivery WHERE channel = 'webhook' AND NOT contains(target, ?)",
                [marker],
            ).fetchall()
        todo = [(hidden(str(target)), int(i)) for i, target in rows]
        if not todo:
            return 0

        def attempt() -> None:
            with self.transaction() as con:
                con.executemany("UPDATE watch_delivery SET target = ? WHERE id = ?", [list(t) for t in todo])

        self.retrying(attempt)
        return len(todo)

    def watch_stories(self, watches: Sequence[str], start: datetime, end: datetime) -> list[dict[str, Any]]:
        """The stories the watches first matched in [start, end), with their article and copies."""
        if not watches:
            return []
        with self.connect(read_only=True) as con:
            cur = con.execute(
                "SELECT h.watch, h.story, h.matched_at, a.id, a.title, a.url, a.source, a.language,"
                " a.countries, a.published_at, a.first_seen_at,"
                " (SELECT list(DISTINCT c.source ORDER BY c.source) FROM article c"
                "   WHERE coalesce(c.cluster_id, c.id) = h.story AND c.source <> a.source) AS also"
                " FROM watch_hit h JOIN article a ON a.id = h.article_id"
                " WHERE list_contains(?::VARCHAR[], h.watch) AND h.matched_at >= ? AND h.matched_at < ?"
                " ORDER BY h.watch, h.matched_at, h.story",
                [list(watches), start, end],
            )
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
