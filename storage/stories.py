"""SQL of the stories across languages (migration 016): the linking's evidence and the links.

`StoryIndex` is what the linking (flows/pipeline/stories.py) is handed inside one transaction:
the evidence of the clusters within a time range, the key frequencies of that range, and writes.
Every read is bounded by the linking's window (the evidence table keeps only recent clusters), so
an ingest's cost does not grow with the corpus. `Stories` is the store's part: the transactions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import duckdb
import pyarrow as pa

from storage.database import Database, registered

T = TypeVar("T")


@dataclass(frozen=True)
class StoredEvidence:
    cluster_id: int
    story_id: int
    language: str | None
    at: datetime
    keys: list[str]


@dataclass(frozen=True)
class ClusterHead:
    """The article heading a cluster, as the linking reads it."""

    cluster_id: int
    title: str | None
    text: str | None
    language: str | None
    at: datetime  # published, else first seen
    first_seen_at: datetime


class StoryIndex:
    """The story tables inside one of storage's transactions."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def sharing_anchors(
        self,
        start: datetime,
        end: datetime,
        anchors: Sequence[tuple[int, str | None, str, float]],
        limit: int,
        at_least: int = 2,
    ) -> list[tuple[int, int]]:
        """(head, cluster id): for each head, the `limit` stored clusters of another known language
        whose time falls in [start, end] holding `at_least` of its anchors, the greatest weight of
        anchors shared first; `anchors` are (head, its language, key, weight). One scan of the
        window's keys; the clusters' own keys are read for those kept (`evidence_of`)."""
        if not anchors:
            return []
        table = pa.table(
            {
                "head": pa.array([a[0] for a in anchors], pa.int64()),
                "language": pa.array([a[1] for a in anchors], pa.string()),
                "k": pa.array([a[2] for a in anchors], pa.string()),
                "weight": pa.array([a[3] for a in anchors], pa.float64()),
            }
        )
        with registered(self._con, "nw_anchors", table):
            rows = self._con.execute(
                "SELECT head, cluster_id FROM ("
                "  SELECT a.head, e.cluster_id, any_value(e.dated_at) AS seen, sum(a.weight) AS shared"
                "  FROM (SELECT cluster_id, language, dated_at, unnest(keys) AS k FROM story_evidence"
                "        WHERE dated_at BETWEEN ? AND ? AND language IS NOT NULL) e"
                "  JOIN nw_anchors a ON e.k = a.k AND e.language <> a.language"
                "  GROUP BY a.head, e.cluster_id HAVING count(*) >= ?)"
                " QUALIFY row_number() OVER (PARTITION BY head ORDER BY shared DESC, seen, cluster_id) <= ?",
                [start, end, at_least, limit],
            ).fetchall()
        return [(int(r[0]), int(r[1])) for r in rows]

    def evidence_of(self, cluster_ids: Sequence[int]) -> list[StoredEvidence]:
        """The stored evidence of these clusters, with their stories, in (time, id) order."""
        if not cluster_ids:
            return []
        with registered(
            self._con, "nw_clusters", pa.table({"id": pa.array(sorted(set(cluster_ids)), pa.int64())})
        ):
            rows = self._con.execute(
                "SELECT e.cluster_id, coalesce(l.story_id, e.cluster_id), e.language, e.dated_at, e.keys"
                " FROM story_evidence e JOIN nw_clusters c ON c.id = e.cluster_id"
                " LEFT JOIN story_link l ON l.cluster_id = e.cluster_id"
                " ORDER BY e.dated_at, e.cluster_id"
            ).fetchall()
        return [StoredEvidence(int(r[0]), int(r[1]), r[2], r[3], list(r[4])) for r in rows]

    def key_stats(
        self, start: datetime, end: datetime, keys: Sequence[str]
    ) -> tuple[int, dict[str, tuple[int, list[str | None]]]]:
        """The clusters in [start, end], and for each of `keys` held by some: how many hold it and
        in which languages."""
        row = self._con.execute(
            "SELECT count(*) FROM story_evidence WHERE dated_at BETWEEN ? AND ?", [start, end]
        ).fetchone()
        n = int(row[0]) if row else 0
        if not keys or not n:
            return n, {}
        # the keys as a registered Arrow table: bound as a list parameter (`k IN (SELECT
        # unnest(?))`) 3,000 keys took 0.7 s a batch, joined as a table 0.2 s
        with registered(self._con, "nw_wanted_keys", pa.table({"k": pa.array(list(keys), pa.string())})):
            rows = self._con.execute(
                "SELECT e.k, count(*), list(DISTINCT e.language) FROM"
                " (SELECT unnest(keys) AS k, language FROM story_evidence WHERE dated_at BETWEEN ? AND ?) e"
                " JOIN nw_wanted_keys w ON e.k = w.k GROUP BY e.k",
                [start, end],
            ).fetchall()
        return n, {r[0]: (int(r[1]), list(r[2])) for r in rows}

    def add_evidence(self, rows: Sequence[tuple[int, str | None, datetime, Sequence[str]]]) -> None:
        """(cluster id, language, time, keys) of new clusters, in one statement."""
        if not rows:
            return
        table = pa.table(
            {
                "cluster_id": pa.array([int(r[0]) for r in rows], pa.int64()),
                "language": pa.array([r[1] for r in rows], pa.string()),
                "dated_at": pa.array([r[2] for r in rows], pa.timestamp("us", tz="UTC")),
                "keys": pa.array([list(r[3]) for r in rows], pa.list_(pa.string())),
            }
        )
        with registered(self._con, "story_evidence_new", table):
            self._con.execute(
                "INSERT INTO story_evidence SELECT cluster_id, language, dated_at, keys FROM story_evidence_new"
            )

    def add_links(self, rows: Sequence[tuple[int, int, float]], now: datetime) -> None:
        """(cluster id, story id, score): each cluster joins that story."""
        if not rows:
            return
        table = pa.table(
            {
                "cluster_id": pa.array([int(r[0]) for r in rows], pa.int64()),
                "story_id": pa.array([int(r[1]) for r in rows], pa.int64()),
                "score": pa.array([float(r[2]) for r in rows], pa.float64()),
            }
        )
        with registered(self._con, "story_link_new", table):
            self._con.execute(
                "INSERT INTO story_link SELECT cluster_id, story_id, score, ? FROM story_link_new", [now]
            )

    def forget_before(self, before: datetime) -> None:
        """Drop the evidence of clusters older than `before`: no new cluster can link to them."""
        self._con.execute("DELETE FROM story_evidence WHERE dated_at < ?", [before])


