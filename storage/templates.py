"""The sites' page lines (migrations 007, 013): the hashes of the lines each site's recent pages
printed, whatever source brought them, from which flows/stages/reading/templates.py learns the
site's template. One table for every source and, in a lake, every shard (it is in the catalog)."""

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
    """Reading and adding the sites' page lines; each site keeps its newest `keep` pages."""

    def site_page_lines(self, sites: Sequence[str], limit: int) -> dict[str, list[PageLines]]:
        """The newest `limit` pages of each of `sites`, newest first."""
        out: dict[str, list[PageLines]] = {s: [] for s in sites}
        if not sites:
            return out
        with self.reading() as con:
            con.register("template_sites", pa.table({"name": pa.array(sorted(set(sites)), pa.string())}))
            try:
                rows = con.execute(
                    "SELECT site, url, seen_at, line_keys FROM (SELECT *, row_number() OVER"
                    " (PARTITION BY site ORDER BY seen_at DESC, url) AS n FROM site_page_lines"
                    " WHERE site IN (SELECT name FROM template_sites)) WHERE n <= ?"
                    " ORDER BY site, seen_at DESC, url",
                    [int(limit)],
                ).fetchall()
            finally:
                con.unregister("template_sites")
        for site, url, seen_at, keys in rows:
            out[site].append(PageLines(site, url, seen_at, tuple(_unsigned(int(k)) for k in keys)))
        return out

    def add_site_page_lines(self, pages: Sequence[PageLines], keep: int) -> None:
        """Add pages (a URL already kept for its site is replaced) and forget all but the newest
        `keep` pages of each site involved."""
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
            "site": pa.array([p.site for p in pages], pa.string()),
            "url": pa.array([p.url for p in pages], pa.string()),
            "seen_at": pa.array([p.seen_at for p in pages], pa.timestamp("us", tz="UTC")),
            "line_keys": pa.array([[_signed(k) for k in p.line_keys] for p in pages], pa.list_(pa.int64())),
        }
    )
    con.register("template_new", table)
    try:
        con.execute("DELETE FROM site_page_lines WHERE (site, url) IN (SELECT site, url FROM template_new)")
        con.execute("INSERT INTO site_page_lines SELECT site, url, seen_at, line_keys FROM template_new")
        con.execute(
            "DELETE FROM site_page_lines WHERE (site, url) IN (SELECT site, url FROM"
            " (SELECT site, url, row_number() OVER (PARTITION BY site ORDER BY seen_at DESC, url)"
            " AS n FROM site_page_lines WHERE site IN (SELECT DISTINCT site FROM template_new))"
            " WHERE n > ?)",
            [int(keep)],
        )
    finally:
        con.unregister("template_new")
