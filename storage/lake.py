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
import os
import random
import re
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TypeVar

import duckdb

from storage.errors import StorageError
from storage.secrets import without_secrets
from storage.store import Store

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
            options.append(f"DATA_PATH '{quote(self.data_path)}'")
        if read_only:
            options.append("READ_ONLY")
        opts = f" ({', '.join(options)})" if options else ""
        return f"ATTACH 'ducklake:{quote(self.catalog)}' AS {alias}{opts}"

    def label(self) -> str:
        """The catalog without its password, for messages."""
        return without_secrets(self.catalog, [self.catalog])


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
    con.execute(f"SET extension_directory = '{quote(str(base.parent))}'")
    con.execute("SET autoinstall_known_extensions = false")
    ducklake = _package_extension("duckdb_extension_ducklake", "ducklake.duckdb_extension")
    con.execute(f"LOAD '{quote(str(ducklake))}'")
    con.execute(f"LOAD '{quote(str(base / 'postgres_scanner.duckdb_extension'))}'")


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


def quote(text: str) -> str:
    return text.replace("'", "''")


# --- the store -------------------------------------------------------------------------------------


class LakeStore(Store):
    """`Store` on a DuckLake. `path` is a local file name that is never opened: the spool and the
    writer lock of this machine (and shard) live beside it, as they do beside a DuckDB file.

    Overrides only the connection and transaction layer (`storage.database.Database`): how a
    connection is opened, the guarded transaction, the commit-conflict retry, and the layer's
    hooks where the domain modules need other SQL on a lake (ids without sequences, runs tagged
    with their writer, migrations without indexes, a cheap cursor for its own reads). Never a
    domain method: every one of them already runs its transaction through `retrying`."""

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
        self._ro: duckdb.DuckDBPyConnection | None = None  # pinned_reads' read-only attach
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
                    failed = str(exc)
                    break
                time.sleep(0.05 + 0.2 * random.random())  # noqa: S311 - jitter
        # raised here, not in the handler: DuckDB's own exception, chained, would repeat the DSN
        hidden = without_secrets(failed, [self.lake.catalog])
        raise StorageError(f"cannot attach the lake ducklake:{self.lake.label()}: {hidden}")

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """The layer's connection; an error that repeats the catalog's DSN is told without its
        password, it and the errors chained to it (the same objects: callers tell kinds apart)."""
        try:
            with super().connect(read_only) as con:
                yield con
        except (duckdb.Error, StorageError) as exc:
            seen: set[int] = set()
            error: BaseException | None = exc
            while error is not None and id(error) not in seen:
                seen.add(id(error))
                if isinstance(error, duckdb.Error | StorageError) and error.args:
                    error.args = (without_secrets(str(error.args[0]), [self.lake.catalog]), *error.args[1:])
                error = error.__cause__ or error.__context__
            raise

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
            if self._ro is not None:
                self._ro.close()
                self._ro = None

    def _reader(self) -> duckdb.DuckDBPyConnection:
        """For `pinned_reads`: a cursor of one read-only attach kept for the store's life (a fresh
        attach costs 0.4 s; the lake's readers never block its writers, and each transaction
        reads the latest snapshot)."""
        with self._db_lock:
            if self._ro is None:
                self._ro = self._attach(read_only=True)
            cur = self._ro.cursor()
        cur.execute(f"USE {ALIAS}")
        return cur

    def _cursor(self, pinned: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        cur = pinned.cursor()
        cur.execute(f"USE {ALIAS}")
        return cur

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

    def is_retryable(self, exc: BaseException) -> bool:
        return is_conflict(exc)

    # --- the layer's hooks: what the lake does in other SQL than a file -----------------------

    many_writers = True  # sync_sources writes only the sources whose settings changed
    where = " on the lake"

    @contextlib.contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """This store's cursor: a read-only attach costs 0.4 s."""
        with self.connect() as con:
            yield con

    def own_directories(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        """The lake's data path (as its catalog has it): its Parquet files are read from there."""
        row = con.execute(
            f"SELECT value FROM ducklake_options('{ALIAS}') WHERE option_name = 'data_path'"
        ).fetchone()
        path = str(row[0]) if row and row[0] else self.lake.data_path
        return [path] if path else []

    def created(self) -> bool:
        """A new lake has no tables yet."""
        with self.connect() as con:
            return has_table(con, "article")

    def next_id(self, con: duckdb.DuckDBPyConnection, table: str) -> int:
        """No sequences on a lake: the writers assign ids, in a guarded transaction."""
        row = con.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()
        assert row is not None
        return int(row[0])

    def run_tag(self) -> str:
        """Names the local writer (machine, state file) of a running run, for interrupt_stale_runs."""
        return f"running on {os.uname().nodename} for {self.path.resolve()}"

    def migration_statements(self, sql: str) -> list[str]:
        return lake_statements(sql)

    def bootstrap(self, con: duckdb.DuckDBPyConnection) -> None:
        super().bootstrap(con)
        con.execute(
            "CREATE TABLE IF NOT EXISTS lake_writer (turns BIGINT NOT NULL, last_writer VARCHAR,"
            " last_at TIMESTAMPTZ)"
        )
        con.execute(
            "CREATE TABLE IF NOT EXISTS lake_reconcile (checked_id BIGINT NOT NULL, checked_at TIMESTAMPTZ)"
        )
        row = con.execute("SELECT count(*) FROM lake_writer").fetchone()
        if not row or not row[0]:
            con.execute("INSERT INTO lake_writer VALUES (0, NULL, NULL)")

    def bootstrapped(self, con: duckdb.DuckDBPyConnection) -> bool:
        return con.execute("SELECT count(*) FROM lake_writer").fetchone() != (0,)


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?",
        [name],
    ).fetchone()
    return bool(row and row[0])


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
