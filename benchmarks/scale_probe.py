"""The writer's per-batch lookups and the per-run reads, one by one, on a copy of a bench_scale
database: wall and CPU time (this process, DuckDB's threads included), median of seven. Runs the
code on PYTHONPATH, so the same command on main and on a branch compares the two (issue 31).

    PYTHONPATH=$PWD .venv/bin/python -m benchmarks.scale_probe benchmarks/work/scale-s1-100000.duckdb
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from storage import Store
from storage import dedup as bands


def timed(name: str, fn: Callable[[], object], repeat: int = 7) -> None:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    print(f"| {name} | {statistics.median(walls):.1f} | {statistics.median(cpus):.1f} |", flush=True)


def lookups() -> tuple[Any, Any]:
    """The URL and text-hash lookups of whichever code is on the path (before issue 31: the
    string joins in storage/articles.py)."""
    try:
        from storage.keys import earliest_by_hash, stored_by_url
    except ImportError:  # main before issue 31
        from storage import articles as old

        return getattr(old, "_stored_by_url"), getattr(old, "_earliest_by_hash")  # noqa: B009
    return stored_by_url, earliest_by_hash


def not_indexed(con: duckdb.DuckDBPyConnection) -> None:
    from storage.search import index

    select = getattr(index, "_select_new", None)  # noqa: B009
    if select is not None:
        select(con, None)
    else:  # main before issue 31
        con.execute(
            "CREATE OR REPLACE TEMP TABLE nw_new AS SELECT a.id, a.title, a.text FROM article a"
            " ANTI JOIN search_doc d ON d.id = a.id"
        )


def main() -> None:
    src = Path(sys.argv[1])
    db = src.with_name("probe-" + src.name)
    shutil.copyfile(src, db)
    try:
        store = Store(db)
        store.migrate()
        by_url, by_hash = lookups()
        print("| query | wall ms | CPU ms |\n| --- | --- | --- |")
        con = duckdb.connect(str(db))
        sample = "USING SAMPLE 100 ROWS (reservoir, 7)"
        urls = [r[0] for r in con.execute(f"SELECT canonical_url FROM article {sample}").fetchall()]
        hashes = [r[0] for r in con.execute(f"SELECT text_hash FROM article {sample}").fetchall()]
        timed("URL lookup, a batch of 100", lambda: by_url(con, urls))
        timed("text-hash lookup, a batch of 100", lambda: by_hash(con, hashes, 10**12))
        timed("band lookup, 3,200 keys", lambda: bands.band_members(con, list(range(-1600, 1600))))
        timed("search update: the articles not indexed", lambda: not_indexed(con))
        sources = [f"Outlet {i:03d}" for i in range(50)]
        timed("recent articles of 50 sources", lambda: bands.recent_of_sources(con, sources, 50))
        con.close()
        now = datetime.now(UTC)
        timed("known_canonical_urls, 1,000", lambda: store.known_canonical_urls(urls * 10))
        timed("source_health (sources check)", store.source_health)
        timed("digest_articles, the last 24 h", lambda: store.digest_articles(now - timedelta(days=1), now))
    finally:
        for leftover in (db, db.with_name(db.name + ".wal")):
            leftover.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
