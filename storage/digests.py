"""The digest: the day's stories as the digest reads them, and each digest's files and send state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from storage.database import Database
from storage.errors import StorageError


class Digests(Database):
    """What a digest shows, and the send-once state machine's rows (written, sending, sent, failed)."""

    def digest_articles(self, start: datetime, end: datetime, text_chars: int = 4000) -> list[dict[str, Any]]:
        """Every article of each story with a relevant, non-seed article first seen in [start, end).

        A story is one event across languages (`story_id`: the clusters migration 016's story_link
        joins), so its reports in every language are one entry; `cluster` is the story's id.
        Copies seen on other days come too (`in_day` false): they are the story's other outlets.
        """
        with self.connect(read_only=True) as con:
            # Two steps, as Browse.story_copies: the members' ids and stories from the narrow
            # columns (the day's range skips old row groups), then their rows by id (the index on
            # id). One join that carried the text read the text column of every stored article
            # (issue 31). A story is its clusters in every language (story_link, issue 28).
            members = con.execute(
                "WITH day AS (SELECT DISTINCT coalesce(cluster_id, id) AS cid FROM article"
                "  WHERE first_seen_at >= ? AND first_seen_at < ? AND is_relevant AND NOT is_seed),"
                " link AS (SELECT cluster_id, min(story_id) AS story_id FROM story_link GROUP BY cluster_id),"
                " hit AS (SELECT DISTINCT coalesce(l.story_id, d.cid) AS story FROM day d"
                "  LEFT JOIN link l ON l.cluster_id = d.cid),"
                " clusters AS (SELECT story, story AS cid FROM hit"
                "  UNION SELECT l.story_id, l.cluster_id FROM link l JOIN hit h ON h.story = l.story_id)"
                " SELECT a.id, c.story FROM article a JOIN clusters c ON coalesce(a.cluster_id, a.id) = c.cid",
                [start, end],
            ).fetchall()
            story_of = {int(r[0]): int(r[1]) for r in members}
            ids = sorted(story_of)
            rows: list[dict[str, Any]] = []
            for first in range(0, len(ids), 2_000):
                listed = ",".join(str(i) for i in ids[first : first + 2_000])
                cur = con.execute(
                    "SELECT a.id, a.url, a.source, a.title,"
                    " a.published_at, a.first_seen_at, a.language, left(a.text, ?) AS text, a.relevance,"
                    " coalesce(a.is_relevant, false) AS is_relevant, a.countries, a.is_seed, a.site_name,"
                    " a.extraction, (a.first_seen_at >= ? AND a.first_seen_at < ?) AS in_day"
                    f" FROM article a WHERE a.id IN ({listed})",
                    [text_chars, start, end],
                )
                cols = [d[0] for d in cur.description]
                for row in cur.fetchall():
                    record = dict(zip(cols, row, strict=True))
                    rows.append({"cluster": story_of[int(record["id"])], **record})
        return sorted(rows, key=lambda r: (r["first_seen_at"], r["id"]))

    def day_article_counts(self, start: datetime, end: datetime) -> tuple[int, int]:
        """(new articles, relevant ones) first seen in [start, end), the seed corpus left out."""
        with self.connect(read_only=True) as con:
            row = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE is_relevant) FROM article"
                " WHERE first_seen_at >= ? AND first_seen_at < ? AND NOT is_seed",
                [start, end],
            ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def save_digest(
        self,
        day: date,
        recipients: str,
        *,
        stories: int,
        articles: int,
        subject: str,
        paths: Sequence[str],
    ) -> None:
        """Record the files of a day's digest; an existing row keeps its send status."""
        html_path, text_path, md_path = paths

        def attempt() -> None:
            now = datetime.now(UTC)
            with self.transaction() as con:
                found = con.execute(
                    "SELECT 1 FROM digest WHERE day = ? AND recipients = ?", [day, recipients]
                ).fetchone()
                if found:
                    con.execute(
                        "UPDATE digest SET stories = ?, articles = ?, subject = ?, html_path = ?, text_path = ?,"
                        " md_path = ?, updated_at = ? WHERE day = ? AND recipients = ?",
                        [stories, articles, subject, html_path, text_path, md_path, now, day, recipients],
                    )
                else:
                    con.execute(
                        "INSERT INTO digest (day, recipients, status, stories, articles, subject, html_path,"
                        " text_path, md_path, created_at, updated_at)"
                        " VALUES (?, ?, 'written', ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            day,
                            recipients,
                            stories,
                            articles,
                            subject,
                            html_path,
                            text_path,
                            md_path,
                            now,
                            now,
                        ],
                    )

        self.retrying(attempt)

    def claim_digest_send(
        self,
        day: date,
        recipients: str,
        *,
        force: bool = False,
        stale_after: timedelta = timedelta(minutes=15),
    ) -> dict[str, Any] | None:
        """Mark a day's digest 'sending' to this list, so two runs cannot both mail it.

        Returns None when the caller may send; otherwise the row that stops it: already sent (and not
        `force`), or being sent by another run right now (a claim older than `stale_after` is a crashed
        run and is taken over).
        """

        def attempt() -> dict[str, Any] | None:
            now = datetime.now(UTC)
            with self.transaction() as con:
                cur = con.execute("SELECT * FROM digest WHERE day = ? AND recipients = ?", [day, recipients])
                cols = [d[0] for d in cur.description]
                row = cur.fetchone()
                if row is None:
                    raise StorageError(f"no digest recorded for {day} and {recipients!r}; save it first")
                record = dict(zip(cols, row, strict=True))
                claimed = record["last_attempt_at"]
                if record["status"] == "sending" and claimed is not None and now - claimed < stale_after:
                    return record
                if record["status"] == "sent" and not force:
                    return record
                con.execute(
                    "UPDATE digest SET status = 'sending', last_attempt_at = ?, updated_at = ?"
                    " WHERE day = ? AND recipients = ?",
                    [now, now, day, recipients],
                )
            return None

        return self.retrying(attempt)

    def record_digest_send(
        self, day: date, recipients: str, *, ok: bool, error: str | None = None, message_id: str | None = None
    ) -> None:
        def attempt() -> None:
            now = datetime.now(UTC)
            with self.connect() as con:
                if ok:
                    con.execute(
                        "UPDATE digest SET status = 'sent', attempts = attempts + 1, last_attempt_at = ?,"
                        " sent_at = ?, message_id = ?, error = ?, updated_at = ? WHERE day = ? AND recipients = ?",
                        [now, now, message_id, error, now, day, recipients],
                    )
                else:
                    # a day already sent stays sent when a resend (--force) fails: the failure is
                    # noted in its error, and no later run retries what was delivered
                    con.execute(
                        "UPDATE digest SET status = CASE WHEN sent_at IS NULL THEN 'failed' ELSE 'sent' END,"
                        " attempts = attempts + 1, last_attempt_at = ?,"
                        " error = CASE WHEN sent_at IS NULL THEN ? ELSE 'a resend failed: ' || ? END,"
                        " updated_at = ? WHERE day = ? AND recipients = ?",
                        [now, error, error, now, day, recipients],
                    )

        self.retrying(attempt)

    def failed_digest_days(
        self, recipients: str, since: date, before: date, stale_after: timedelta = timedelta(minutes=15)
    ) -> list[date]:
        """Days in [since, before) whose digest to this list failed to send (or whose sender crashed)."""
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT day FROM digest WHERE recipients = ? AND day >= ? AND day < ?"
                " AND (status = 'failed' OR (status = 'sending' AND last_attempt_at < ?)) ORDER BY day",
                [recipients, since, before, datetime.now(UTC) - stale_after],
            ).fetchall()
        return [r[0] for r in rows]
