"""Near-duplicate index at scale: 1,000,000 stored articles (synthetic), then real inserts.

The fixture (cached in benchmarks/work/) holds 1M articles with short synthetic texts and their
32M band rows (random keys, as real MinHash bands are), as migration 002 stores them (no index).
Measured on a fresh copy, in a child process so that its peak memory is the measurement's own:
- lookup: the band query of one article (32 keys) and of a batch of 100 (3,200 keys);
- insert: whole batches through the pipeline's insert path (`insert_with_dedup`: a connection
  opened and closed (checkpointed) per batch, URL and text-hash checks, band lookup, text
  verification of candidates, article rows, band rows, one transaction), per article, for
  batches of 100 (the pipeline's batch) and of 1 (an article on its own), in wall-clock and in
  CPU time (this process and DuckDB's threads; on a loaded machine wall-clock time inflates);
- the file's size, peak RSS and the load average (1 min) before and after;
- `dedup --rebuild` per article, over 10,000 realistic texts (2,000 with --quick);
- the story linking's share of the inserts (flows/pipeline/stories.py, run by `insert_with_dedup`
  after each batch), per article, wall-clock and CPU: its reads cover the linking's window only.

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
    """The fixture: articles and band rows by bulk SQL, in the schema the migrations make."""
    import duckdb

    from storage import Store

    if path.exists():
        path.unlink()
    Store(path).migrate()
    con = duckdb.connect(str(path))
    started = time.monotonic()
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
    return {
        "build_seconds": round(time.monotonic() - started, 1),
        "file_mb": round(path.stat().st_size / 1e6, 1),
    }


def _texts() -> list[tuple[str, str]]:
    from tests.dedup_eval import build

    return [(it.source, it.text) for it in build() if not it.is_seed]


def _measure(path: str, n_batches: int, queue: Any) -> None:
    """In a child process: lookups, then inserts through the pipeline path; peak RSS at the end."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import duckdb

    import flows.pipeline.insert as insert_module
    from flows.pipeline.insert import insert_with_dedup
    from flows.stages.stories.dedup import band_keys
    from storage import ArticleRecord, Store
    from storage import dedup as index

    linking = [0.0, 0.0]  # wall-clock and CPU seconds spent linking stories
    link_new_clusters = insert_module.link_new_clusters

    def timed_linking(store: Store, results: Any) -> Any:
        t, cpu = time.perf_counter(), time.process_time()
        try:
            return link_new_clusters(store, results)
        finally:
            linking[0] += time.perf_counter() - t
            linking[1] += time.process_time() - cpu

    insert_module.link_new_clusters = timed_linking  # type: ignore[assignment]
    texts = _texts()
    rng = random.Random(5)
    out: dict[str, Any] = {"load_average_before": round(os.getloadavg()[0], 2)}
    con = duckdb.connect(path)
    keys = [rng.randrange(-(2**31), 2**31) for _ in range(32 * 400)]
    index.band_members(con, keys[:32])  # the first query reads the table in
    for name, size, rounds in (("one_article", 32, 20), ("per_article_in_batch_of_100", 3200, 4)):
        t, cpu = time.perf_counter(), time.process_time()
        for i in range(rounds):
            index.band_members(con, keys[i * size : (i + 1) * size])
        articles = rounds * size // 32
        out[f"lookup_ms_{name}"] = round((time.perf_counter() - t) / articles * 1000, 3)
        out[f"lookup_cpu_ms_{name}"] = round((time.process_time() - cpu) / articles * 1000, 3)
    con.close()

    store = Store(path)
    store.migrate()  # as every ingest does first: a fixture built by an older schema catches up
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

    for size, rounds in ((100, n_batches), (1, 30)):
        batches = [records(size) for _ in range(rounds)]
        linking[0] = linking[1] = 0.0
        t, cpu = time.perf_counter(), time.process_time()
        duplicates = 0
        for b in batches:
            duplicates += sum(1 for r in insert_with_dedup(store, b) if r.duplicate_of is not None)
        per = (time.perf_counter() - t) / (size * rounds) * 1000
        out[f"insert_ms_per_article_batch_{size}"] = round(per, 3)
        out[f"insert_cpu_ms_per_article_batch_{size}"] = round(
            (time.process_time() - cpu) / (size * rounds) * 1000, 3
        )
        out[f"duplicates_found_batch_{size}"] = f"{duplicates}/{size * rounds}"
        out[f"story_linking_ms_per_article_batch_{size}"] = round(linking[0] / (size * rounds) * 1000, 3)
        out[f"story_linking_cpu_ms_per_article_batch_{size}"] = round(linking[1] / (size * rounds) * 1000, 3)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["file_mb_after"] = round(Path(path).stat().st_size / 1e6, 1)
    out["load_average_after"] = round(os.getloadavg()[0], 2)
    queue.put(out)


