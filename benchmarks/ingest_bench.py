"""Ingest figures: cold throughput at the margin against trafilatura alone, the no-op run, memory,
where the time goes, and the digest of a 5,000-article day.

Every ingest here is the real `flows.pipeline.ingest` against the simulated news web, into a
fresh DuckDB file, in this process (the analysis pool forks its own workers as in production).
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.newsweb import NewsWeb, Page
from benchmarks.procmem import TreeSampler, cpu_seconds, machine_cpu_seconds
from flows.config import Config, parse_config
from storage import Store
from storage.spool import Spool

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class IngestRun:
    pages: int  # links the feeds listed
    stored: int  # articles in the database afterwards
    new: int
    duplicate: int
    failed: int
    seconds: float
    main_cpu: float  # this process, every thread
    workers_cpu: float  # the analysis workers and the forkserver (sampled)
    server_cpu: float  # the simulator
    peak_rss_mb: float  # the tree (this process and the workers), resident set summed
    peak_pss_mb: float  # the same, shared pages split between processes
    statuses: dict[str, int]
    loop_cpu: float = 0.0  # the event-loop thread alone
    stage_cpu: dict[str, float] = field(default_factory=dict)  # STAGES, in whatever thread ran them
    stage_off_loop: float = 0.0  # the part of stage_cpu spent in other threads than the loop's
    machine_cpu: float = 0.0  # every process on the machine (the simulator included)
    samples: int = 0  # memory and CPU samples taken, and the ones that failed
    sample_errors: list[str] = field(default_factory=list)


# main-process work done outside the event loop, timed per call (CPU of the calling thread)
STAGES = (
    ("flows.pipeline.store_batches", "insert_with_dedup", "insert batches (exact and near-duplicate checks)"),
    ("flows.pipeline.replay", "insert_with_dedup", "insert batches (exact and near-duplicate checks)"),
    ("flows.pipeline.ingest", "refresh_index", "search index refresh"),
    ("storage.spool", "Spool.put", "spool write"),
    ("storage.spool", "Spool.remove", "spool remove"),
    ("storage.store", "Store.known_canonical_urls", "known-URL lookup"),
    ("storage.store", "Store.record_polls", "record polls"),
    ("storage.store", "Store.log_fetches", "fetch log"),
)


class StageClock:
    """Wraps the functions in STAGES for the duration of a `with` block; missing ones are skipped."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.off_loop: dict[str, float] = {}  # the part spent outside the thread that entered
        self.calls: dict[str, int] = {}
        self._home = threading.get_ident()
        self._undo: list[tuple[object, str, object]] = []

    def __enter__(self) -> StageClock:
        import importlib

        for module_name, dotted, label in STAGES:
            try:
                owner: object = importlib.import_module(module_name)
            except ImportError:
                continue
            *path, name = dotted.split(".")
            for part in path:
                owner = getattr(owner, part, None)
            original = getattr(owner, name, None) if owner is not None else None
            if original is None:
                continue
            self._undo.append((owner, name, original))
            setattr(owner, name, self._wrap(original, label))
        return self

    def _wrap(self, fn: Any, label: str) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                used = time.thread_time() - started
                self.cpu[label] = self.cpu.get(label, 0.0) + used
                if threading.get_ident() != self._home:
                    self.off_loop[label] = self.off_loop.get(label, 0.0) + used
                self.calls[label] = self.calls.get(label, 0) + 1

        return timed

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)


def _ingest(config: Config, store: Store) -> Any:
    from flows.pipeline.ingest import ingest

    return asyncio.run(ingest(config, store))


def run_ingest(web: NewsWeb, config: Config, db: Path, pages: int, *, memory: bool = True) -> IngestRun:
    store = Store(db)
    server_before = cpu_seconds(web.pid)
    machine_before = machine_cpu_seconds()
    cpu_before = time.process_time()
    with TreeSampler(exclude={web.pid}, memory=memory) as sampler, StageClock() as clock:
        started = time.perf_counter()
        loop_before = time.thread_time()
        summary = _ingest(config, store)
        loop_cpu = time.thread_time() - loop_before
        seconds = time.perf_counter() - started
    main_cpu = time.process_time() - cpu_before
    statuses: dict[str, int] = {}
    for r in summary.reports:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return IngestRun(
        pages=pages,
        stored=store.count_articles(),
        new=summary.new,
        duplicate=summary.duplicate,
        failed=summary.failed,
        seconds=seconds,
        main_cpu=main_cpu,
        workers_cpu=sampler.others_cpu(),
        server_cpu=cpu_seconds(web.pid) - server_before,
        machine_cpu=machine_cpu_seconds() - machine_before,
        peak_rss_mb=sampler.peak_rss / 2**20,
        peak_pss_mb=sampler.peak_pss / 2**20,
        statuses=statuses,
        loop_cpu=loop_cpu,
        stage_cpu=dict(clock.cpu),
        stage_off_loop=sum(clock.off_loop.values()),
        samples=sampler.samples,
        sample_errors=sampler.errors,
    )


