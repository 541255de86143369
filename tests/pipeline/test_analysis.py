"""The analysis pool: a page that kills its worker or runs past the deadline costs that
page only; the pool starts afresh, the other pages in flight are tried again, nothing runs here."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import duckdb
import pytest

from flows.config import parse_config
from flows.pipeline.analysis import AnalysisFailed, AnalysisPool, PageJob
from flows.pipeline.ingest import ingest
from flows.stages.sources.feeds import FeedEntry
from storage import Store
from tests.support.pages import TEMPLATES, rss, story
from tests.support.servers import NewsServer

PARAGRAPH = "<p>" + "Kazakhstan and Uzbekistan signed a water deal on Friday in Astana. " * 10 + "</p>"


def crowded_page(tags: int) -> bytes:
    """Tags of 250 attributes each (just under the cap): seconds of parsing, for a busy worker."""
    tag = "<div " + " ".join(f"a{i}" for i in range(250)) + ">x</div>"
    return f"<html><body>{PARAGRAPH}{tag * tags}</body></html>".encode()


def job(slug: str, body: bytes) -> PageJob:
    url = f"https://outlet.kz/{slug}"
    entry = FeedEntry(url, url, f"Story {slug}", None, None, None, None, None)
    return PageJob("S", url, url, body, "text/html; charset=utf-8", url, entry, None)


def pool_of(tmp_path: Path, settings: str = "") -> AnalysisPool:
    text = (
        f"settings:\n  timeout_seconds: 5\n{settings}sources:\n  - name: S\n    url: http://127.0.0.1:1/f\n"
    )
    return AnalysisPool(parse_config(text, str(tmp_path / "sources.yaml")), workers=2)


async def worker_on(pool: AnalysisPool, key: str) -> int:
    """The pid of the worker that has started on `key` (polls the pool's marks: another process)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for pid, working_on in pool._working_on().items():
            if working_on == key:
                return pid
        await asyncio.sleep(0.01)
    raise AssertionError(f"no worker started on {key}")


def test_a_page_that_kills_its_worker_is_failed_and_the_innocent_retried(tmp_path: Path) -> None:
    pool = pool_of(tmp_path)
    culprit, innocent = job("culprit", crowded_page(3000)), job("innocent", crowded_page(1500))
    good = job("good", TEMPLATES[0](story("good", "Rail corridor through Kazakhstan")).encode())

    async def run() -> tuple[BaseException | None, str, str]:
        first = asyncio.create_task(pool.analyse(culprit))
        second = asyncio.create_task(pool.analyse(innocent))
        pid = await worker_on(pool, culprit.canonical_url)
        await worker_on(pool, innocent.canonical_url)
        os.kill(pid, signal.SIGKILL)  # what the out-of-memory killer does
        failure = (await asyncio.gather(first, return_exceptions=True))[0]
        return failure, (await second).text, (await pool.analyse(good)).text

    try:
        failure, innocent_text, good_text = asyncio.run(run())
    finally:
        pool.close()
    assert isinstance(failure, AnalysisFailed), failure
    assert "killed its analysis worker" in str(failure) and "SIGKILL" in str(failure)
    assert "Kazakhstan and Uzbekistan signed a water deal" in innocent_text
    assert "Kazakhstan" in good_text
    assert pool._count == 2, "the pool is started afresh once"


def test_a_page_past_the_deadline_is_failed_and_its_worker_stopped(tmp_path: Path) -> None:
    pool = pool_of(tmp_path, "  analysis_timeout_seconds: 2\n")
    slow = job("slow", crowded_page(8000))  # about 10 s of parsing
    good = job("good", TEMPLATES[1](story("good", "Kyrgyz and Tajik officials meet")).encode())

    async def run() -> tuple[BaseException | None, str, int]:
        task = asyncio.create_task(pool.analyse(slow))
        pid = await worker_on(pool, slow.canonical_url)
        failure = (await asyncio.gather(task, return_exceptions=True))[0]
        return failure, (await pool.analyse(good)).text, pid

    started = time.monotonic()
    try:
        failure, good_text, pid = asyncio.run(run())
    finally:
        pool.close()
    assert isinstance(failure, AnalysisFailed) and "longer than 2 s" in str(failure), failure
    assert time.monotonic() - started < 30
    assert "signed an agreement" in good_text
    assert not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def test_analysis_timeout_is_validated(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="analysis_timeout_seconds"):
        pool_of(tmp_path, "  analysis_timeout_seconds: 0\n")


def test_ingest_fails_the_page_past_the_deadline_and_stores_the_rest(
    server: NewsServer, tmp_path: Path, db_path: Path
) -> None:
    items = []
    good = [story(f"good-{i}", f"Kazakhstan rail corridor story {i}") for i in range(4)]
    for i, art in enumerate(good):
        items.append((art.title, server.add(f"/p/{art.slug}", TEMPLATES[i % 3](art)), "", art.published))
    bomb = server.add("/p/bomb", crowded_page(8000))
    items.append(("Bomb", bomb, "", None))
    server.add("/p/feed.xml", rss("P", server.url("/p/"), items), content_type="application/rss+xml")
    text = (
        "settings:\n  analysis_timeout_seconds: 2\n  max_retries: 0\n"
        f"sources:\n  - name: P\n    url: {server.url('/p/feed.xml')}\n"
    )
    config = parse_config(text, str(tmp_path / "sources.yaml"))
    summary = asyncio.run(ingest(config, Store(db_path), workers=2))
    assert (summary.new + summary.duplicate, summary.failed) == (4, 1)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        stored = {r[0] for r in con.execute("SELECT url FROM articles").fetchall()}
        log = con.execute(
            "SELECT kind, outcome, error FROM fetch_log WHERE url = ? AND kind = 'extract'", [bomb]
        )
        extract_log = log.fetchall()
    finally:
        con.close()
    assert stored == {item[1] for item in items[:4]}
    assert len(extract_log) == 1 and extract_log[0][:2] == ("extract", "error")
    assert "longer than 2 s" in extract_log[0][2] and "worker was stopped" in extract_log[0][2]


def kill_on_three(numbers: list[int]) -> list[int]:
    """A batch function for the workers: the batch holding 3 kills its worker, like a memory bomb."""
    if 3 in numbers:
        os.kill(os.getpid(), signal.SIGKILL)
    return [n * 10 for n in numbers]


def test_map_restarts_the_pool_and_gives_up_on_a_batch_that_kills_it_twice(tmp_path: Path) -> None:
    pool = pool_of(tmp_path)
    try:
        assert pool.map(kill_on_three, [[1], [2]]) == [[10], [20]]
        with pytest.raises(AnalysisFailed, match="died twice on this batch"):
            pool.map(kill_on_three, [[1], [3]])
        assert pool.map(kill_on_three, [[4], [5]]) == [[40], [50]], "a fresh pool after the failure"
        assert pool._count == 3, "the first pool, the one the retry broke, the fresh one"
    finally:
        pool.close()
