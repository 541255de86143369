"""Storage: the DuckDB schema, its migrations, and every SQL statement the pipeline runs."""

from storage.errors import DatabaseBusy, StorageError
from storage.records import ArticleRecord, FetchLogEntry, InsertResult, PollOutcome, SourceState
from storage.store import Store

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
