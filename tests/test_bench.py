"""The benchmark harness still works: the simulated news web serves what the benchmark rebuilds,
a cold ingest stores every page, and a second ingest gets a 304 from every feed. No timings."""

from __future__ import annotations

from pathlib import Path

import httpx

from benchmarks import ingest_bench as ib
from benchmarks.newsweb import NewsWeb, WebSpec
from benchmarks.procmem import TreeSampler


def test_simulator_and_cold_ingest(tmp_path: Path) -> None:
    spec = WebSpec(outlets=3, pages=4, syndicated=0.0)
    with NewsWeb(spec) as web:
        page = next(web.pages(1, 2))
        served = httpx.get(
            f"http://{web.corpus.outlets[0].host}:{web.port}{page.path}",
            headers={"Accept-Encoding": "gzip"},
            trust_env=False,
        )
        assert served.status_code == 200
        assert served.headers["content-encoding"] == "gzip"
        assert served.content == page.body  # the benchmark's own copy is byte for byte the served page

        run, db = ib.cold(web, 4, tmp_path, "smoke")
        assert run.pages == 12
        assert run.stored == 12 and run.failed == 0
        assert run.statuses == {"ok": 3}
        assert run.peak_rss_mb > 0

        again = ib.run_ingest(web, ib.parse_config(web.sources_yaml(4)), db, 0)
        assert again.statuses == {"not_modified": 3}
        assert again.stored == 12
        assert web.stats()["not_modified"] == 3


def test_corpus_has_heavy_and_varied_pages() -> None:
    web = NewsWeb(WebSpec(outlets=8, pages=12))  # not started: pages are built locally
    pages = list(web.pages(0, 12))
    sizes = [len(p.body) for p in pages]
    assert max(sizes) >= 200_000
    assert len({p.content_type for p in pages}) == 2  # utf-8 and windows-1251 outlets
    assert {p.story.lang for p in pages} == {"en", "ru", "kk"}
    assert {p.story.relevant for p in pages} == {True, False}


def test_tree_sampler_sees_this_process() -> None:
    with TreeSampler(interval=0.01) as sampler:
        sum(range(100_000))
    assert sampler.peak_rss > 10 * 2**20
    assert sampler.samples >= 1