def _rebuild_speed(path: str, articles: int, queue: Any) -> None:
    """In a child process: `dedup --rebuild` over `articles` realistic texts (the labelled set's,
    varied), stored first through the pipeline's insert path."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from flows.pipeline.insert import insert_with_dedup
    from flows.pipeline.rebuild import rebuild
    from flows.stages.stories.dedup import band_keys
    from storage import ArticleRecord, Store

    texts = _texts()
    store = Store(path)
    store.migrate()
    for start in range(0, articles, 100):
        batch = []
        for i in range(start, min(start + 100, articles)):
            source, text = texts[i % len(texts)]
            text = text.replace(" the ", f" the{i // len(texts)} ", 1 + i % 5)
            batch.append(
                ArticleRecord(
                    url=f"https://r.example/{i}",
                    canonical_url=f"https://r.example/{i}",
                    source=source,
                    title=None,
                    text=text,
                    first_seen_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i),
                    band_keys=band_keys(text),
                )
            )
        insert_with_dedup(store, batch)
    t = time.perf_counter()
    done = rebuild(store)
    seconds = time.perf_counter() - t
    queue.put(
        {
            "rebuild_articles": done.articles,
            "rebuild_ms_per_article": round(seconds / done.articles * 1000, 3),
            "rebuild_stories": done.clusters,
            "rebuild_load_average": round(os.getloadavg()[0], 2),
        }
    )


def _in_child(target: Any, db: Path, size: int) -> dict[str, Any]:
    """`target(db, size, queue)` in a new process (its peak memory is its own); the figures it
    puts on the queue. The database and its WAL are removed afterwards."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    try:
        proc = ctx.Process(target=target, args=(str(db), size, queue))
        proc.start()
        figures: dict[str, Any] = queue.get(timeout=1800)
        proc.join()
        return figures
    finally:
        for p in (db, Path(str(db) + ".wal")):
            if p.exists():
                os.unlink(p)


def run(quick: bool = False) -> dict[str, Any]:
    articles = 100_000 if quick else 1_000_000
    WORK.mkdir(parents=True, exist_ok=True)
    fixture = WORK / f"dedup-v2-{articles}.duckdb"  # v2: no ART index on the band keys
    figures: dict[str, Any] = {"stored_articles": articles, "band_rows": articles * 32}
    meta = WORK / f"dedup-v2-{articles}.json"
    if not fixture.exists() or not meta.exists():
        meta.write_text(json.dumps(_build(fixture, articles, 32)))
    figures.update(json.loads(meta.read_text()))
    copy = WORK / f"dedup-{articles}-run.duckdb"
    shutil.copyfile(fixture, copy)
    figures.update(_in_child(_measure, copy, 5 if quick else 10))
    figures.update(_in_child(_rebuild_speed, WORK / "dedup-rebuild.duckdb", 2_000 if quick else 10_000))
    figures["target_insert_ms"] = 5.0
    figures["target_peak_rss_mb"] = 2048
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=1))
