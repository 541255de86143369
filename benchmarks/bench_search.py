"""Search at scale: query latency at 1,000,000 articles and the cost of keeping the
index current after an ingest of 1,000 new articles.

The corpus is synthetic: words drawn with a Zipf-like law from made-up Latin, Cyrillic and
Kazakh vocabularies and from 3,000 CJK characters (en 50 %, ru 32 %, zh 10 %, kk 8 %),
60 to 400 words an article. Generated in SQL, indexed once, and cached under benchmarks/work/
(about 4 GB at full size); each run works on a copy, so the cache stays as built.

    .venv/bin/python -m benchmarks.bench_search [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from storage import Store
from storage import search as fts

WORK = Path(__file__).resolve().parent / "work"
GENERATOR = "g2"  # bump when the corpus generator changes: the cache is rebuilt
VOCAB = 60_000
CHUNK = 50_000
INGEST = 1_000

_SYLLABLES = """
CREATE OR REPLACE TEMP TABLE syl AS SELECT * FROM (VALUES (
 ['ka','za','kh','stan','ro','gun','dam','an','ta','ne','li','mo','ver','sha','pu','tin','xi','bei',
  'jing','tra','de','gas','oil','pi','pe','line','bor','der','vo','te','min','is','ter','se','cu','ri',
  'ty','wa','po','wer'],
 ['ка','за','хс','тан','ро','гун','да','ан','та','не','ли','мо','вер','ша','пу','тин','си','пе','кин',
  'тор','го','газ','неф','ть','тру','ба','гра','ни','ца','вы','бо','ры','ми','нис','тр','бе','зо','пас',
  'ност','во'],
 ['қа','зақ','стан','ның','ұл','ттық','ә','кім','дік','ө','нер','кә','сіп','ү','кі','мет','ға','ба',
  'ғы','да','жә','не','са','яси','ел','ші','лік'])) t(lat, cyr, kaz)
"""

_VOCAB = f"""
CREATE OR REPLACE TEMP TABLE vocab AS
SELECT i,
  s.lat[1 + (hash(i, 1) % len(s.lat))::INT] || s.lat[1 + (hash(i, 2) % len(s.lat))::INT]
    || CASE WHEN i % 3 = 0 THEN s.lat[1 + (hash(i, 3) % len(s.lat))::INT] ELSE '' END AS lat,
  s.cyr[1 + (hash(i, 1) % len(s.cyr))::INT] || s.cyr[1 + (hash(i, 2) % len(s.cyr))::INT]
    || CASE WHEN i % 3 = 0 THEN s.cyr[1 + (hash(i, 3) % len(s.cyr))::INT] ELSE '' END
    || ['', 'а', 'ы', 'ой', 'ов', 'ами', 'е', 'ом'][1 + (hash(i, 4) % 8)::INT] AS cyr,
  s.kaz[1 + (hash(i, 1) % len(s.kaz))::INT] || s.kaz[1 + (hash(i, 2) % len(s.kaz))::INT]
    || ['', 'ның', 'ға', 'да', 'тың', 'лар'][1 + (hash(i, 4) % 6)::INT] AS kaz,
  chr(19968 + (hash(i, 5) % 3000)::INT)
    || CASE WHEN i % 2 = 0 THEN chr(19968 + (hash(i, 6) % 3000)::INT) ELSE '' END AS han
