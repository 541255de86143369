"""One writer against two and four: ingest processes writing one DuckLake at the same time.

Each configuration ingests the same simulated news web (benchmarks/newsweb.py, syndicated copies
included) into a new, empty lake whose catalog is in a private PostgreSQL on loopback, with the
sources sharded between `writers` processes started together. Figures: wall time from the first
start to the last exit, articles per second, commits retried after another writer's commit, and
the checks that matter more than speed: no canonical URL or id twice, nothing lost against the
single writer, syndicated copies in one cluster. A single DuckDB file is the baseline.

All writers here share this machine's cores; on separate machines each would have its own.

    python -m benchmarks.bench_lake [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_HOME", str(Path(tempfile.gettempdir()) / "newswatch-bench-prefect"))

from benchmarks.newsweb import NewsWeb, WebSpec  # noqa: E402
from storage import Store  # noqa: E402
from storage.lake import LakeConfig, LakeStore  # noqa: E402
from tests.support.postgres import running_postgres  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WRITERS = (1, 2, 4)


def _run_writers(
    sources: Path, work: Path, writers: int, lake: LakeConfig | None
) -> tuple[float, list[subprocess.CompletedProcess[str]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    env["PYTHONPATH"] = str(ROOT)
    if lake is not None:
        env["NEWSWATCH_LAKE_CATALOG"] = lake.catalog
        env["NEWSWATCH_LAKE_DATA"] = lake.data_path or ""
    started = time.monotonic()
    procs = []
    for i in range(1, writers + 1):
        cmd = [sys.executable, "-m", "flows.cli", "ingest", "--sources", str(sources)]
        cmd += ["--db", str(work / f"machine-{i}" / "newswatch.duckdb")]
        if writers > 1:
            cmd += ["--shard", f"{i}/{writers}"]
        procs.append(
            subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    done = []
    for p in procs:
        out, err = p.communicate(timeout=3600)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return time.monotonic() - started, done


_CHECK_SQL = (
    "SELECT count(*), count(DISTINCT canonical_url), count(DISTINCT id), count(DISTINCT cluster_id),"
    " count(*) FILTER (WHERE duplicate_of IS NOT NULL) FROM articles"
)


def _check(store: Store) -> dict[str, int]:
    _, rows = store.query(_CHECK_SQL)
    n, urls, ids, clusters, copies = rows[0]
    return {"articles": n, "urls": urls, "ids": ids, "clusters": clusters, "copies": copies}


def run(quick: bool = False) -> dict[str, Any]:
    spec = WebSpec(outlets=8 if quick else 32, pages=40, seed=11)
    per_feed = 4 if quick else 25
    results: dict[str, Any] = {
        "outlets": spec.outlets,
        "per_feed": per_feed,
        "cores": os.cpu_count(),
        "runs": [],
    }
    with (
        tempfile.TemporaryDirectory(prefix="bench-lake-") as tmp,
        running_postgres() as pg,
        NewsWeb(spec) as web,
    ):
        base = Path(tmp)
        sources = base / "sources.yaml"
        sources.write_text(web.sources_yaml(per_feed), encoding="utf-8")
        configs: list[tuple[str, int]] = [("duckdb-file", 1)] + [("ducklake", n) for n in WRITERS]
        reference: dict[str, int] | None = None
        for backend, writers in configs:
            work = base / f"{backend}-{writers}"
            lake = None
            if backend == "ducklake":
                name = pg.create_database(f"bench_{writers}")
                lake = LakeConfig(pg.catalog(name), str(work / "lake-data"))
            seconds, procs = _run_writers(sources, work, writers, lake)
            failed = [p.stderr[-500:] for p in procs if p.returncode != 0]
            retried = sum(int(m) for p in procs for m in re.findall(r"(\d+) commits retried", p.stdout))
            if lake is None:
                counts = _check(Store(work / "machine-1" / "newswatch.duckdb"))
            else:
                counts = _check(LakeStore(lake, work / "reader.duckdb"))
            if backend == "ducklake" and writers == 1:
                reference = counts
            row = {
                "backend": backend,
                "writers": writers,
                "seconds": round(seconds, 2),
                "articles_per_second": round(counts["articles"] / seconds, 1) if seconds else None,
                "commits_retried": retried,
                "failed_processes": failed,
                **counts,
                "no_duplicates": counts["articles"] == counts["urls"] == counts["ids"],
            }
            if reference is not None and backend == "ducklake":
                row["same_as_one_writer"] = (counts["articles"], counts["clusters"]) == (
                    reference["articles"],
                    reference["clusters"],
                )
            results["runs"].append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    one = next(r for r in results["runs"] if r["backend"] == "ducklake" and r["writers"] == 1)
    for r in results["runs"]:
        if r["backend"] == "ducklake":
            r["speedup_vs_one_writer"] = round(one["seconds"] / r["seconds"], 2) if r["seconds"] else None
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    out = run(quick=args.quick)
    print(json.dumps(out, indent=2))
    return 0 if all(r["no_duplicates"] and not r["failed_processes"] for r in out["runs"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
