"""An analyst's read-only SQL (`newswatch sql`) and exports (`newswatch export`): a query's result
as rows, or as csv, json or parquet, and the `articles` view written the same way."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import duckdb

from storage.database import Database
from storage.errors import StorageError
from storage.queries import locked_connection, session_settings

FORMATS = {
    "csv": "FORMAT csv, HEADER true",
    "json": "FORMAT json, ARRAY true",
    "jsonl": "FORMAT json",
    "parquet": "FORMAT parquet, COMPRESSION zstd",
}


def query(store: Database, sql: str, timezone: str = "UTC") -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run an analyst's SQL; the connection cannot change the database or write files.
    Days and times are in `timezone` unless the SQL starts with its own `SET TimeZone`."""
    settings, sql = session_settings(sql)
    with locked_connection(store, timezone, settings) as con:
        if settings and not sql.strip():
            return [], []
        cur = con.execute(sql)
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()


def _write(reader: Any, fmt: str, out: Path | BinaryIO) -> None:
    """Write an Arrow stream with a separate in-memory DuckDB, the only one allowed to write files."""
    if fmt not in FORMATS:
        raise StorageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    writer = duckdb.connect()
    try:
        writer.execute("SET autoinstall_known_extensions = false")
        writer.execute("SET TimeZone = 'UTC'")  # csv and json write times as the store reads them
        writer.register("result", reader)
        if isinstance(out, Path):
            writer.execute(f"COPY result TO '{_quote(str(out))}' ({FORMATS[fmt]})")
            return
        with tempfile.TemporaryDirectory(prefix="newswatch-") as tmp:
            path = Path(tmp) / f"result.{fmt}"
            writer.execute(f"COPY result TO '{_quote(str(path))}' ({FORMATS[fmt]})")
            with path.open("rb") as f:
                shutil.copyfileobj(f, out)
    finally:
        writer.close()


def _check_output(out: Path | None) -> None:
    if out is not None and not out.parent.is_dir():
        raise StorageError(f"{out}: no such directory {out.parent} (create it, or choose another path)")
    if out is not None and out.is_dir():
        raise StorageError(f"{out} is a directory: give the path of the file to write")


def write_query(store: Database, sql: str, fmt: str, out: Path | None, timezone: str = "UTC") -> int:
    """Run an analyst's SQL read-only and write its result as csv, json or parquet; returns rows."""
    _check_output(out)
    settings, sql = session_settings(sql)
    with locked_connection(store, timezone, settings) as con:
        cur = con.execute(sql)
        if cur.description is None:
            raise StorageError("the statement returns no rows to write")
        reader = cur.to_arrow_reader()
        counted = _Counting(reader)
        _write(counted.reader(), fmt, out if out is not None else sys.stdout.buffer)
        return counted.rows


def export_articles(
    store: Database, fmt: str, out: Path | BinaryIO, since: date | None = None, region: str | None = None
) -> int:
    """The `articles` view (articles dated `since` or later: a datetime is an instant, a date
    00:00 UTC; undated seeds are never "since"; with `region`, an ISO 3166-2 code, those whose
    places hold it), oldest first; returns rows."""
    _check_output(out if isinstance(out, Path) else None)
    conditions: list[str] = []
    params: dict[str, object] = {}
    if since is not None:
        conditions.append(
            "coalesce(published_at, CASE WHEN is_seed THEN NULL ELSE first_seen_at END) >= $since"
        )
        params["since"] = (
            since if isinstance(since, datetime) else datetime(since.year, since.month, since.day, tzinfo=UTC)
        )
    if region is not None:
        conditions.append("list_contains(places, $region)")
        params["region"] = region
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    with locked_connection(store) as con:
        cur = con.execute(
            f"SELECT * FROM articles {where} ORDER BY coalesce(published_at, first_seen_at), id", params
        )
        counted = _Counting(cur.to_arrow_reader())
        _write(counted.reader(), fmt, out)
        return counted.rows


class _Counting:
    """Counts the rows of an Arrow stream as the writer consumes it."""

    def __init__(self, reader: Any) -> None:
        self._source = reader
        self.rows = 0

    def reader(self) -> Any:
        import pyarrow as pa

        def batches() -> Iterator[Any]:
            for batch in self._source:
                self.rows += batch.num_rows
                yield batch

        return pa.RecordBatchReader.from_batches(self._source.schema, batches())


def _quote(text: str) -> str:
    return text.replace("'", "''")
