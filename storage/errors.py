"""The errors storage raises for the CLI to report as messages."""

from __future__ import annotations

import duckdb

# What DuckDB raises, for a caller that reports a database failure instead of failing with it
# (so that no module outside storage/ needs duckdb itself).
DatabaseError = duckdb.Error


class StorageError(Exception):
    """A database problem the CLI reports as a message."""


class DatabaseBusy(StorageError):
    """Another process holds the database file for longer than we were willing to wait."""


def database_trouble(exc: Exception) -> bool:
    """Errors that say the database, not the batch, is at fault: the batch waits for a later run."""
    return isinstance(
        exc,
        StorageError  # cannot open it, or a lake that kept conflicting
        | duckdb.IOException
        | duckdb.OutOfMemoryException
        | duckdb.FatalException
        | duckdb.InternalException
        | duckdb.TransactionException,
    )
