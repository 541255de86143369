"""The DuckLake backend: the same schema and statements as `Store`, in a lake many machines write.

A DuckLake keeps its catalog in PostgreSQL and its data as Parquet files under a directory (or
an S3-compatible store). Every writer attaches it through DuckDB's `ducklake` and `postgres`
extensions, loaded from the pinned Python packages (never from the internet).

What differs from one DuckDB file, and how it is handled here:
- No indexes, sequences, PRIMARY KEY or UNIQUE: the migrations are run with those statements
  left out (`lake_statements`), ids are `max(id) + 1`, and uniqueness is the writers' job.
- Optimistic concurrency: concurrent INSERTs into one table never conflict, UPDATEs and DELETEs
  of one table do, at commit. So every transaction that assigns ids or decides uniqueness
  (article inserts, run ids, migrations, the search index) first updates the single row of
  `lake_writer`: two such transactions cannot both commit, the loser's commit fails, and
  `retrying` runs it again on a fresh snapshot, where it sees the winner's rows. Fetching and
  analysis stay parallel; only these short commits take turns.
- `reconcile` is the safety net after commit: rows that still raced (a writer without the guard,
  an analyst's INSERT) are found and removed or merged.
- Attaching costs about 0.4 s (two extensions and the catalog), so a `LakeStore` keeps one DuckDB
  instance and hands out a cursor per operation; read-only work gets a fresh READ_ONLY attach.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from storage.db import (
    ArticleRecord,
    FetchLogEntry,
    InsertResult,
    Migration,
    NearDuplicateFinder,
    PollOutcome,
    StorageError,
    Store,
    migrations,
)
from storage.dedup import ClusterJoins

T = TypeVar("T")

CATALOG_ENV = "NEWSWATCH_LAKE_CATALOG"
DATA_ENV = "NEWSWATCH_LAKE_DATA"
SHARD_ENV = "NEWSWATCH_SHARD"
ALIAS = "lake"

# Errors after which a transaction is simply run again: DuckLake's own commit conflicts, and the
# catalog database refusing a concurrent snapshot (PostgreSQL serialization or key clashes).
RETRY_MARKERS = (
    "Transaction conflict",
    "Failed to commit DuckLake transaction",
    "could not serialize access",
    "duplicate key value violates unique constraint",
    "deadlock detected",
)


class LakeConflict(StorageError):
    """A transaction kept conflicting with other writers past the retry limit."""


def is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error) and any(m in str(exc) for m in RETRY_MARKERS)


# --- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LakeConfig:
    """Where the lake is: `catalog` is what follows `ducklake:` in an ATTACH, e.g.
    `postgres:dbname=newswatch host=db.internal user=newswatch`; `data_path` is needed only
    by the writer that creates the lake (the catalog remembers it)."""

    catalog: str
    data_path: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LakeConfig | None:
        env = os.environ if env is None else env
        catalog = (env.get(CATALOG_ENV) or "").strip()
        if not catalog:
            return None
        if catalog.startswith("ducklake:"):
            catalog = catalog[len("ducklake:") :]
        return cls(catalog, (env.get(DATA_ENV) or "").strip() or None)

    def attach_sql(self, alias: str = ALIAS, read_only: bool = False) -> str:
        options = []
        if self.data_path and not read_only:
            options.append(f"DATA_PATH '{_quote(self.data_path)}'")
        if read_only:
            options.append("READ_ONLY")
        opts = f" ({', '.join(options)})" if options else ""
        return f"ATTACH 'ducklake:{_quote(self.catalog)}' AS {alias}{opts}"

    def label(self) -> str:
        """The catalog without its password, for messages."""
        return re.sub(r"password=\S+", "password=***", self.catalog)


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (1-based): the sources whose name hashes to it."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
        if not match:
            raise ValueError(f"shard {text!r}: write it as I/N, e.g. 1/4")
        index, count = int(match.group(1)), int(match.group(2))
        if count < 1 or not 1 <= index <= count:
            raise ValueError(f"shard {text!r}: I must be between 1 and N")
        return cls(index, count)

    def owns(self, source_name: str) -> bool:
        """Stable across machines and Python runs (unlike hash()): crc32 of the lower-cased name."""
        return zlib.crc32(source_name.strip().lower().encode("utf-8")) % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


# --- extensions and migrations -------------------------------------------------------------------


def _package_extension(package: str, filename: str) -> Path:
    try:
        root = Path(str(resources.files(package))) / "extensions"
    except ModuleNotFoundError as exc:
        raise StorageError(f"the {package.replace('_', '-')} package is not installed") from exc
    path = root / f"v{duckdb.__version__}" / filename
    if not path.is_file():
        raise StorageError(
            f"no {filename} for DuckDB {duckdb.__version__} under {root}: the duckdb and "
            f"{package.replace('_', '-')} packages must have the same version"
        )
    return path


def extension_dir() -> Path:
    """A private directory for DuckDB's extension files, so nothing is written to ~/.duckdb.

    The postgres extension's entry point is named after `postgres_scanner`, and LOAD derives it
    from the file name, so the packaged `postgres.duckdb_extension` is linked in under that name.
    """
    base = Path(tempfile.gettempdir()) / f"newswatch-duckdb-ext-{os.getuid()}" / f"v{duckdb.__version__}"
    link = base / "postgres_scanner.duckdb_extension"
    target = _package_extension("duckdb_extension_postgres", "postgres.duckdb_extension")
    if not (link.is_symlink() and Path(os.readlink(link)) == target):
        base.mkdir(parents=True, exist_ok=True)
        tmp = base / f".link-{os.getpid()}-{threading.get_ident()}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(target)
        os.replace(tmp, link)
    return base


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    base = extension_dir()
    con.execute(f"SET extension_directory = '{_quote(str(base.parent))}'")
    con.execute("SET autoinstall_known_extensions = false")
    ducklake = _package_extension("duckdb_extension_ducklake", "ducklake.duckdb_extension")
    con.execute(f"LOAD '{_quote(str(ducklake))}'")
    con.execute(f"LOAD '{_quote(str(base / 'postgres_scanner.duckdb_extension'))}'")


_NO_LAKE = re.compile(r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\b|^\s*CREATE\s+SEQUENCE\b|^\s*DROP\s+INDEX\b", re.I)
_NEXTVAL = re.compile(r"\s+DEFAULT\s+nextval\s*\(\s*'[^']*'\s*\)", re.I)


def lake_statements(sql: str) -> list[str]:
    """A migration's statements as the lake takes them: no indexes or sequences (ids are assigned
    by the writers), everything else unchanged, so the lake has the same tables and views."""
    out = []
    for stmt in duckdb.extract_statements(sql):
        text = stmt.query
        bare = re.sub(r"--[^\n]*", "", text)
        if not bare.strip() or _NO_LAKE.search(bare):
            continue
        out.append(_NEXTVAL.sub("", text))
    return out


def _quote(text: str) -> str:
    return text.replace("'", "''")


# --- the store -------------------------------------------------------------------------------------


class LakeStore(Store):
    """`Store` on a DuckLake. `path` is a local file name that is never opened: the spool and the
    writer lock of this machine (and shard) live beside it, as they do beside a DuckDB file."""

    def __init__(
        self,
        lake: LakeConfig,
        path: str | Path,
        *,
        shard: Shard | None = None,
        lock_timeout: float = 60.0,
        on_wait: Callable[[str], None] | None = None,
        max_attempts: int = 40,
    ) -> None:
        local = Path(path)
        if shard is not None and shard.count > 1:
            local = local.with_name(f"{local.name}.shard-{shard.index}-of-{shard.count}")
        super().__init__(local, lock_timeout=lock_timeout, on_wait=on_wait)
        self.lake = lake
        self.shard = shard
        self.max_attempts = max_attempts
        self.conflicts = 0  # commits that lost to another writer and were run again
        self.writer = f"{os.uname().nodename}:{os.getpid()}" + (f":shard {shard}" if shard else "")
        self._db: duckdb.DuckDBPyConnection | None = None
        self._db_lock = threading.Lock()
        self._local = threading.local()

    # --- connections -------------------------------------------------------------------------

    def _attach(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A new DuckDB instance with the lake attached. Writers that start together on a new
        catalog race to create its tables; the losers attach again, to the winner's catalog."""
        deadline = time.monotonic() + max(self.lock_timeout, 5.0)
        while True:
            con = duckdb.connect()
            try:
                load_extensions(con)
                con.execute("SET GLOBAL TimeZone = 'UTC'")  # for the cursors too: times in UTC
                con.execute(self.lake.attach_sql(ALIAS, read_only=read_only))
                con.execute(f"USE {ALIAS}")
                return con
            except duckdb.Error as exc:
                con.close()
                racing = "already exists" in str(exc) or is_conflict(exc)
                if not racing or time.monotonic() > deadline:
                    raise StorageError(f"cannot attach the lake ducklake:{self.lake.label()}: {exc}") from exc
                time.sleep(0.05 + 0.2 * random.random())  # noqa: S311 - jitter

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        if read_only:
            return self._attach(read_only=True)
        with self._db_lock:
            if self._db is None:
                if self.lake.data_path:
                    Path(self.lake.data_path).mkdir(parents=True, exist_ok=True)
                self._db = self._attach(read_only=False)
            cur = self._db.cursor()
        cur.execute(f"USE {ALIAS}")
        return cur

    def close(self) -> None:
        with self._db_lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A transaction that, unless `unguarded()`, takes the writer turn (see the module doc)."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                if not getattr(self._local, "unguarded", False):
                    con.execute(
                        "UPDATE lake_writer SET turns = turns + 1, last_writer = ?, last_at = ?",
                        [self.writer, datetime.now(UTC)],
                    )
                yield con
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    @contextlib.contextmanager
    def unguarded(self) -> Iterator[None]:
        """Transactions that only append, or only touch rows no id or uniqueness depends on."""
        before = getattr(self._local, "unguarded", False)
        self._local.unguarded = True
        try:
            yield
        finally:
            self._local.unguarded = before

    def retrying(self, attempt: Callable[[], T]) -> T:
        """Run `attempt` (a whole transaction) again while it loses commit conflicts."""
        delay = 0.02
        for n in range(1, self.max_attempts + 1):
            try:
                return attempt()
            except duckdb.Error as exc:
                if not is_conflict(exc):
                    raise
                self.conflicts += 1
                if n == self.max_attempts:
                    raise LakeConflict(
                        f"a transaction on the lake lost {n} commit conflicts in a row; giving up: {exc}"
                    ) from exc
            time.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter, not security
            delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    # --- schema ------------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """The numbered migrations, adapted (`lake_statements`), each in a guarded transaction."""
        pending = migrations()
        with contextlib.suppress(duckdb.Error), self.connect() as con:  # a new lake has no tables yet
            done = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
            if con.execute("SELECT count(*) FROM lake_writer").fetchone() != (0,):
                pending = [m for m in pending if m.version not in done]
        if not pending:
            return []  # the common case: no transaction, so no turn taken from the writers
        self.retrying(self._bootstrap)
        applied: list[str] = []
        for mig in pending:
            if self.retrying(lambda m=mig: self._apply(m)):  # type: ignore[misc]
                applied.append(f"{mig.version:03d}_{mig.name}")
        return applied

    def _bootstrap(self) -> None:
        with self.connect() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS lake_writer (turns BIGINT NOT NULL, last_writer VARCHAR,"
                " last_at TIMESTAMPTZ)"
            )
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
            )
            con.execute(
                "CREATE TABLE IF NOT EXISTS lake_reconcile (checked_id BIGINT NOT NULL, checked_at TIMESTAMPTZ)"
            )
            row = con.execute("SELECT count(*) FROM lake_writer").fetchone()
            if not row or not row[0]:
                con.execute("INSERT INTO lake_writer VALUES (0, NULL, NULL)")

    def _apply(self, mig: Migration) -> bool:
        with self.transaction() as con:
            done = con.execute("SELECT 1 FROM schema_migrations WHERE version = ?", [mig.version]).fetchone()
            if done:
                return False
            try:
                for stmt in lake_statements(mig.sql):
                    con.execute(stmt)
            except duckdb.Error as exc:
                if is_conflict(exc):
                    raise
                raise StorageError(
                    f"migration {mig.version:03d}_{mig.name} failed on the lake: {exc}"
                ) from exc
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [mig.version, mig.name, datetime.now(UTC)]
            )
        return True

    # --- writes, each a whole transaction run again on a conflict -----------------------------

    def interrupt_stale_runs(self, kind: str) -> int:
        """Only this writer's own runs: other machines' running ingests are alive, not stale."""

        def attempt() -> int:
            with self.unguarded(), self.transaction() as con:
                where = " WHERE kind = ? AND status = 'running' AND message = ?"  # no RETURNING on a lake
                params = [kind, self._run_tag()]
                row = con.execute("SELECT count(*) FROM run" + where, params).fetchone()
                if row and row[0]:
                    con.execute(
                        "UPDATE run SET status = 'interrupted', finished_at = coalesce(finished_at, ?),"
                        " message = 'the process ended before the run finished'" + where,
                        [datetime.now(UTC), *params],
                    )
            return int(row[0]) if row else 0

        return self.retrying(attempt)

    def _run_tag(self) -> str:
        """Names the local writer (machine, state file) of a running run, for interrupt_stale_runs."""
        return f"running on {os.uname().nodename} for {self.path.resolve()}"

    def start_run(self, kind: str) -> int:
        def attempt() -> int:
            with self.transaction() as con:
                row = con.execute("SELECT coalesce(max(id), 0) + 1 FROM run").fetchone()
                assert row is not None
                run_id = int(row[0])
                con.execute(
                    "INSERT INTO run (id, kind, started_at, status, message) VALUES (?, ?, ?, 'running', ?)",
                    [run_id, kind, datetime.now(UTC), self._run_tag()],
                )
            return run_id

        return self.retrying(attempt)

    def finish_run(self, run_id: int, status: str, **counts: Any) -> None:
        def attempt() -> None:
            with self.unguarded():
                Store.finish_run(self, run_id, status, **counts)

        self.retrying(attempt)

    def sync_sources(self, sources: Any) -> None:
        """Only the sources whose settings changed: every writer syncs at start, and rewriting all
        rows would make each start conflict with every other writer's."""
        with self.connect() as con:
            stored = {
                r[0]: tuple(r[1:])
                for r in con.execute("SELECT name, url, language, enabled, tags FROM source").fetchall()
            }
        items = [s for s in sources if stored.get(s.name) != (s.url, s.language, s.enabled, ",".join(s.tags))]
        if not items:
            return

        def attempt() -> None:
            with self.unguarded():
                Store.sync_sources(self, items)

        self.retrying(attempt)

    def record_polls(self, run_id: int | None, outcomes: Sequence[PollOutcome]) -> None:
        def attempt() -> None:
            with self.unguarded():
                Store.record_polls(self, run_id, outcomes)

        self.retrying(attempt)

    def log_fetches(self, run_id: int | None, entries: Sequence[FetchLogEntry]) -> None:
        def attempt() -> None:
            with self.unguarded():
                Store.log_fetches(self, run_id, entries)

        self.retrying(attempt)

    def insert_articles(
        self,
        records: Sequence[ArticleRecord],
        run_id: int | None = None,
        near_duplicate: NearDuplicateFinder | None = None,
        on_inserted: Callable[[duckdb.DuckDBPyConnection, ArticleRecord, int], None] | None = None,
        before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
        joins: ClusterJoins | None = None,
    ) -> list[InsertResult]:
        """Guarded: the canonical-URL check, the ids and the clusters see every committed article.

        One attempt only: the callbacks carry state from this attempt, so the caller retries
        with fresh ones (`retrying`, as flows.pipeline.ingest.insert_with_dedup does).
        """
        return Store.insert_articles(self, records, run_id, near_duplicate, on_inserted, before_commit, joins)

    def update_scores(self, rows: Sequence[tuple[int, str | None, float, bool, list[str]]]) -> None:
        def attempt() -> None:
            with self.unguarded():
                Store.update_scores(self, rows)

        self.retrying(attempt)

    def save_digest(self, *args: Any, **kwargs: Any) -> None:
        self.retrying(lambda: Store.save_digest(self, *args, **kwargs))

    def claim_digest_send(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        """Guarded and retried: of two machines claiming one day, one commits; the other runs its
        claim again on a fresh snapshot and finds the day taken."""
        return self.retrying(lambda: Store.claim_digest_send(self, *args, **kwargs))

    def record_digest_send(self, *args: Any, **kwargs: Any) -> None:
        self.retrying(lambda: Store.record_digest_send(self, *args, **kwargs))

    # --- reads that assumed a local file ------------------------------------------------------

    def seed_texts(self) -> list[str]:
        with self.connect() as con:
            exists = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = 'article'",
                [ALIAS],
            ).fetchone()
            if not exists or not exists[0]:
                return []
            rows = con.execute(
                "SELECT coalesce(title, '') || chr(10) || coalesce(text, '') FROM article"
                " WHERE is_seed ORDER BY id"
            ).fetchall()
        return [r[0] for r in rows]

    def schema_version(self) -> int:
        with self.connect() as con:
            row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0]) if row and row[0] is not None else 0


