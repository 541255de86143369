"""The DuckDB layer: connections, migrations and every SQL statement the pipeline runs.

Connections are short: DuckDB lets one process hold the file read-write and nobody else in,
so an analyst's session must be able to get in between our writes.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from storage.dedup import ClusterJoins

T = TypeVar("T")

LOCK_MARKERS = ("Could not set lock", "Conflicting lock", "database is locked")


class StorageError(Exception):
    """A database problem the CLI reports as a message."""


class DatabaseBusy(StorageError):
    """Another process holds the database file for longer than we were willing to wait."""


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error) and any(m in str(exc) for m in LOCK_MARKERS)


def lock_holder(exc: BaseException) -> str:
    """Who holds the file, from DuckDB's 'PID n' and that process's command line, for the analyst."""
    match = re.search(r"PID (\d+)", str(exc))
    if not match:
        return "another process"
    pid = match.group(1)
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"another process (PID {pid})"
    command = " ".join(part.decode("utf-8", "replace") for part in raw.split(b"\0") if part)
    if len(command) > 120:
        command = command[:117] + "..."
    return f"another process (PID {pid}: {command})" if command else f"another process (PID {pid})"


class Held(Exception):
    """Raised by a `wait_with_backoff` attempt: the resource is held, by `holder`."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def wait_with_backoff(
    attempt: Callable[[], T],
    timeout: float,
    announce: Callable[[str], None],
    give_up: Callable[[str], Exception],
    waited: Callable[[float], None],
) -> T:
    """Retry `attempt` while it raises `Held`: 50 ms doubling to 2 s, announced once, for `timeout` s.

    The database file and the writer lock both wait this way, so an analyst's open session or a
    running ingest delays a run instead of failing it.
    """
    deadline = time.monotonic() + timeout
    delay = 0.05
    announced = False
    while True:
        try:
            return attempt()
        except Held as held:
            now = time.monotonic()
            if now >= deadline:
                raise give_up(held.holder) from None
            if not announced:
                announce(held.holder)
                announced = True
            pause = min(delay, deadline - now)
            time.sleep(pause)
            waited(pause)
            delay = min(delay * 2, 2.0)


def _rebind_indexes(con: duckdb.DuckDBPyConnection) -> None:
    """Checkpoint at once after a WAL replay (a crashed writer left a .wal behind).

    DuckDB 1.5.5 can drop replayed rows from a table's ART indexes when the checkpoint happens
    implicitly at close: unique ids would then stop being enforced and lookups by id miss rows.
    An explicit CHECKPOINT right after the replay keeps them.
    """
    con.execute("CHECKPOINT")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    found = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        match = re.fullmatch(r"(\d+)_(\w+)\.sql", entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise StorageError(f"two migrations share a number: {versions}")
    return found


@dataclass
class ArticleRecord:
    """One article ready to store; ids and clusters are assigned by `Store.insert_articles`."""

    url: str
    canonical_url: str
    source: str
    title: str | None
    text: str
    first_seen_at: datetime
    author: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    is_seed: bool = False
    relevance: float | None = None
    is_relevant: bool | None = None
    countries: list[str] | None = None
    text_hash: str | None = None
    site_name: str | None = None
    feed_summary: str | None = None
    extraction: str = "page"
    guid: str | None = None
    band_keys: list[int] = field(default_factory=list)  # near-duplicate index keys (flows/stages/dedup.py)
    signature: Any = None  # near-duplicate signature, for verifying candidates

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class InsertResult:
    id: int
    canonical_url: str
    cluster_id: int
    duplicate_of: int | None
    inserted: bool  # False: the canonical URL was already stored


@dataclass(frozen=True)
class SourceState:
    name: str
    url: str
    etag: str | None
    last_modified: str | None
    consecutive_failures: int
    next_poll_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    failing_since: datetime | None


@dataclass(frozen=True)
class PollOutcome:
    """What one feed poll tells the sources table."""

    name: str
    ok: bool
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    feed_problem: str | None = None
    moved_to: str | None = None
    new_articles: int = 0


@dataclass(frozen=True)
class FetchLogEntry:
    source: str | None
    kind: str
    url: str
    outcome: str
    status: int | None = None
    final_url: str | None = None
    error: str | None = None
    bytes: int | None = None
    elapsed_ms: float | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))


