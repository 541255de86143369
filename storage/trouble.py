"""Which errors say the database, not the data, is at fault (classification only; no connections)."""

from __future__ import annotations

import duckdb

from storage.db import StorageError


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
