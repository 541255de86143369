"""Storage: the DuckDB schema, its migrations, and every SQL statement the pipeline runs."""

from storage.db import (
    ArticleRecord,
    DatabaseBusy,
    FetchLogEntry,
    InsertResult,
    PollOutcome,
    SourceState,
    StorageError,
    Store,
)

__all__ = [
    "ArticleRecord",
    "DatabaseBusy",
    "FetchLogEntry",
    "InsertResult",
    "PollOutcome",
    "SourceState",
    "Store",
    "StorageError",
]