NearDuplicateFinder = Callable[[duckdb.DuckDBPyConnection, ArticleRecord], int | None]

BACKOFF_BASE = timedelta(minutes=30)
BACKOFF_MAX = timedelta(days=1)


def backoff_delay(consecutive_failures: int) -> timedelta:
    """30 min, 1 h, 2 h, ... up to once a day: failing sources are polled less, never dropped."""
    if consecutive_failures <= 0:
        return timedelta(0)
    delay = BACKOFF_BASE * (2 ** min(consecutive_failures - 1, 10))
    return min(delay, BACKOFF_MAX)


def _stored_by_url(
    con: duckdb.DuckDBPyConnection, urls: Sequence[str]
) -> dict[str, tuple[int, int, int | None]]:
    """(id, cluster, duplicate_of) of the stored articles among `urls`, in one join."""
    import pyarrow as pa  # loaded already by storage.dedup

    con.register("batch_urls", pa.table({"url": pa.array(list(dict.fromkeys(urls)), pa.string())}))
    try:
        rows = con.execute(
            "SELECT a.canonical_url, a.id, coalesce(a.cluster_id, a.id), a.duplicate_of"
            " FROM article a JOIN batch_urls b ON a.canonical_url = b.url"
        ).fetchall()
    finally:
        con.unregister("batch_urls")
    return {r[0]: (int(r[1]), int(r[2]), r[3]) for r in rows}


def _earliest_by_hash(
    con: duckdb.DuckDBPyConnection, hashes: Sequence[str], below_id: int
) -> dict[str, tuple[datetime, int]]:
    """Per text hash, the earliest stored article (below `below_id`) that has it: (first seen, id)."""
    import pyarrow as pa

    if not hashes:
        return {}
    con.register("batch_hashes", pa.table({"h": pa.array(list(dict.fromkeys(hashes)), pa.string())}))
    try:
        rows = con.execute(
            "SELECT a.text_hash, min(a.first_seen_at), arg_min(a.id, (a.first_seen_at, a.id)) FROM article a"
            f" JOIN batch_hashes b ON a.text_hash = b.h WHERE a.id < {int(below_id)} GROUP BY a.text_hash"
        ).fetchall()
    finally:
        con.unregister("batch_hashes")
    return {r[0]: (r[1], int(r[2])) for r in rows}


def _insert_rows(
    con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[ArticleRecord, int]], run_id: int | None
) -> None:
    """The batch's new articles in one INSERT, each heading a cluster of its own for now."""
    import pyarrow as pa

    if not rows:
        return
    ts = pa.timestamp("us", tz="UTC")
    text = pa.string()
    recs = [r for r, _ in rows]
    table = pa.table(
        {
            "id": pa.array([i for _, i in rows], pa.int64()),
            "url": pa.array([r.url for r in recs], text),
            "canonical_url": pa.array([r.canonical_url for r in recs], text),
            "source": pa.array([r.source for r in recs], text),
            "title": pa.array([r.title for r in recs], text),
            "author": pa.array([r.author for r in recs], text),
            "published_at": pa.array([r.published_at for r in recs], ts),
            "first_seen_at": pa.array([r.first_seen_at for r in recs], ts),
            "language": pa.array([r.language for r in recs], text),
            "text": pa.array([r.text for r in recs], text),
            "word_count": pa.array([r.word_count for r in recs], pa.int32()),
            "is_seed": pa.array([r.is_seed for r in recs], pa.bool_()),
            "relevance": pa.array([r.relevance for r in recs], pa.float64()),
            "is_relevant": pa.array([r.is_relevant for r in recs], pa.bool_()),
            "countries": pa.array([r.countries for r in recs], pa.list_(text)),
            "cluster_id": pa.array([i for _, i in rows], pa.int64()),
            "duplicate_of": pa.nulls(len(rows), pa.int64()),
            "text_hash": pa.array([r.text_hash for r in recs], text),
            "site_name": pa.array([r.site_name for r in recs], text),
            "feed_summary": pa.array([r.feed_summary for r in recs], text),
            "extraction": pa.array([r.extraction for r in recs], text),
            "guid": pa.array([r.guid for r in recs], text),
            "run_id": pa.array([run_id] * len(rows), pa.int64()),
        }
    )
    con.register("batch_articles", table)
    try:
        con.execute(f"INSERT INTO article ({', '.join(table.column_names)}) SELECT * FROM batch_articles")
    finally:
        con.unregister("batch_articles")


