"""End to end: a real HTTP server on loopback, the real CLI, a real DuckDB file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli import main
from tests.support import ROOT
from tests.support.database import rows
from tests.support.pages import TEMPLATES, Article, atom, rss, story
from tests.support.servers import NewsServer

WATER = story("water-deal", "Kazakhstan and Uzbekistan sign water deal")
SUMMIT = Article(
    slug="summit",
    title="Tokayev hosts Central Asian leaders in Astana",
    paragraphs=[
        "President Kassym-Jomart Tokayev hosted the leaders of Kyrgyzstan, Tajikistan, Turkmenistan and "
        "Uzbekistan in Astana on Thursday for a consultative meeting on trade and transport corridors.",
        "The five leaders discussed a railway that would link China to Europe through Kazakhstan and the "
        "Caspian Sea, bypassing Russia, and agreed to study a common customs window for transit cargo.",
        "Officials said the next meeting would be held in Tashkent next year, continuing a format that the "
        "region's governments have held annually since 2018 without outside powers at the table.",
        "Observers in the region said the meeting showed how far cooperation has come, with border disputes "
        "that once closed crossings for months now settled through commissions and regular talks.",
    ],
)
WEATHER = Article(
    slug="weather",
    title="Storms expected across northern Europe this weekend",
    paragraphs=[
        "Forecasters warned of heavy rain and strong winds across Scandinavia and the Baltic states, "
        "with ferry services likely to be cancelled on Saturday and Sunday.",
        "Residents along the coast were told to secure loose objects and avoid unnecessary travel, "
        "while airports said they expected delays but no closures at this stage.",
        "The storm is the third this autumn and follows an unusually warm October in much of the region, "
        "meteorologists said in their weekly outlook on Friday.",
    ],
)


def build_site(server: NewsServer) -> dict[str, str]:
    """Two outlets; both run the water story (an exact copy under another URL)."""
    urls: dict[str, str] = {}
    items_a = []
    for i, art in enumerate([WATER, SUMMIT, WEATHER]):
        url = server.add(f"/a/{art.slug}", TEMPLATES[i % 3](art))
        urls[f"a/{art.slug}"] = url
        items_a.append((art.title, url + "?utm_source=rss&utm_medium=feed", art.paragraphs[0], art.published))
    server.add(
        "/a/feed.xml",
        rss("Outlet A", server.url("/a/"), items_a),
        content_type="application/rss+xml",
        etag='"a-v1"',
    )
    url_b = server.add("/b/2026/11/water", TEMPLATES[1](WATER))
    urls["b/water"] = url_b
    # a relative link, resolved against the feed URL
    server.add(
        "/b/atom.xml",
        atom("Outlet B", server.url("/b/"), [(WATER.title, "2026/11/water", "", None)]),
        content_type="application/atom+xml",
        last_modified="Sat, 21 Nov 2026 10:00:00 GMT",
    )
    server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    return urls


def write_sources(path: Path, server: NewsServer, extra: str = "") -> Path:
    path.write_text(
        f"""settings:
  allow_private_networks: false
  timeout_seconds: 5