def heads(con: duckdb.DuckDBPyConnection, cluster_ids: Sequence[int]) -> list[ClusterHead]:
    """The head article of each cluster (the cluster's id is its head's id)."""
    if not cluster_ids:
        return []
    ids = ",".join(str(int(i)) for i in cluster_ids)
    rows = con.execute(
        "SELECT id, title, text, language, coalesce(published_at, first_seen_at), first_seen_at"
        f" FROM article WHERE id IN ({ids}) AND id = coalesce(cluster_id, id) ORDER BY first_seen_at, id"
    ).fetchall()
    return [ClusterHead(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]


def heads_page(
    con: duckdb.DuckDBPyConnection, after: tuple[datetime, int] | None, limit: int
) -> list[ClusterHead]:
    """The next `limit` cluster heads in (first_seen_at, id) order, for the rebuild."""
    where = "id = coalesce(cluster_id, id)"
    params: list[object] = []
    if after is not None:
        where += " AND (first_seen_at, id) > (?, ?)"
        params = [after[0], after[1]]
    rows = con.execute(
        "SELECT id, title, text, language, coalesce(published_at, first_seen_at), first_seen_at"
        f" FROM article WHERE {where} ORDER BY first_seen_at, id LIMIT {int(limit)}",
        params,
    ).fetchall()
    return [ClusterHead(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]


class Stories(Database):
    """The linking's transactions (flows/pipeline/stories.py)."""

    def in_stories_transaction(self, work: Callable[[StoryIndex], T]) -> T:
        with self.transaction() as con:
            return work(StoryIndex(con))

    def cluster_heads(self, cluster_ids: Sequence[int]) -> list[ClusterHead]:
        with self.connect(read_only=True) as con:
            return heads(con, cluster_ids)

    def cluster_heads_page(self, after: tuple[datetime, int] | None, limit: int) -> list[ClusterHead]:
        with self.connect(read_only=True) as con:
            return heads_page(con, after, limit)

    def reset_stories(self) -> None:
        """Every cluster a story of its own again, and no evidence: the rebuild starts here."""
        with self.transaction() as con:
            con.execute("DELETE FROM story_link")
            con.execute("DELETE FROM story_evidence")

    def story_counts(self) -> dict[str, int]:
        with self.connect(read_only=True) as con:
            row = con.execute(
                "SELECT (SELECT count(*) FROM story_link), (SELECT count(*) FROM story_evidence),"
                " (SELECT count(DISTINCT story_id) FROM articles)"
            ).fetchone()
        assert row is not None
        return {"links": int(row[0]), "evidence": int(row[1]), "stories": int(row[2])}
