"""The outlets' page lines (migration 007): the hashes of the lines each source's recent pages
printed, from which flows/stages/reading/templates.py learns the source's template."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from storage.database import Database
from storage.records import PageLines

_SIGN = 1 << 63
_WRAP = 1 << 64


def _signed(key: int) -> int:
    return key - _WRAP if key >= _SIGN else key


def _unsigned(key: int) -> int:
    return key + _WRAP if key < 0 else key


class SiteTemplates(Database):
    """Reading and adding the outlets' page lines; each source keeps its newest `keep` pages."""

    def site_page_lines(self, sources: Sequence[str], limit: int) -> dict[str, list[PageLines]]:
        """The newest `limit` pages of each of `sources`, newest first."""
        out: dict[str, list[PageLines]] = {s: [] for s in sources}
        if not sources:
            return out
        with self.reading() as con:
            con.register("template_sources", pa.table({"name": pa.array(sorted(set(sources)), pa.string())}))
            try:
                rows = con.execute(
                    "SELECT source, url, seen_at, line_keys FROM (SELECT *, row_number() OVER"
                    " (PARTITION BY source ORDER BY seen_at DESC, url) AS n FROM site_page_lines"
                    " WHERE source IN (SELECT name FROM template_sources)) WHERE n <= ?"
                    " ORDER BY source, seen_at DESC, url",
                    [int(limit)],
                ).fetchall()
            finally:
                con.unregister("template_sources")
        for source, url, seen_at, keys in rows:
            out[source].append(PageLines(source, url, seen_at, tuple(_unsigned(int(k)) for k in keys)))
        return out

    def add_site_page_lines(self, pages: Sequence[PageLines], keep: int) -> None:
        """Add pages (a URL already kept for its source is replaced) and forget all but the newest
        `keep` pages of each source involved."""
        if not pages:
            return

        def attempt() -> None:
            with self.transaction() as con:
                write_site_page_lines(con, pages, keep)

        self.retrying(attempt)


def write_site_page_lines(con: duckdb.DuckDBPyConnection, pages: Sequence[PageLines], keep: int) -> None:
    """`add_site_page_lines` inside a transaction of the caller's (the ingest stores a batch's
    page lines with its articles: one connection a batch, not two)."""
    if not pages:
        return
    table = pa.table(
        {
            "source": pa.array([p.source for p in pages], pa.string()),
            "url": pa.array([p.url for p in pages], pa.string()),
            "seen_at": pa.array([p.seen_at for p in pages], pa.timestamp("us", tz="UTC")),
            "line_keys": pa.array([[_signed(k) for k in p.line_keys] for p in pages], pa.list_(pa.int64())),
        }
    )
    con.register("template_new", table)
    try:
        con.execute(
            "DELETE FROM site_page_lines WHERE (source, url) IN (SELECT source, url FROM template_new)"
        )
        con.execute("INSERT INTO site_page_lines SELECT source, url, seen_at, line_keys FROM template_new")
        con.execute(
            "DELETE FROM site_page_lines WHERE (source, url) IN (SELECT source, url FROM"
            " (SELECT source, url, row_number() OVER (PARTITION BY source ORDER BY seen_at DESC, url)"
            " AS n FROM site_page_lines WHERE source IN (SELECT DISTINCT source FROM template_new))"
            " WHERE n > ?)",
            [int(keep)],
        )
    finally:
        con.unregister("template_new")
