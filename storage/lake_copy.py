"""Copying a DuckDB file into the lake (`newswatch migrate --to ducklake`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from storage.errors import StorageError
from storage.keys import fill_missing
from storage.lake import ALIAS, LakeStore, has_table, quote

# Tables copied by `newswatch migrate --to ducklake`, in this order; others are left out.
COPY_ORDER = (
    "source",
    "run",
    "article",
    "article_revision",
    "article_place",
    "fetch_log",
    "dedup_band",
    "dedup_state",
    "story_link",
    "story_evidence",
    "digest",
    "search_posting",
    "search_delta",
    "search_doc",
    "search_state",
    "search_word",
    "source_cursor",
    "watch_hit",
    "watch_delivery",
    "site_page_lines",
    "site_title",
)


def copy_file_into(store: LakeStore, db_file: Path, force: bool = False) -> dict[str, int]:
    """Copy every table of a DuckDB file (already migrated to our schema) into the lake, in one
    guarded transaction; refuses a lake that already holds articles unless `force`."""
    src = "nw_src_" + hashlib.blake2b(str(db_file.resolve()).encode(), digest_size=4).hexdigest()

    def attempt() -> dict[str, int]:
        copied: dict[str, int] = {}
        with store.transaction() as con:
            row = con.execute("SELECT count(*) FROM article").fetchone()
            if row and row[0] and not force:
                raise StorageError(
                    f"the lake already holds {row[0]} articles; copying {db_file} would mix two histories"
                    " (use --force to add its rows anyway: canonical URLs already in the lake are skipped)"
                )
            src_tables = {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [src]
                ).fetchall()
            }
            for table in COPY_ORDER:
                if table not in src_tables or not has_table(con, table):
                    continue
                cols = [
                    r[0]
                    for r in con.execute(
                        "SELECT l.column_name FROM duckdb_columns() l JOIN duckdb_columns() s"
                        " ON s.column_name = l.column_name AND s.table_name = l.table_name"
                        " WHERE l.database_name = ? AND s.database_name = ? AND l.table_name = ?"
                        " ORDER BY l.column_index",
                        [ALIAS, src, table],
                    ).fetchall()
                ]
                names = ", ".join(f'"{c}"' for c in cols)
                where = ""
                if table == "article" and force:
                    where = " WHERE canonical_url NOT IN (SELECT canonical_url FROM article)"
                order = " ORDER BY id" if table in ("article", "run") else ""
                cur = con.execute(
                    f"INSERT INTO {table} ({names}) SELECT {names} FROM {src}.main.{table}{where}{order}"
                )
                done = cur.fetchone()
                copied[table] = int(done[0]) if done else 0
            if has_table(con, "article_key"):
                fill_missing(con)  # the copied articles' keys (migration 017)
        return copied

    with store.connect() as con:
        con.execute(f"ATTACH '{quote(str(db_file))}' AS {src} (READ_ONLY)")
        try:
            return store.retrying(attempt)
        finally:
            con.execute(f"DETACH {src}")