FROM range({VOCAB}) r(i), syl s
"""

# Articles [lo, hi): word k of article id is vocabulary entry floor(VOCAB ** u) - 1, u uniform.
_ARTICLES = """
INSERT INTO article BY NAME
WITH d AS (
    SELECT id,
           CASE WHEN hash(id, 7) % 100 < 50 THEN 'en' WHEN hash(id, 7) % 100 < 82 THEN 'ru'
                WHEN hash(id, 7) % 100 < 92 THEN 'zh' ELSE 'kk' END AS lang,
           (60 + hash(id, 8) % 340)::INT AS n
    FROM range({lo}, {hi}) r(id)
),
w AS (
    SELECT d.id, d.lang, k, (floor(pow({vocab}, random()))::INT - 1) AS wi
    FROM d, range(400) r(k) WHERE k < d.n
),
ww AS (
    SELECT w.id, w.lang, w.k,
           CASE w.lang WHEN 'en' THEN v.lat WHEN 'ru' THEN v.cyr WHEN 'zh' THEN v.han
                ELSE CASE WHEN w.wi % 2 = 0 THEN v.kaz ELSE v.cyr END END AS word
    FROM w JOIN vocab v ON v.i = w.wi
),
txt AS (
    SELECT id, any_value(lang) AS lang,
           trim(string_agg(word || CASE WHEN lang = 'zh' THEN '' ELSE ' ' END, '' ORDER BY k)
                FILTER (WHERE k < 8)) AS title,
           trim(string_agg(word || CASE WHEN lang = 'zh' THEN (CASE WHEN k % 12 = 11 THEN '。' ELSE '' END)
                                   ELSE (CASE WHEN k % 15 = 14 THEN '. ' ELSE ' ' END) END, '' ORDER BY k)) AS text,
           count(*) AS words
    FROM ww GROUP BY id
)
SELECT id, 'https://outlet' || (id % 60) || '.example/a/' || id AS url,
       'https://outlet' || (id % 60) || '.example/a/' || id AS canonical_url,
       'outlet' || (id % 60) AS source, title, text, words AS word_count, lang AS language,
       TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(id % 31536000) AS published_at,
       TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(id % 31536000) AS first_seen_at,
       false AS is_seed, (hash(id, 9) % 100) / 100.0 AS relevance, hash(id, 9) % 100 >= 60 AS is_relevant,
       [['KZ', 'KG', 'TJ', 'TM', 'UZ'][1 + (hash(id, 10) % 5)::INT]] AS countries,
       CASE WHEN id % 5 = 0 THEN id - 1 ELSE id END AS cluster_id,
       CASE WHEN id % 5 = 0 THEN id - 1 END AS duplicate_of,
       'page' AS extraction
FROM txt
"""


def _generate(store: Store, lo: int, hi: int, log: Any = None) -> None:
    with store.connect() as con:
        con.execute("SELECT setseed(0.42)")
        con.execute(_SYLLABLES)
        con.execute(_VOCAB)
        started = time.monotonic()
        for start in range(lo, hi, CHUNK):
            con.execute(_ARTICLES.format(lo=start, hi=min(hi, start + CHUNK), vocab=VOCAB))
            if log:
                log(f"  articles {min(hi, start + CHUNK) - 1:,} ({time.monotonic() - started:.0f} s)")


def corpus(n: int, log: Any = None) -> tuple[Path, dict[str, float]]:
    """The cached, indexed corpus of n articles (ids 1..n); generated and indexed on first use,
    indexed again when the index format has changed."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"search-{GENERATOR}-{n}.duckdb"
    meta = path.with_suffix(".json")
    built: dict[str, float] = json.loads(meta.read_text()) if path.exists() and meta.exists() else {}
    store = Store(path)
    if "generate_s" not in built:
        for old in WORK.glob(f"search-*-{n}.*"):
            old.unlink()
        store.migrate()
        started = time.monotonic()
        _generate(store, 1, n + 1, log)
        built = {"generate_s": round(time.monotonic() - started, 1)}
        meta.write_text(json.dumps(built))
    store.migrate()
    if "index_build_s" not in built or fts.index_status(store).stale:
        if log:
            log("  building the search index")
        built["index_build_s"] = round(fts.rebuild_index(store).seconds, 1)
        meta.write_text(json.dumps(built))
    return path, built


