"""The sites' page titles (migration 014): what each host's recent pages printed as their title,
from which flows/stages/reading/titles.py learns the site's affixes and slogan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from storage.database import Database


@dataclass(frozen=True)
class PageTitle:
    """One page's title as its site printed it."""

    host: str
    url: str
    seen_at: datetime
    title: str


class SiteTitlesStore(Database):
    """Reading and adding the sites' page titles; each host keeps its newest `keep` pages."""

    def site_titles(self, hosts: Sequence[str], limit: int) -> dict[str, list[PageTitle]]:
        """The newest `limit` titles of each of `hosts`, newest first."""
        out: dict[str, list[PageTitle]] = {h: [] for h in hosts}
        if not hosts:
            return out
        with self.reading() as con:
            con.register("title_hosts", pa.table({"host": pa.array(sorted(set(hosts)), pa.string())}))
            try:
                rows = con.execute(
                    "SELECT host, url, seen_at, title FROM (SELECT *, row_number() OVER"
                    " (PARTITION BY host ORDER BY seen_at DESC, url) AS n FROM site_title"
                    " WHERE host IN (SELECT host FROM title_hosts)) WHERE n <= ?"
                    " ORDER BY host, seen_at DESC, url",
                    [int(limit)],
                ).fetchall()
            finally:
                con.unregister("title_hosts")
        for host, url, seen_at, title in rows:
            out[host].append(PageTitle(host, url, seen_at, title))
        return out

    def add_site_titles(self, pages: Sequence[PageTitle], keep: int) -> None:
        """Add titles (a URL already kept for its host is replaced) and forget all but the newest
        `keep` of each host involved."""
        if not pages:
            return

        def attempt() -> None:
            with self.transaction() as con:
                write_site_titles(con, pages, keep)

        self.retrying(attempt)


def write_site_titles(con: duckdb.DuckDBPyConnection, pages: Sequence[PageTitle], keep: int) -> None:
    """`add_site_titles` inside a transaction of the caller's."""
    if not pages:
        return
    table = pa.table(
        {
            "host": pa.array([p.host for p in pages], pa.string()),
            "url": pa.array([p.url for p in pages], pa.string()),
            "seen_at": pa.array([p.seen_at for p in pages], pa.timestamp("us", tz="UTC")),
            "title": pa.array([p.title for p in pages], pa.string()),
        }
    )
    con.register("title_new", table)
    try:
        con.execute("DELETE FROM site_title WHERE (host, url) IN (SELECT host, url FROM title_new)")
        con.execute("INSERT INTO site_title SELECT host, url, seen_at, title FROM title_new")
        con.execute(
            "DELETE FROM site_title WHERE (host, url) IN (SELECT host, url FROM"
            " (SELECT host, url, row_number() OVER (PARTITION BY host ORDER BY seen_at DESC, url)"
            " AS n FROM site_title WHERE host IN (SELECT DISTINCT host FROM title_new))"
            " WHERE n > ?)",
            [int(keep)],
        )
    finally:
        con.unregister("title_new")
