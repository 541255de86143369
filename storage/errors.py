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