def cold(
    web: NewsWeb, per_feed: int, workdir: Path, tag: str, *, memory: bool = True, **settings: object
) -> tuple[IngestRun, Path]:
    """One ingest of `per_feed` new links on each feed into a new database (with `settings`);
    `memory=False`: CPU alone is sampled (see TreeSampler.memory)."""
    db = workdir / f"{tag}.duckdb"
    spool = Spool(db)  # an interrupted bench leaves batches there, and the next run would store them
    for leftover in (db, db.with_suffix(".duckdb.wal"), *spool.dir.glob(spool.prefix + "*")):
        leftover.unlink(missing_ok=True)
    config = parse_config(web.sources_yaml(per_feed, **settings), f"<bench {tag}>")
    return run_ingest(web, config, db, per_feed * web.spec.outlets, memory=memory), db


def trafilatura_alone(pages: list[Page]) -> tuple[float, float, float]:
    """Pages per second of `trafilatura.extract(..., output_format="json", with_metadata=True)`;
    also the wall and CPU seconds it took."""
    import trafilatura

    texts = [p.text() for p in pages]
    trafilatura.extract(texts[0], output_format="json", with_metadata=True)  # imports, caches
    started, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        trafilatura.extract(text, output_format="json", with_metadata=True)
    seconds = time.perf_counter() - started
    return len(pages) / seconds, seconds, time.process_time() - cpu


# --- where the time goes -------------------------------------------------------------------------

CATEGORIES = (
    ("wait (event loop idle, GIL)", ("selectors.py", "select.epoll", "select.poll", "_thread.lock")),
    ("HTTP client (httpx, httpcore, h11, anyio)", ("httpx", "httpcore", "h11", "anyio", "ssl.py")),
    ("feed parsing (feedparser)", ("feedparser", "sgmllib")),
    ("worker IPC (pickle, futures, pipes)", ("pickle", "multiprocessing", "concurrent/futures", "_pickle")),
    ("database (duckdb, storage)", ("duckdb", "storage/")),
    ("asyncio machinery", ("asyncio/",)),
    ("newswatch code (flows)", ("flows/",)),
    ("page extraction (trafilatura, lxml)", ("trafilatura", "lxml", "justext", "readability")),
    ("language detection", ("langdetect", "language.py")),
    ("relevance", ("relevance.py",)),
)


def _category(filename: str, func: str) -> str:
    where = f"{filename} {func}"
    for name, needles in CATEGORIES:
        if any(n in where for n in needles):
            return name
    return "other"


def _summarise(profile: cProfile.Profile, top: int = 15) -> dict[str, Any]:
    stats = pstats.Stats(profile, stream=io.StringIO())
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    by_category: dict[str, float] = {}
    rows = []
    for (filename, line, func), (_cc, _nc, tottime, cumtime, _callers) in raw.items():
        cat = _category(filename, func)
        by_category[cat] = by_category.get(cat, 0.0) + tottime
        short = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        rows.append((tottime, cumtime, f"{short}:{line}({func})"))
    rows.sort(reverse=True)
    return {
        "total_seconds": round(total, 3),
        "by_category": {
            k: {"seconds": round(v, 3), "share": round(v / total, 3) if total else 0.0}
            for k, v in sorted(by_category.items(), key=lambda kv: -kv[1])
        },
        "top_tottime": [
            {"function": name, "tottime": round(t, 3), "cumtime": round(c, 3)} for t, c, name in rows[:top]
        ],
    }