sources:
  - name: Outlet A
    url: {server.url("/a/feed.xml")}
    language: en
  - name: Outlet B
    url: {server.url("/b/atom.xml")}
{extra}""",
        encoding="utf-8",
    )
    return path


def test_ingest_end_to_end_and_conditional_get(
    server: NewsServer, tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_site(server)
    sources = write_sources(tmp_path / "sources.yaml", server)
    assert main(["seed", "--db", str(db_path), "--sources", str(sources), "--dir", str(ROOT / "seeds")]) == 0
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    out = capsys.readouterr().out
    assert "Outlet A" in out and "Outlet B" in out
    # the stored copy of the water story is a copy, not a drop, and counts in its
    # source's articles_total (the table's and the view's), as articles_7d counts it
    assert "copies" in out and "duplicate" not in out
    total_row = [line for line in out.splitlines() if "total" in line][-1]
    assert [c.strip() for c in total_row.split("│")[3:6]] == ["3", "1", "0"]
    stored = dict(rows(db_path, "SELECT source, count(*) FROM article WHERE NOT is_seed GROUP BY source"))
    assert dict(rows(db_path, "SELECT name, articles_total FROM source")) == stored
    assert dict(rows(db_path, "SELECT name, articles_7d FROM source_health")) == stored

    arts = rows(
        db_path,
        "SELECT source, url, canonical_url, title, text, language, cluster_id, duplicate_of, "
        "is_seed, word_count, author, published_at FROM articles WHERE NOT is_seed ORDER BY id",
    )
    assert len(arts) == 4
    by_url = {a[2]: a for a in arts}
    water_a = by_url[server.url("/a/water-deal")]
    water_b = by_url[server.url("/b/2026/11/water")]
    # the link exactly as the feed gave it, and the canonical form without tracking parameters
    assert water_a[1].endswith("?utm_source=rss&utm_medium=feed")
    # exact duplicate: same cluster, pointing at the first
    first, second = sorted([water_a, water_b], key=lambda a: a[6] if a[7] is None else a[7] + 0.5)
    assert first[7] is None and first[6] is not None
    assert second[6] == first[6] and second[7] is not None
    summit = by_url[server.url("/a/summit")]
    assert "Tokayev hosted the leaders" in summit[4]
    # boilerplate is gone
    for art in arts:
        text = art[4]
        assert "cookie" not in text.lower()
        assert "Post comment" not in text
        assert "Related headline number" not in text
        assert art[5] == "en"
        assert art[9] > 20
    seeds = rows(
        db_path, "SELECT count(*) FROM articles WHERE is_seed AND source = 'seed' AND url LIKE 'seed://%'"
    )
    assert seeds[0][0] == 5

    page_hits = {p: server.hits(p) for p in ("/a/water-deal", "/a/summit", "/a/weather", "/b/2026/11/water")}
    assert all(v == 1 for v in page_hits.values())

    # second run: the feeds answer 304 and no article page is fetched again
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    assert {p: server.hits(p) for p in page_hits} == page_hits
    feed_requests = [r for r in server.requests if r.path in ("/a/feed.xml", "/b/atom.xml")]
    assert feed_requests[-1].headers.get("if-none-match") == '"a-v1"' or feed_requests[-1].headers.get(
        "if-modified-since"
    )
    log = rows(
        db_path,
        "SELECT url, outcome, status FROM fetch_log WHERE kind = 'feed' AND run_id = "
        "(SELECT max(id) FROM run WHERE kind = 'ingest')",
    )
    assert {r[1] for r in log} == {"not_modified"} and {r[2] for r in log} == {304}
    assert rows(db_path, "SELECT count(*) FROM articles WHERE NOT is_seed")[0][0] == 4


def test_make_run_style_command_exits_zero_without_network(tmp_path: Path) -> None:
    """`newswatch run` through the installed script: unreachable sources are reported, exit 0."""
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "settings:\n  timeout_seconds: 2\n  max_retries: 0\nsources:\n"
        "  - name: Nowhere\n    url: http://127.0.0.1:9/feed\n",
        encoding="utf-8",
    )
    db = tmp_path / "n.duckdb"
    exe = Path(sys.executable).with_name("newswatch")
    env = {**os.environ, "NEWSWATCH_DB": str(db), "NEWSWATCH_SOURCES": str(sources)}
    proc = subprocess.run(
        [str(exe), "run", "--seeds", str(ROOT / "seeds")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Nowhere" in proc.stdout and "error" in proc.stdout
    assert "Traceback" not in proc.stderr
    health = rows(db, "SELECT consecutive_failures, last_error FROM source WHERE name = 'Nowhere'")
    assert health[0][0] == 1 and "connection" in health[0][1]


def test_names_that_do_not_resolve_fail_once_per_run_and_progress_says_who_is_out(tmp_path: Path) -> None:
    """No network: before, every feed was asked 1 + max_retries times with back-off in between
    (15-20 s a feed with the system's resolver). A name with no address is permanent for this run."""
    import asyncio
    from collections import Counter

    from flows.config import parse_config
    from flows.pipeline.ingest import ingest
    from flows.stages.delivery.digest.build import build_digest, today
    from flows.stages.delivery.digest.render import render
    from storage import Store

    asked: Counter[str] = Counter()

    async def offline(host: str, port: int) -> list[str]:
        asked[host] += 1
        raise OSError(-3, "Temporary failure in name resolution")  # what getaddrinfo says offline

    names = [f"Outlet {n}" for n in range(5)]
    config = parse_config(
        "settings:\n  max_retries: 2\nsources:\n"
        + "".join(f"  - name: {n}\n    url: https://feed{i}.example/rss\n" for i, n in enumerate(names))
    )

    class Recorder:
        def __init__(self) -> None:
            self.details: list[str] = []

        def phase(self, name: str, total: int | None) -> None:
            pass

        def advance(self, n: int = 1) -> None:
            pass

        def message(self, text: str) -> None:
            pass

        def detail(self, text: str) -> None:
            self.details.append(text)

    recorder = Recorder()
    store = Store(tmp_path / "n.duckdb")
    summary = asyncio.run(ingest(config, store, resolver=offline, workers=1, reporter=recorder))  # type: ignore[arg-type]
    assert [r.status for r in summary.reports] == ["error"] * 5
    assert all(
        (r.error or "").startswith("name resolution failed: cannot resolve feed") for r in summary.reports
    )
    assert asked == Counter({f"feed{i}.example": 1 for i in range(5)})  # asked once, never retried
    # the progress line names the feeds still out, down to none
    assert recorder.details[0].startswith("waiting for Outlet") and "and" not in recorder.details[0]
    assert recorder.details[-1] == ""
    # and the digest's footer is one line for all of them
    text = render(build_digest(config, store, today(config.settings.tz))).text
    assert "- 5 sources: name resolution failed, since " in text
    assert "0 of 5 sources answered at their last poll; 5 failing: name resolution failed (5)." in text


def test_a_json_feed_source_is_ingested_like_rss(server: NewsServer, tmp_path: Path, db_path: Path) -> None:
    import json

    url = server.add(f"/j/{SUMMIT.slug}", TEMPLATES[0](SUMMIT))
    items = [{"id": "s1", "url": url, "title": SUMMIT.title, "date_published": "2026-11-30T09:00:00Z"}]
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items})
    server.add("/j/feed.json", body, content_type="application/feed+json")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"settings:\n  timeout_seconds: 5\nsources:\n  - name: JSON outlet\n    url: {server.url('/j/feed.json')}\n",
        encoding="utf-8",
    )
    assert main(["ingest", "--sources", str(sources), "--db", str(db_path), "--no-prefect"]) == 0
    stored = rows(
        db_path, "SELECT title, published_at, is_relevant FROM articles WHERE source = 'JSON outlet'"
    )
    assert [(t, str(p)[:16], r) for t, p, r in stored] == [(SUMMIT.title, "2026-11-30 09:00", True)]
    assert (
        SUMMIT.paragraphs[0][:60]
        in rows(db_path, "SELECT text FROM articles WHERE source = 'JSON outlet'")[0][0]
    )
