"""Near-duplicate index at scale: 1,000,000 stored articles (synthetic), then real inserts.

The fixture (cached in benchmarks/work/) holds 1M articles with short synthetic texts and their
32M band rows (random keys, as real MinHash bands are), indexed as migration 002 indexes them.
Measured on a fresh copy, in a child process so that its peak memory is the measurement's own:
- lookup: the band query of one article (32 keys) against the 1M-article index;
- insert: whole batches through the pipeline's insert path (`insert_with_dedup`: exact hash,
  band lookup, text verification of candidates, article row, band rows, one transaction),
  per article, for batches of 100 (the pipeline's batch) and of 1 (an article on its own);
- the index's size on disk (the band table with and without its ART index) and peak RSS.

    python -m benchmarks.bench_dedup [--quick]
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import resource
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

WORK = Path(__file__).resolve().parent / "work"


def _build(path: Path, articles: int, bands: int) -> dict[str, float]:
    """The fixture: articles and band rows by bulk SQL, the ART index created after the load."""
    import duckdb

    from storage import Store

    if path.exists():
        path.unlink()
    Store(path).migrate()
    con = duckdb.connect(str(path))
    started = time.monotonic()
    con.execute("DROP INDEX dedup_band_key")
    con.execute(
        "INSERT INTO article (id, url, canonical_url, source, title, first_seen_at, text, word_count,"
        " cluster_id, text_hash, extraction)"
        " SELECT i, 'https://bench.example/' || i, 'https://bench.example/' || i, 'source ' || (i % 200),"
        " 'title ' || i, TIMESTAMPTZ '2025-01-01' + to_seconds(i), 'synthetic article number ' || i,"
        " 3, i, md5(i::VARCHAR), 'page'"
        " FROM range(1, ? + 1) t(i)",
        [articles],
    )
    con.execute(
        "INSERT INTO dedup_band SELECT ((hash(i * 7919 + j) % 4294967296)::BIGINT - 2147483648)::INTEGER, i"
        " FROM range(1, ? + 1) t(i), range(?) u(j)",
        [articles, bands],
    )
    con.execute("CHECKPOINT")
    con.close()
    table_only = path.stat().st_size
    con = duckdb.connect(str(path))
    con.execute("CREATE INDEX dedup_band_key ON dedup_band (band_key)")
    con.execute("CHECKPOINT")
    con.close()
    return {
        "build_seconds": round(time.monotonic() - started, 1),
        "file_mb_without_band_index": round(table_only / 1e6, 1),
        "file_mb": round(path.stat().st_size / 1e6, 1),
    }


def _texts() -> list[tuple[str, str]]:
    from tests.dedup_eval import build

    return [(it.source, it.text) for it in build() if not it.is_seed]


def _measure(path: str, n_batches: int, queue: Any) -> None:
    """In a child process: lookups, then inserts through the pipeline path; peak RSS at the end."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import duckdb

    from flows.dedup import band_keys
    from flows.pipeline import insert_with_dedup
    from storage import ArticleRecord, Store
    from storage import dedup as index

    texts = _texts()
    rng = random.Random(5)
    out: dict[str, Any] = {}
    con = duckdb.connect(path)
    keys = [rng.randrange(-(2**31), 2**31) for _ in range(32 * 200)]
    index.band_members(con, keys[:32])  # the first query loads the index
    t = time.perf_counter()
    for i in range(200):
        index.band_members(con, keys[i * 32 : (i + 1) * 32])
    out["lookup_ms_one_article"] = round((time.perf_counter() - t) / 200 * 1000, 3)
    t = time.perf_counter()
    for i in range(20):
        index.band_members(con, keys[i * 320 : (i + 1) * 320])
    out["lookup_ms_per_article_in_batch_of_10"] = round((time.perf_counter() - t) / 200 * 1000, 3)
    out["duckdb_memory_after_lookups"] = con.execute(
        "SELECT memory_usage FROM pragma_database_size()"
    ).fetchone()[0]  # type: ignore[index]
    con.close()

    store = Store(path)
    serial = [0]

    def records(n: int) -> list[ArticleRecord]:
        batch = []
        for _ in range(n):
            serial[0] += 1
            source, text = texts[serial[0] % len(texts)]
            if serial[0] >= len(texts):  # later rounds: the same stories again, lightly changed
                text = text.replace(" the ", f" the{serial[0] % 7} ", 3)
            batch.append(
                ArticleRecord(
                    url=f"https://new.example/{serial[0]}",
                    canonical_url=f"https://new.example/{serial[0]}",
                    source=source,
                    title=None,
                    text=text,
                    first_seen_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=serial[0]),
                    band_keys=band_keys(text),  # computed by the analysis workers in the pipeline
                )
            )
        return batch

    for size, rounds in ((100, n_batches), (1, 50)):
        batches = [records(size) for _ in range(rounds)]
        t = time.perf_counter()
        duplicates = 0
        for b in batches:
            duplicates += sum(1 for r in insert_with_dedup(store, b) if r.duplicate_of is not None)
        per = (time.perf_counter() - t) / (size * rounds) * 1000
        out[f"insert_ms_per_article_batch_{size}"] = round(per, 3)
        out[f"duplicates_found_batch_{size}"] = f"{duplicates}/{size * rounds}"
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    queue.put(out)


def run(quick: bool = False) -> dict[str, Any]:
    articles = 100_000 if quick else 1_000_000
    WORK.mkdir(parents=True, exist_ok=True)
    fixture = WORK / f"dedup-{articles}.duckdb"
    figures: dict[str, Any] = {"stored_articles": articles, "band_rows": articles * 32}
    meta = WORK / f"dedup-{articles}.json"
    if not fixture.exists() or not meta.exists():
        meta.write_text(json.dumps(_build(fixture, articles, 32)))
    figures.update(json.loads(meta.read_text()))
    copy = WORK / f"dedup-{articles}-run.duckdb"
    shutil.copyfile(fixture, copy)
    try:
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_measure, args=(str(copy), 5 if quick else 10, queue))
        proc.start()
        figures.update(queue.get(timeout=1800))
        proc.join()
    finally:
        for p in (copy, Path(str(copy) + ".wal")):
            if p.exists():
                os.unlink(p)
    figures["target_insert_ms"] = 5.0
    figures["target_peak_rss_mb"] = 2048
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=1))