def _timed_search(store: Store, terms: str, repeat: int, **filters: Any) -> dict[str, float]:
    """Wall and CPU time (this process, every thread) of one library call, as `newswatch
    search` makes it: each call opens the file, so every call starts from a cold buffer pool."""
    times, cpu, hits = [], [], 0
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        hits = len(fts.search(store, fts.SearchRequest(terms, limit=20, **filters)))
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(times[-1], 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "hits": hits,
    }


def _queries(store: Store) -> dict[str, str]:
    """Two-word queries of a rare, a middling and a very common pair of words, per language."""
    with store.connect() as con:
        con.execute(_SYLLABLES)
        con.execute(_VOCAB)
        row = con.execute(
            "SELECT list(lat ORDER BY i), list(cyr ORDER BY i), list(kaz ORDER BY i), list(han ORDER BY i)"
            " FROM vocab WHERE i IN (0, 3, 120, 400, 9000, 20000)"
        ).fetchone()
    assert row is not None
    lat, cyr, kaz, han = row
    return {
        "en rare": f"{lat[4]} {lat[5]}",
        "en middling": f"{lat[2]} {lat[3]}",
        "en common": f"{lat[0]} {lat[1]}",
        "ru middling": f"{cyr[2]} {cyr[3]}",
        "kk middling": f"{kaz[2]} {kaz[3]}",
        "zh middling": f"{han[2]}{han[3]}",
    }


def run(quick: bool = False, log: Any = None) -> dict[str, Any]:
    """Search latency and index-update cost; quick: 20,000 articles instead of 1,000,000."""
    n = 20_000 if quick else 1_000_000
    say = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    say(f"search: corpus of {n:,} articles (cached under {WORK})")
    cached, built = corpus(n, say)
    copy = WORK / f"run-{cached.name}"
    shutil.copyfile(cached, copy)
    try:
        store = Store(copy)
        status = fts.index_status(store)
        result: dict[str, Any] = {
            "articles": status.articles,
            "postings": status.sorted_rows + status.delta_rows,
            **built,
            "db_mb": round(cached.stat().st_size / 2**20),
        }
        queries = _queries(store)
        fts.search(store, fts.SearchRequest(queries["en middling"]))  # warm the file cache
        result["load_average_before"] = round(os.getloadavg()[0], 2)
        result["search"] = {name: {"q": q, **_timed_search(store, q, 7)} for name, q in queries.items()}
        filtered = _timed_search(store, queries["ru middling"], 5, language="ru", country="KZ", relevant=True)
        result["search_filtered_ms"] = filtered["median_ms"]
        result["search_filtered_cpu_ms"] = filtered["cpu_median_ms"]
        result["load_average_after_search"] = round(os.getloadavg()[0], 2)

        # an ingest of 1,000 articles, then the index update the pipeline runs after it
        _generate(store, n + 1, n + 1 + INGEST)
        update = fts.update_index(store)
        result["update_after_1000"] = {"seconds": round(update.seconds, 2), "postings": update.postings}
        after = _timed_search(store, queries["en middling"], 5)
        result["search_with_delta_ms"] = after["median_ms"]

        # the same once the delta is sorted onto the postings (every ~10 % of growth)
        _generate(store, n + 1 + INGEST, n + 1 + 2 * INGEST)
        compact = fts.update_index(store, compact_fraction=0.0, min_compact_rows=1)
        result["update_with_compaction"] = {
            "seconds": round(compact.seconds, 2),
            "compacted_postings": fts.index_status(store).sorted_rows - status.sorted_rows,
        }
        result["goals"] = {
            "search_under_200ms": all(v["median_ms"] < 200 for v in result["search"].values()),
            "update_under_10s": update.seconds < 10,
        }
        return result
    finally:
        copy.unlink(missing_ok=True)
        copy.with_name(copy.name + ".wal").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 articles instead of 1,000,000")
    args = parser.parse_args()
    print(json.dumps(run(quick=args.quick), indent=2))


if __name__ == "__main__":
    main()
