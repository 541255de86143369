"""Read-only SQL: the pipeline's ad-hoc queries and an analyst's, on connections that can change
nothing (and, for the analyst's, touch no file either)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb

from storage.database import Database


class Queries(Database):
    """`Store.query`: SQL of our own (tests, tools) on a read-only connection."""

    def query(self, sql: str, params: Sequence[Any] | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run SQL on a read-only connection, so it can change nothing."""
        with self.connect(read_only=True) as con:
            cur = con.execute(sql, params or [])
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], cur.fetchall()


@contextmanager
def locked_connection(store: Database) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection that can touch no file either: no COPY TO, ATTACH or file reads."""
    with store.connect(read_only=True) as con:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        yield con
