"""Storage: the DuckDB schema, its migrations, and every SQL statement the pipeline runs.

The names below are imported on first use: the analysis workers need only the records, and
DuckDB with pyarrow would cost each of them about 70 MB.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from storage.records import ArticleRecord, FetchLogEntry, InsertResult, PollOutcome, SourceState

if TYPE_CHECKING:
    from storage.errors import DatabaseBusy, StorageError
    from storage.store import Store

_LAZY = {"DatabaseBusy": "storage.errors", "StorageError": "storage.errors", "Store": "storage.store"}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'storage' has no attribute {name!r}")