class Store:
    """All database access. Holds a path, not a connection: each operation opens and closes one."""

    def __init__(
        self,
        path: str | Path,
        *,
        lock_timeout: float = 60.0,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.on_wait = on_wait
        self.waited_seconds = 0.0

    # --- connections -------------------------------------------------------------------------

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise StorageError(
                f"{self.path}: no database here yet (run `newswatch seed` or `newswatch ingest`)"
            )

        def attempt() -> duckdb.DuckDBPyConnection:
            try:
                replaying = not read_only and self.path.with_name(self.path.name + ".wal").exists()
                con = duckdb.connect(str(self.path), read_only=read_only)
                con.execute("SET TimeZone = 'UTC'")  # times come back, and are printed, in UTC
                if replaying:
                    _rebind_indexes(con)
                return con
            except duckdb.Error as exc:
                if not is_lock_error(exc):
                    raise StorageError(f"{self.path}: cannot open the database: {exc}") from exc
                raise Held(lock_holder(exc)) from exc

        def give_up(holder: str) -> DatabaseBusy:
            return DatabaseBusy(
                f"{self.path} is held by {holder} (an open DuckDB session or another "
                f"run); gave up after {self.lock_timeout:.0f} s. Close that session and retry."
            )

        def announce(holder: str) -> None:
            if self.on_wait is not None:
                self.on_wait(f"{self.path} is held by {holder}; waiting")

        def waited(seconds: float) -> None:
            self.waited_seconds += seconds

        return wait_with_backoff(attempt, self.lock_timeout, announce, give_up, waited)

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._open(read_only)
        try:
            yield con
        finally:
            con.close()

    def close(self) -> None:
        """Nothing to close: a file store holds no connection between operations (the lake's does)."""

    def retrying(self, attempt: Callable[[], T]) -> T:
        """Run a whole transaction. One file has one writer, so nothing to retry; the lake
        (storage/lake.py) runs it again when another writer's commit conflicts with it."""
        return attempt()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    # --- schema ------------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Create or upgrade the schema; returns the names of the migrations applied."""
        applied: list[str] = []
        with self.connect() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
            )
            done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
            for mig in migrations():
                if mig.version in done:
                    continue
                con.execute("BEGIN TRANSACTION")
                try:
                    con.execute(mig.sql)
                    con.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                        [mig.version, mig.name, datetime.now(UTC)],
                    )
                except duckdb.Error as exc:
                    con.execute("ROLLBACK")
                    raise StorageError(f"migration {mig.version:03d}_{mig.name} failed: {exc}") from exc
                con.execute("COMMIT")
                applied.append(f"{mig.version:03d}_{mig.name}")
        return applied

    def schema_version(self) -> int:
        with self.connect(read_only=True) as con:
            row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    # --- runs --------------------------------------------------------------------------------

    def interrupt_stale_runs(self, kind: str) -> int:
        """Mark runs of `kind` still 'running' as interrupted; only for a caller holding the writer lock."""
        with self.connect() as con:
            rows = con.execute(
                "UPDATE run SET status = 'interrupted', finished_at = coalesce(finished_at, ?),"
                " message = coalesce(message, 'the process ended before the run finished')"
                " WHERE kind = ? AND status = 'running' RETURNING id",
                [datetime.now(UTC), kind],
            ).fetchall()
        return len(rows)

    def start_run(self, kind: str) -> int:
        with self.connect() as con:
            row = con.execute(
                "INSERT INTO run (kind, started_at, status) VALUES (?, ?, 'running') RETURNING id",
                [kind, datetime.now(UTC)],
            ).fetchone()
        assert row is not None
        return int(row[0])

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
        with self.connect() as con:
            con.execute(
                "UPDATE run SET finished_at = ?, status = ?, sources_polled = ?, articles_new = ?,"
                " articles_duplicate = ?, articles_failed = ?, waited_seconds = ?, message = ? WHERE id = ?",
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

    # --- sources -----------------------------------------------------------------------------

    def sync_sources(self, sources: Iterable[Any]) -> None:
        """Make the source table mirror the configuration; history of removed sources is kept."""
        now = datetime.now(UTC)
        with self.transaction() as con:
            existing = {r[0]: r[1] for r in con.execute("SELECT name, url FROM source").fetchall()}
            for s in sources:
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
        now = datetime.now(UTC)
        with self.transaction() as con:
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

    def source_health(self) -> list[dict[str, Any]]:
        with self.connect(read_only=True) as con:
            cur = con.execute(
                "SELECT name, url, enabled, last_success_at, last_error_at, last_error, feed_problem,"
                " consecutive_failures, failing_since, next_poll_at, moved_to, articles_total, last_status"
                " FROM source ORDER BY name"
            )
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    # --- fetch log ---------------------------------------------------------------------------

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
        with self.transaction() as con:
            con.register("fetch_log_rows", rows)
            try:
                con.execute(
                    "INSERT INTO fetch_log (run_id, source, kind, url, final_url, status, outcome, error,"
                    " bytes, elapsed_ms, fetched_at) SELECT * FROM fetch_log_rows"
                )
            finally:
                con.unregister("fetch_log_rows")

    # --- articles ----------------------------------------------------------------------------

    def known_canonical_urls(self, urls: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(urls))
        if not wanted:
            return set()
        with self.connect() as con:
            rows = con.execute(
                "SELECT canonical_url FROM article WHERE canonical_url IN (SELECT unnest(?))", [wanted]
            ).fetchall()
        return {r[0] for r in rows}

    def insert_articles(
        self,
        records: Sequence[ArticleRecord],
        run_id: int | None = None,
        near_duplicate: NearDuplicateFinder | None = None,
        on_inserted: Callable[[duckdb.DuckDBPyConnection, ArticleRecord, int], None] | None = None,
        before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
        joins: ClusterJoins | None = None,
    ) -> list[InsertResult]:
        """Store a batch in one transaction, assigning ids and story clusters.

        A record whose canonical URL is already stored is skipped (a crash between fetch and store,
        or two copies in one batch). Exact duplicates (same text hash) join the earliest article's
        cluster; `near_duplicate` may name another article whose cluster the record joins.
        `before_commit` runs last inside the transaction (the near-duplicate index writes its rows).
        Cluster joins wait in `joins` (the finder's own, which it flushes before it merges).

        A batch costs a few statements, not a few per article: the rows go in as one Arrow table
        (each a story of its own), URLs and text hashes are looked up for the whole batch, and
        the articles that join a cluster cost one more. Every Python value bound as a parameter
        costs DuckDB a failed `import pandas`, so ids go in as integer literals.
        """
        if not records:
            return []
        joins = joins if joins is not None else ClusterJoins()
        with self.transaction() as con:
            row = con.execute("SELECT coalesce(max(id), 0) FROM article").fetchone()
            first_id = next_id = int(row[0]) + 1 if row else 1
            stored = _stored_by_url(con, [r.canonical_url for r in records])
            ids: list[int | None] = []  # per record: its new id, or None when its URL is known
            batch_ids: dict[str, int] = {}
            new: list[tuple[ArticleRecord, int]] = []
            for rec in records:
                if rec.canonical_url in stored or rec.canonical_url in batch_ids:
                    ids.append(None)
                    continue
                batch_ids[rec.canonical_url] = next_id
                new.append((rec, next_id))
                ids.append(next_id)
                next_id += 1
            _insert_rows(con, new, run_id)
            earliest = _earliest_by_hash(con, [r.text_hash for r, _ in new if r.text_hash], first_id)
            for rec, article_id in new:
                match_id: int | None = None
                hit = earliest.get(rec.text_hash) if rec.text_hash else None
                if hit is not None:
                    match_id = hit[1]
                elif near_duplicate is not None:
                    match_id = near_duplicate(con, rec)
                if match_id is not None:
                    joins.add(article_id, match_id)
                if rec.text_hash and (hit is None or (rec.first_seen_at, article_id) < hit):
                    earliest[rec.text_hash] = (rec.first_seen_at, article_id)
                if on_inserted is not None:
                    on_inserted(con, rec, article_id)
            if before_commit is not None:
                before_commit(con)
            joins.flush(con)
            placed = {
                int(r[0]): (int(r[1]), r[2])
                for r in con.execute(
                    f"SELECT id, cluster_id, duplicate_of FROM article WHERE id >= {first_id}"
                ).fetchall()
            }
        results: list[InsertResult] = []
        for rec, new_id in zip(records, ids, strict=True):
            if new_id is not None:
                cluster_id, duplicate_of = placed[new_id]
                results.append(
                    InsertResult(new_id, rec.canonical_url, cluster_id, duplicate_of, inserted=True)
                )
            elif rec.canonical_url in stored:
                known_id, cluster_id, duplicate_of = stored[rec.canonical_url]
                results.append(
                    InsertResult(known_id, rec.canonical_url, cluster_id, duplicate_of, inserted=False)
                )
            else:
                first = batch_ids[rec.canonical_url]
                cluster_id, duplicate_of = placed[first]
                results.append(
                    InsertResult(first, rec.canonical_url, cluster_id, duplicate_of, inserted=False)
                )
        return results

    def count_articles(self) -> int:
        with self.connect(read_only=True) as con:
            row = con.execute("SELECT count(*) FROM article").fetchone()
        return int(row[0]) if row else 0

    # --- relevance (flows/stages/relevance.py) --------------------------------------------------------

    def seed_texts(self) -> list[str]:
        """Title and text of every seed article: the corpus relevance measures closeness to."""
        if not self.path.exists():
            return []
        with self.connect() as con:
            rows = con.execute(
                "SELECT coalesce(title, '') || chr(10) || coalesce(text, '') FROM article"
                " WHERE is_seed ORDER BY id"
            ).fetchall()
        return [r[0] for r in rows]

    def articles_to_rescore(self, after_id: int, limit: int) -> list[tuple[int, str | None, str, str | None]]:
        """The next `limit` articles by id after `after_id`: (id, title, text, source language hint)."""
        with self.connect() as con:
            return [
                (int(r[0]), r[1], r[2] or "", r[3])
                for r in con.execute(
                    "SELECT a.id, a.title, a.text, s.language FROM article a"
                    " LEFT JOIN source s ON s.name = a.source"
                    " WHERE a.id > ? ORDER BY a.id LIMIT ?",
                    [after_id, limit],
                ).fetchall()
            ]

    def update_scores(self, rows: Sequence[tuple[int, str | None, float, bool, list[str]]]) -> None:
        """Set (id, language, relevance, is_relevant, countries) for a batch, in one short transaction."""
        if not rows:
            return
        ids, languages, relevances, relevant, countries = (list(col) for col in zip(*rows, strict=True))
        with self.transaction() as con:
            con.execute(
                "UPDATE article SET language = u.language, relevance = u.relevance,"
                " is_relevant = u.is_relevant, countries = u.countries"
                " FROM (SELECT unnest(?::BIGINT[]) AS id, unnest(?::VARCHAR[]) AS language,"
                " unnest(?::DOUBLE[]) AS relevance, unnest(?::BOOLEAN[]) AS is_relevant,"
                " unnest(?::VARCHAR[][]) AS countries) AS u"
                " WHERE article.id = u.id",
                [ids, languages, relevances, relevant, countries],
            )

    # --- digest ------------------------------------------------------------------------------

    def digest_articles(self, start: datetime, end: datetime, text_chars: int = 4000) -> list[dict[str, Any]]:
        """Every article of each story cluster with a relevant, non-seed article first seen in [start, end).

        Copies seen on other days come too (`in_day` false): they are the story's other outlets.
        """
        with self.connect(read_only=True) as con:
            cur = con.execute(
                "WITH hit AS (SELECT DISTINCT coalesce(cluster_id, id) AS cid FROM article"
                "  WHERE first_seen_at >= ? AND first_seen_at < ? AND is_relevant AND NOT is_seed)"
                " SELECT coalesce(a.cluster_id, a.id) AS cluster, a.id, a.url, a.source, a.title,"
                " a.published_at, a.first_seen_at, a.language, left(a.text, ?) AS text, a.relevance,"
                " coalesce(a.is_relevant, false) AS is_relevant, a.countries, a.is_seed, a.site_name,"
                " a.extraction, (a.first_seen_at >= ? AND a.first_seen_at < ?) AS in_day"
                " FROM article a JOIN hit ON coalesce(a.cluster_id, a.id) = hit.cid"
                " ORDER BY a.first_seen_at, a.id",
                [start, end, text_chars, start, end],
            )
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def day_article_counts(self, start: datetime, end: datetime) -> tuple[int, int]:
        """(new articles, relevant ones) first seen in [start, end), the seed corpus left out."""
        with self.connect(read_only=True) as con:
            row = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE is_relevant) FROM article"
                " WHERE first_seen_at >= ? AND first_seen_at < ? AND NOT is_seed",
                [start, end],
            ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def failing_sources(self, names: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Enabled sources whose last poll failed, longest failing first; `names` limits to the config's."""
        with self.connect(read_only=True) as con:
            cur = con.execute(
                "SELECT name, url, consecutive_failures, failing_since, last_error, last_success_at"
                " FROM source WHERE enabled AND consecutive_failures > 0"
                " AND (? IS NULL OR list_contains(?, name))"
                " ORDER BY failing_since NULLS LAST, name",
                [None if names is None else list(names), None if names is None else list(names)],
            )
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

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
        now = datetime.now(UTC)
        html_path, text_path, md_path = paths
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
                    [day, recipients, stories, articles, subject, html_path, text_path, md_path, now, now],
                )

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

    def record_digest_send(
        self, day: date, recipients: str, *, ok: bool, error: str | None = None, message_id: str | None = None
    ) -> None:
        now = datetime.now(UTC)
        with self.connect() as con:
            if ok:
                con.execute(
                    "UPDATE digest SET status = 'sent', attempts = attempts + 1, last_attempt_at = ?,"
                    " sent_at = ?, message_id = ?, error = ?, updated_at = ? WHERE day = ? AND recipients = ?",
                    [now, now, message_id, error, now, day, recipients],
                )
            else:
                con.execute(
                    "UPDATE digest SET status = 'failed', attempts = attempts + 1, last_attempt_at = ?,"
                    " error = ?, updated_at = ? WHERE day = ? AND recipients = ?",
                    [now, error, now, day, recipients],
                )

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

    # --- ad-hoc queries ----------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run SQL on a read-only connection, so it can change nothing."""
        with self.connect(read_only=True) as con:
            cur = con.execute(sql, params or [])
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], cur.fetchall()