# --- reconciliation: what still raced ---------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateUrl:
    canonical_url: str
    kept: int
    removed: list[int]
    clusters: list[int]


def duplicate_urls(con: duckdb.DuckDBPyConnection) -> list[DuplicateUrl]:
    """Canonical URLs stored more than once; the earliest row (by id) is the one kept."""
    rows = con.execute(
        "SELECT canonical_url, list(id ORDER BY id), list(DISTINCT coalesce(cluster_id, id))"
        " FROM article GROUP BY canonical_url HAVING count(*) > 1 ORDER BY canonical_url"
    ).fetchall()
    return [
        DuplicateUrl(r[0], int(r[1][0]), [int(i) for i in r[1][1:]], sorted(int(c) for c in r[2]))
        for r in rows
    ]


def duplicate_ids(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """Ids given to more than one article (two writers without the guard): (id, copies)."""
    rows = con.execute(
        "SELECT id, count(*) FROM article GROUP BY id HAVING count(*) > 1 ORDER BY id"
    ).fetchall()
    return [(int(r[0]), int(r[1])) for r in rows]


def remove_articles(con: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> None:
    """Delete articles with everything that points at them by id (index rows, search postings)."""
    if not ids:
        return
    literal = ",".join(str(int(i)) for i in ids)
    con.execute(f"DELETE FROM article WHERE id IN ({literal})")
    con.execute(f"DELETE FROM dedup_band WHERE article_id IN ({literal})")
    for table in ("search_doc", "search_delta", "search_posting"):
        if _has_table(con, table):
            con.execute(f"DELETE FROM {table} WHERE id IN ({literal})")


def split_clusters_by_hash(con: duckdb.DuckDBPyConnection) -> list[list[int]]:
    """Groups of clusters that hold the same exact text: they must be one story."""
    rows = con.execute(
        "SELECT list(DISTINCT coalesce(cluster_id, id) ORDER BY coalesce(cluster_id, id)) FROM article"
        " WHERE text_hash IS NOT NULL GROUP BY text_hash HAVING count(DISTINCT coalesce(cluster_id, id)) > 1"
    ).fetchall()
    return [[int(c) for c in r[0]] for r in rows]


def checked_up_to(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(checked_id), 0) FROM lake_reconcile").fetchone()
    return int(row[0]) if row else 0


def mark_checked(con: duckdb.DuckDBPyConnection, up_to: int) -> None:
    con.execute("DELETE FROM lake_reconcile")
    con.execute("INSERT INTO lake_reconcile VALUES (?, ?)", [up_to, datetime.now(UTC)])


def articles_after(
    con: duckdb.DuckDBPyConnection, after_id: int, limit: int
) -> list[tuple[int, str, str, str, datetime]]:
    """(id, canonical_url, source, text, first_seen_at) of articles with id > after_id, by id."""
    rows = con.execute(
        "SELECT id, canonical_url, source, coalesce(text, ''), first_seen_at FROM article WHERE id > ?"
        " ORDER BY id LIMIT ?",
        [after_id, limit],
    ).fetchall()
    return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?",
        [name],
    ).fetchone()
    return bool(row and row[0])


def lake_summary(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Counts a test or an operator checks after concurrent ingests."""
    row = con.execute(
        "SELECT count(*), count(DISTINCT canonical_url), count(DISTINCT id),"
        " count(DISTINCT coalesce(cluster_id, id)) FROM article"
    ).fetchone()
    assert row is not None
    return {"articles": int(row[0]), "urls": int(row[1]), "ids": int(row[2]), "clusters": int(row[3])}


# --- copying a DuckDB file into the lake --------------------------------------------------------------

# Tables copied by `newswatch migrate --to ducklake`, in this order; others are left out.
COPY_ORDER = (
    "source",
    "run",
    "article",
    "fetch_log",
    "dedup_band",
    "dedup_state",
    "digest",
    "search_posting",
    "search_delta",
    "search_doc",
    "search_state",
)


def copy_file_into(store: LakeStore, db_file: Path, force: bool = False) -> dict[str, int]:
    """Copy every table of a DuckDB file (already migrated to our schema) into the lake, in one
    guarded transaction; refuses a lake that already holds articles unless `force`."""
    src = "nw_src_" + hashlib.blake2b(str(db_file.resolve()).encode(), digest_size=4).hexdigest()

    def attempt() -> dict[str, int]:
        copied: dict[str, int] = {}
        with store.transaction() as con:
            row = con.execute("SELECT count(*) FROM article").fetchone()
            if row and row[0] and not force:
                raise StorageError(
                    f"the lake already holds {row[0]} articles; copying {db_file} would mix two histories"
                    " (use --force to add its rows anyway: canonical URLs already in the lake are skipped)"
                )
            src_tables = {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [src]
                ).fetchall()
            }
            for table in COPY_ORDER:
                if table not in src_tables or not _has_table(con, table):
                    continue
                cols = [
                    r[0]
                    for r in con.execute(
                        "SELECT l.column_name FROM duckdb_columns() l JOIN duckdb_columns() s"
                        " ON s.column_name = l.column_name AND s.table_name = l.table_name"
                        " WHERE l.database_name = ? AND s.database_name = ? AND l.table_name = ?"
                        " ORDER BY l.column_index",
                        [ALIAS, src, table],
                    ).fetchall()
                ]
                names = ", ".join(f'"{c}"' for c in cols)
                where = ""
                if table == "article" and force:
                    where = " WHERE canonical_url NOT IN (SELECT canonical_url FROM article)"
                order = " ORDER BY id" if table in ("article", "run") else ""
                cur = con.execute(
                    f"INSERT INTO {table} ({names}) SELECT {names} FROM {src}.main.{table}{where}{order}"
                )
                done = cur.fetchone()
                copied[table] = int(done[0]) if done else 0
        return copied

    with store.connect() as con:
        con.execute(f"ATTACH '{_quote(str(db_file))}' AS {src} (READ_ONLY)")
        try:
            return store.retrying(attempt)
        finally:
            con.execute(f"DETACH {src}")


def open_store(
    path: str | Path,
    *,
    shard: Shard | None = None,
    env: Mapping[str, str] | None = None,
    lock_timeout: float = 60.0,
    on_wait: Callable[[str], None] | None = None,
) -> Store:
    """The configured backend: the DuckDB file at `path`, or the lake named by NEWSWATCH_LAKE_CATALOG
    (then `path` only anchors this machine's spool and writer lock)."""
    lake = LakeConfig.from_env(env)
    if lake is None:
        return Store(path, lock_timeout=lock_timeout, on_wait=on_wait)
    return LakeStore(lake, path, shard=shard, lock_timeout=lock_timeout, on_wait=on_wait)
