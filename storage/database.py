"""The connection and transaction layer every statement goes through: opening the DuckDB file
(waiting while another process holds it), short connections, transactions, and the one place
a whole transaction is run again (`retrying`; a file has nothing to retry, the lake does).

Connections are short: DuckDB lets one process hold the file read-write and nobody else in,
so an analyst's session must be able to get in between our writes.

The domain modules (storage/articles.py, sources.py, runs.py, ...) use only `connect`,
`transaction`, `retrying`, `unguarded` and the few hooks below; the lake (storage/lake.py)
overrides this layer and nothing else.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import duckdb
import pyarrow as pa

from storage.errors import DatabaseBusy, StorageError

T = TypeVar("T")


class _Absent(importlib.abc.MetaPathFinder):
    """Fails the import of modules known not to be installed, before the import path is searched."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


_ABSENT = _Absent()


def remember_absent(module: str) -> bool:
    """Make a failed import of `module` cheap to repeat, when it is not installed: true if so.

    DuckDB's Python client tries `import pandas` for every value of a list parameter; without
    pandas each try searches the whole import path again, 0.2 ms a value (630 ms for a list of
    3,000 keys; 120 ms once the absence is remembered). The import still fails as it would, at
    once. (A None in sys.modules would do the same for Python, but pyarrow takes it for pandas.)"""
    if module in _ABSENT.names:
        return True
    if module in sys.modules or importlib.util.find_spec(module) is not None:
        return False
    _ABSENT.names.add(module)
    if _ABSENT not in sys.meta_path:
        sys.meta_path.insert(0, _ABSENT)
    return True


remember_absent("pandas")


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    """`table` readable as `name` in `con`'s statements inside, and unregistered after. An Arrow
    table joined is how a statement takes thousands of values: as a list parameter each value
    costs a conversion (and a try at importing pandas, see remember_absent)."""
    con.register(name, table)
    try:
        yield
    finally:
        con.unregister(name)


LOCK_MARKERS = ("Could not set lock", "Conflicting lock", "database is locked")


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


class Database:
    """A DuckDB file. Holds a path, not a connection: each operation opens and closes one."""

    # Hooks for the domain modules, where a lake needs other SQL than a file (storage/lake.py):
    many_writers = False  # several machines write this database at once
    where = ""  # said after "failed" in a migration's error: where it failed

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
        self._pinned = threading.local()  # this thread's one connection: pinned_reads, pinned_writes

    # --- connections -------------------------------------------------------------------------

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        _check_database_file(self.path)
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
        pinned = getattr(self._pinned, "writer", None)
        if pinned is None and read_only:
            pinned = getattr(self._pinned, "con", None)
        con = self._cursor(pinned) if pinned is not None else self._open(read_only)
        try:
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def pinned_reads(self) -> Iterator[None]:
        """Inside, on this thread, every read-only `connect` is a cursor of one read-only
        connection, opened on entry and closed on exit: a web page's dozen reads open the file
        once (about 10 ms at 100,000 articles) and hold it for as short as the page takes."""
        if getattr(self._pinned, "con", None) is not None:
            yield
            return
        self._pinned.con = self._reader()
        try:
            yield
        finally:
            con, self._pinned.con = self._pinned.con, None
            con.close()

    @contextlib.contextmanager
    def pinned_writes(self) -> Iterator[None]:
        """Inside, on this thread, every `connect`, read or write, is a cursor of one read-write
        connection, opened on entry and closed on exit: an ingest batch's transactions (its
        articles, their stories, its sites' titles) open the file once, not four times; each open
        cost 25 ms at 1,000 articles, and each close a checkpoint. Each transaction still commits
        on its own, and the file is held no longer than the batch takes to store."""
        if getattr(self._pinned, "writer", None) is not None:
            yield
            return
        con = self._open(read_only=False)
        try:
            con.execute("SET GLOBAL TimeZone = 'UTC'")  # the cursors are sessions of their own
            self._pinned.writer = con
            yield
        finally:
            self._pinned.writer = None
            con.close()

    def _reader(self) -> duckdb.DuckDBPyConnection:
        """The connection `pinned_reads` holds: a read-only open of the file (the lake's: a cursor
        of its long-lived read-only attach, storage/lake.py). Its cursors are new sessions, so the
        time zone is set for all of them. One thread: a page's queries are small, and a second
        thread costs more than it saves (a year of coverage at 100,000 articles: 67 ms of CPU
        against 137 ms, and less wall time too on two busy cores; the search does the same)."""
        con = self._open(read_only=True)
        con.execute("SET GLOBAL TimeZone = 'UTC'")
        con.execute("SET threads = 1")
        return con

    def _cursor(self, pinned: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        """A cursor of the pinned connection (a session of its own, closed after each use)."""
        return pinned.cursor()

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

    @contextlib.contextmanager
    def unguarded(self) -> Iterator[None]:
        """Transactions that only append, or only touch rows no id or uniqueness depends on.
        Nothing to guard on a file (one writer); the lake skips its writer turn for them."""
        yield

    def is_retryable(self, exc: BaseException) -> bool:
        """An error after which `retrying` runs the transaction again: none on a file."""
        return False

    # --- hooks: what a lake does in other SQL ---------------------------------------------------

    @contextlib.contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for the pipeline's own short reads: read-only on a file."""
        with self.connect(read_only=True) as con:
            yield con

    def own_directories(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        """Directories this database reads its own data from besides its file: none for a file."""
        return []

    def created(self) -> bool:
        """Whether the database exists yet (a store not yet migrated has no seed corpus)."""
        return self.path.exists()

    def next_id(self, con: duckdb.DuckDBPyConnection, table: str) -> int:
        """The id for a new row of `table` (`run`): the file's sequence gives it."""
        row = con.execute(f"SELECT nextval('{table}_id_seq')").fetchone()
        assert row is not None
        return int(row[0])

    def run_tag(self) -> str | None:
        """The message a running run carries, naming its writer (the lake's); None on a file,
        whose running runs are all this machine's."""
        return None

    def migration_statements(self, sql: str) -> list[str]:
        """A migration's SQL as this database takes it: whole, on a file."""
        return [sql]

    def bootstrap(self, con: duckdb.DuckDBPyConnection) -> None:
        """The bookkeeping tables the migrations need first."""
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )

    def bootstrapped(self, con: duckdb.DuckDBPyConnection) -> bool:
        """Whether `bootstrap` has run (given that schema_migrations exists)."""
        return True


# --- a path that is not a DuckDB database ------------------------------------------


def _check_database_file(path: Path) -> None:
    """Refuse a directory or a file that is not a DuckDB database (DuckDB would read a CSV file
    as a database, or say "Cannot launch in-memory database in read-only mode")."""
    if path.is_dir():
        raise StorageError(
            f"{path} is a directory: name the database file in it, e.g. {path / 'newswatch.duckdb'}"
        )
    try:
        with path.open("rb") as f:
            head = f.read(12)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"{path}: cannot read the database: {exc.strerror}") from exc
    if head and head[8:12] != b"DUCK":
        raise StorageError(
            f"{path} is not a DuckDB database: give --db (or NEWSWATCH_DB) the newswatch database file,"
            " e.g. storage/newswatch.duckdb"
        )