def profile_main(web: NewsWeb, per_feed: int, workdir: Path) -> dict[str, Any]:
    """cProfile of this process's event-loop thread during a cold ingest (database threads not seen)."""
    db = workdir / "profile.duckdb"
    for leftover in (db, db.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    config = parse_config(web.sources_yaml(per_feed), "<bench profile>")
    store = Store(db)
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    try:
        _ingest(config, store)
    finally:
        profile.disable()
    out = _summarise(profile)
    out["wall_seconds"] = round(time.perf_counter() - started, 3)
    out["pages"] = per_feed * web.spec.outlets
    return out


WORKER_STAGES = (
    (
        "extraction (flows.stages.reading.extract.extract_page)",
        "flows/stages/reading/extract.py",
        "extract_page",
    ),
    ("language (detect_language)", "flows/stages/reading/language.py", "detect_language"),
    ("relevance (Scorer.score)", "flows/stages/stories/relevance.py", "score"),
    ("exact-duplicate hash (text_hash)", "flows/stages/stories/dedup.py", "text_hash"),
)


def profile_worker(config: Config, pages: list[Page], port: int) -> dict[str, Any]:
    """What one analysis worker does per page (Analyzer.page), timed plainly and then profiled."""
    from flows.pipeline.analysis import Analyzer, PageJob
    from flows.stages.sources.feeds import FeedEntry

    analyzer = Analyzer(
        config.topic, config.settings.relevance_threshold, extraction=config.settings.extraction
    )
    jobs = []
    for p in pages:
        url = f"http://127.0.0.1:{port}{p.path}"
        entry = FeedEntry(url, url, p.story.title, p.story.paragraphs[0][:300], None, None, None, url)
        jobs.append(PageJob("bench", url, url, p.body, p.content_type, url, entry, None))
    analyzer.page(jobs[0])  # first-use costs (language profiles) are not per page
    started = time.perf_counter()
    for job in jobs:
        analyzer.page(job)
    per_page = (time.perf_counter() - started) / len(jobs)
    profile = cProfile.Profile()
    profile.enable()
    for job in jobs:
        analyzer.page(job)
    profile.disable()
    raw: dict[Any, Any] = pstats.Stats(profile, stream=io.StringIO()).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    stages: dict[str, float] = {}
    for label, file_end, func in WORKER_STAGES:
        cum = sum(v[3] for (f, _l, fn), v in raw.items() if f.endswith(file_end) and fn == func)
        stages[label] = round(cum / total, 3) if total else 0.0
    stages["other"] = round(max(0.0, 1.0 - sum(stages.values())), 3)
    return {
        "pages": len(jobs),
        "ms_per_page": round(per_page * 1000, 2),
        "share_by_stage": stages,
        "profile": _summarise(profile, top=10),
    }


# --- the no-op run and the digest ----------------------------------------------------------------


def noop_cli(sources_yaml: str, db: Path, workdir: Path) -> float:
    """Wall time of `newswatch ingest` in a new process (interpreter start and imports included)."""
    sources = workdir / "noop-sources.yaml"
    sources.write_text(sources_yaml, encoding="utf-8")
    exe = shutil.which("newswatch", path=str(Path(sys.executable).parent)) or "newswatch"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    started = time.perf_counter()
    subprocess.run(
        [exe, "ingest", "--sources", str(sources), "--db", str(db)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        cwd=workdir,
    )
    return time.perf_counter() - started


def digest_time(config: Config, db: Path) -> dict[str, Any]:
    """Build (and render) today's digest from a database whose day holds the cold ingest."""
    try:
        from flows.stages.delivery.digest.build import build_digest, today
        from flows.stages.delivery.digest.render import render
    except ImportError as exc:
        return {"skipped": f"flows.stages.delivery.digest not importable: {exc}"}
    store = Store(db)
    day = today(config.settings.tz)
    started = time.perf_counter()
    digest = build_digest(config, store, day)
    built = time.perf_counter() - started
    started = time.perf_counter()
    render(digest)
    rendered = time.perf_counter() - started
    return {
        "day": str(day),
        "articles_in_day": digest.new_articles,
        "relevant_in_day": digest.relevant_articles,
        "stories": digest.total_stories,
        "build_seconds": round(built, 3),
        "render_seconds": round(rendered, 3),
    }


def as_dict(run: IngestRun) -> dict[str, Any]:
    out = asdict(run)
    for key, value in out.items():
        if isinstance(value, float):
            out[key] = round(value, 3)
    out["stage_cpu"] = {k: round(v, 3) for k, v in run.stage_cpu.items()}
    return out


def main_cpu_per_page(small: IngestRun, big: IngestRun) -> dict[str, float]:
    """Main-process CPU per marginal page: the event loop, each timed stage, and the rest."""
    pages = big.pages - small.pages
    staged = sum(big.stage_cpu.values()) - sum(small.stage_cpu.values())
    off_loop = big.stage_off_loop - small.stage_off_loop
    loop = (big.loop_cpu - small.loop_cpu) - (staged - off_loop)
    out = {"event loop (fetching, feeds, scheduling)": loop / pages}
    for label in big.stage_cpu:
        out[label] = (big.stage_cpu[label] - small.stage_cpu.get(label, 0.0)) / pages
    other = (big.main_cpu - small.main_cpu) - (big.loop_cpu - small.loop_cpu) - off_loop
    out["other threads (DuckDB's own, pool feeder and results, memory sampler)"] = other / pages
    return {k: round(v * 1000, 2) for k, v in out.items()}
