"""Read-only SQL: the pipeline's ad-hoc queries and an analyst's, on connections that can change
nothing (and, for the analyst's, touch no file either)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb

from storage.database import Database
from storage.errors import StorageError


class Queries(Database):
    """`Store.query`: SQL of our own (tests, tools) on a read-only connection."""

    def query(self, sql: str, params: Sequence[Any] | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run SQL on a read-only connection, so it can change nothing."""
        with self.connect(read_only=True) as con:
            cur = con.execute(sql, params or [])
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], cur.fetchall()


# SET/RESET of the session's time zone or calendar: the settings an analyst may change
_SESSION_SETTING = re.compile(
    r"^\s*(?:SET|RESET)\s+(?:SESSION\s+|LOCAL\s+)?(?:TimeZone|Calendar)\b", re.IGNORECASE
)


def session_settings(sql: str) -> tuple[list[str], str]:
    """The leading `SET TimeZone = '...'` (or Calendar) statements of `sql`, and the rest of it.

    They run before the configuration is locked, so the README's `SET TimeZone = 'Asia/Almaty';`
    works in `newswatch sql` while every other setting (file access above all) stays locked.
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error:
        return [], sql  # the parse error is reported when the query runs
    settings: list[str] = []
    for statement in statements:
        if not _SESSION_SETTING.match(statement.query):
            break
        settings.append(statement.query)
    if not settings:
        return [], sql
    return settings, ";".join(s.query for s in statements[len(settings) :])


@contextmanager
def locked_connection(
    store: Database, timezone: str = "UTC", settings: Sequence[str] = ()
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection that can touch no file either: no COPY TO, ATTACH or file reads.

    The session counts days and shows times in `timezone`, then in what `settings` (leading
    SET TimeZone statements of the analyst's SQL) says; after that the configuration is locked.
    """
    with store.connect(read_only=True) as con:
        _allow_own_files(store, con)
        con.execute("SET enable_external_access = false")
        con.execute("SET TimeZone = $tz", {"tz": timezone})
        for statement in settings:
            con.execute(statement)
        con.execute("SET lock_configuration = true")
        yield con


# --- an analyst's statements, and the files the database itself reads ---------------

# Statements that read or write files by name, or load code: never run for an analyst. On a file
# the disabled external access refuses them too; on a lake, whose data directory stays readable
# (the lake's own Parquet files), this is what keeps them out of it.
FILE_STATEMENTS = frozenset(
    {
        duckdb.StatementType.COPY,
        duckdb.StatementType.COPY_DATABASE,
        duckdb.StatementType.EXPORT,
        duckdb.StatementType.ATTACH,
        duckdb.StatementType.DETACH,
        duckdb.StatementType.LOAD,
        duckdb.StatementType.EXTENSION,
    }
)


# Statements that change the database: the connection is read-only, so DuckDB refuses them (or,
# on a view such as `articles`, fails to bind them); `read_only_refusal` tells that as what it is.
WRITE_STATEMENTS = frozenset(
    {
        duckdb.StatementType.INSERT,
        duckdb.StatementType.UPDATE,
        duckdb.StatementType.DELETE,
        duckdb.StatementType.CREATE,
        duckdb.StatementType.CREATE_FUNC,
        duckdb.StatementType.DROP,
        duckdb.StatementType.ALTER,
        duckdb.StatementType.MERGE_INTO,
    }
)
# Statements that give rows: only one result is shown (or written), so only one may be asked for
RESULT_STATEMENTS = frozenset(
    {
        duckdb.StatementType.SELECT,
        duckdb.StatementType.EXPLAIN,
        duckdb.StatementType.CALL,
        duckdb.StatementType.PRAGMA,
        duckdb.StatementType.RELATION,
    }
)
READ_ONLY = "the database is read-only here (`newswatch sql` only reads; ingest, rescore and the other commands change it)"


class EmptyQuery(StorageError):
    """The SQL holds no statement (only spaces or comments)."""


class SeveralResults(StorageError):
    """More than one statement of the SQL gives rows, and one result is shown."""


def _keyword(statement: Any) -> str:
    """The statement's own first word (INSTALL, not the LOAD type DuckDB files it under)."""
    words = statement.query.split()
    return words[0].upper() if words else statement.type.name


def _file_refusal(statement: Any) -> str:
    word = _keyword(statement)
    if statement.type in (duckdb.StatementType.LOAD, duckdb.StatementType.EXTENSION):
        why = "`newswatch sql` loads no extensions (they would reach files and the network)"
    elif statement.type in (duckdb.StatementType.ATTACH, duckdb.StatementType.DETACH):
        why = "`newswatch sql` reads this database only and opens no other file"
    else:
        why = "`newswatch sql` writes no files itself; write results with --output FILE"
    return f"{word} is not run: {why} (it is read-only and touches no files)"


def check_analyst_sql(sql: str) -> None:
    """Refuse SQL with no statement in it, with one that names files or loads code (see
    FILE_STATEMENTS), or with more than one statement that gives rows."""
    statements = duckdb.extract_statements(sql)
    if not statements:
        raise EmptyQuery("the query has no SQL statement in it (only spaces or comments)")
    for statement in statements:
        if statement.type in FILE_STATEMENTS:
            raise StorageError(_file_refusal(statement))
    results = [s for s in statements if s.type in RESULT_STATEMENTS]
    if len(results) > 1:
        raise SeveralResults(
            f"{len(results)} statements return rows, and one result is shown: run them one at a time"
            " (statements before the one that gives rows, such as CREATE TEMP TABLE, are fine)"
        )


def read_only_refusal(sql: str, exc: BaseException) -> str | None:
    """What a failed statement tried, when it failed because the database is read-only here."""
    text = str(exc)
    markers = (
        "read-only mode",
        "Can only update base table",
        "Can only delete from base table",
        "is not an table",
    )
    if not any(m in text for m in markers):
        return None
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error:
        return None
    word = next((_keyword(s) for s in statements if s.type in WRITE_STATEMENTS), None)
    return f"{word} is not run: {READ_ONLY}" if word else None


def _allow_own_files(store: Database, con: duckdb.DuckDBPyConnection) -> None:
    """Let the connection read the directories the database keeps its own data in (a lake's
    Parquet files), before external access is turned off for everything else."""
    directories = store.own_directories(con)
    if directories:
        listed = ", ".join("'" + d.replace("'", "''") + "'" for d in directories)
        con.execute(f"SET allowed_directories = [{listed}]")
