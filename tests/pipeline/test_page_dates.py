"""End to end, a page's own date through `newswatch ingest`: a story published at 21:30 UTC is
stored with its time and lands on the next day in Almaty, in the `articles` view and in the
digest, whether it comes from a section page (no date but the page's) or from a sitemap that
lists the day alone. Loopback servers, the real CLI, a real DuckDB file."""

from __future__ import annotations

import dataclasses
import html
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flows.cli import main
from tests.pipeline.test_source_formats import own_story
from tests.support.database import rows
from tests.support.pages import Article, page_newsportal, page_wordpress
from tests.support.servers import NewsServer

ALMATY = ZoneInfo("Asia/Almaty")
DAY = datetime.now(UTC).date() - timedelta(days=2)  # the UTC day; Almaty's is the next
PUBLISHED = datetime(DAY.year, DAY.month, DAY.day, 21, 30, tzinfo=UTC)


def _article(server: NewsServer, slug: str, title: str, i: int, template: object) -> tuple[str, Article]:
    art = dataclasses.replace(own_story(slug, title, i), published=PUBLISHED)
    path = f"/news/{DAY:%Y/%m/%d}/{slug}"  # the URL's day is the UTC one, as it was stored before
    server.add(path, template(art))  # type: ignore[operator]
    return path, art


def _section(paths: list[str]) -> str:
    teasers = "".join(
        f'<div class="teaser"><h2><a href="{p}">Headline {i}</a></h2></div>' for i, p in enumerate(paths)
    )
    return f"<html><head><title>Latest</title></head><body><main><h1>Latest news</h1>{teasers}</main></body></html>"


def _sitemap(server: NewsServer, paths: list[str], day: date) -> bytes:
    urls = "".join(
        f"<url><loc>{html.escape(server.url(p))}</loc><lastmod>{day}</lastmod></url>" for p in paths
    )
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


def test_a_story_published_at_2130_utc_lands_on_the_next_day_in_almaty(
    server: NewsServer, tmp_path: Path, db_path: Path
) -> None:
    on_page = [
        _article(
            server,
            "grain-corridor-deal",
            "Kazakhstan opens a grain corridor to the Caspian",
            1,
            page_newsportal,
        ),
        _article(
            server,
            "rail-freight-deal",
            "Uzbekistan and Kyrgyzstan sign a rail freight deal",
            2,
            page_wordpress,
        ),
    ]
    in_sitemap = [
        _article(server, "water-budget", "Tajikistan approves a regional water budget", 3, page_newsportal),
        _article(server, "solar-plant", "Turkmenistan commissions its first solar plant", 4, page_wordpress),
    ]
    server.add("/latest", _section([p for p, _ in on_page]))
    # the sitemap lists the day alone, as many do: the page gives the time
    server.add(
        "/sitemap.xml", _sitemap(server, [p for p, _ in in_sitemap], DAY), content_type="application/xml"
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "settings:\n  timeout_seconds: 5\n  max_retries: 0\n  backfill_days: 7\n  timezone: Asia/Almaty\nsources:\n"
        f"  - name: Outlet Page\n    type: page\n    url: {server.url('/latest')}\n"
        f"  - name: Outlet Map\n    type: sitemap\n    url: {server.url('/sitemap.xml')}\n",
        encoding="utf-8",
    )
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0

    stored = dict(rows(db_path, "SELECT title, published_at FROM articles"))
    titles = [a.title for _, a in on_page + in_sitemap]
    assert sorted(stored) == sorted(titles)
    for title in titles:
        assert stored[title] == PUBLISHED, title  # the time kept, not the day at 00:00 UTC
        assert stored[title].astimezone(ALMATY).date() == DAY + timedelta(days=1), title

    # the digest (of today: the day they were first seen) gives each story's time in Almaty
    out = tmp_path / "digests"
    argv = ["digest", "--db", str(db_path), "--sources", str(sources), "--out", str(out), "--no-send"]
    assert main(argv) == 0
    (digest,) = out.glob("*.md")
    lines = digest.read_text(encoding="utf-8").splitlines()
    shown = f"{DAY + timedelta(days=1)} 02:30 +05"
    for title in titles:
        (at,) = [i for i, line in enumerate(lines) if title in line]
        assert shown in " ".join(lines[at : at + 4]), (title, lines[at : at + 4])
    assert f"{DAY} 05:00" not in digest.read_text(encoding="utf-8")
