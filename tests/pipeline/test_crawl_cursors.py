"""End to end through `newswatch ingest`: sources without feeds that behave the way real ones do
lose nothing. Ties past the per-poll cap, an entry dated hours ahead, entries without a date, a
section page listing more links than the cap, a channel burst longer than the cap; each on a
loopback server, into a real DuckDB file, polled until everything is in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from flows.cli import main
from tests.support.database import rows
from tests.support.servers import NewsServer
from tests.support.sitemaps import article_page, distinct_story, sitemap_index, urlset
from tests.support.telegram import Post, paginate

NOW = datetime.now(UTC).replace(microsecond=0)
ALMATY = timezone(timedelta(hours=5))


def stored(db: Path, source: str) -> set[str]:
    return {r[0] for r in rows(db, f"SELECT url FROM article WHERE source = '{source}'")}


def write_sources(path: Path, body: str, settings: str = "") -> Path:
    path.write_text(f"settings:\n  timeout_seconds: 5\n  max_retries: 1\n{settings}sources:\n{body}", "utf-8")
    return path


def ingest(db: Path, sources: Path) -> None:
    assert main(["ingest", "--db", str(db), "--sources", str(sources)]) == 0


def add_articles(server: NewsServer, numbers: range) -> list[str]:
    return [server.add(f"/news/2026/12/story-{i}-regional-trade", article_page(i)) for i in numbers]


def sitemap_source(tmp_path: Path, server: NewsServer, cap: int = 200) -> Path:
    return write_sources(
        tmp_path / "sources.yaml",
        f"  - name: Map\n    type: sitemap\n    url: {server.url('/sitemap.xml')}\n",
        settings=f"  max_articles_per_source: {cap}\n",
    )


def test_sitemap_entries_sharing_one_date_past_the_cap_are_all_taken(
    server: NewsServer, tmp_path: Path, db_path: Path
) -> None:
    """30 entries stamped with the day the sitemap was made, 20 a poll: the next poll takes the
    other 10, the mark moves, and then the child is not read again until its lastmod moves."""
    day = NOW.date().isoformat()
    urls = add_articles(server, range(30))
    server.add("/sitemaps/daily.xml", urlset([(u, day) for u in urls]), content_type="application/xml")
    server.add(
        "/sitemap.xml",
        sitemap_index([(server.url("/sitemaps/daily.xml"), day)]),
        content_type="application/xml",
    )
    sources = sitemap_source(tmp_path, server, cap=20)
    ingest(db_path, sources)
    assert len(stored(db_path, "Map")) == 20
    ingest(db_path, sources)
    assert stored(db_path, "Map") == set(urls)
    assert rows(db_path, "SELECT value FROM source_cursor WHERE kind = 'high_water'") == [
        (f"{day}T00:00:00+00:00",)
    ]
    hits = server.hits("/sitemaps/daily.xml")
    ingest(db_path, sources)
    assert server.hits("/sitemaps/daily.xml") == hits == 2  # not read again: nothing left in it
    assert all(server.hits(u.removeprefix(server.url(""))) == 1 for u in urls)


def test_a_sitemap_entry_dated_hours_ahead_does_not_hide_the_next_ones(
    server: NewsServer, tmp_path: Path, db_path: Path
) -> None:
    """Almaty's local time written with `Z`: five hours ahead. The article published after the
    first poll, dated before that instant, is taken by the second."""
    urls = add_articles(server, range(5))
    lastmods = [f"{NOW - timedelta(hours=h):%Y-%m-%dT%H:%M:%S}Z" for h in (3, 2, 1)]
    lastmods.append(f"{(NOW + timedelta(hours=5)).astimezone(ALMATY):%Y-%m-%dT%H:%M:%S}Z")
    server.add(
        "/sitemap.xml", urlset(list(zip(urls, lastmods, strict=False))), content_type="application/xml"
    )
    sources = sitemap_source(tmp_path, server)
    ingest(db_path, sources)
    assert stored(db_path, "Map") == set(urls[:4])
    mark = rows(db_path, "SELECT value FROM source_cursor WHERE kind = 'high_water'")[0][0]
    assert datetime.fromisoformat(mark) <= datetime.now(UTC)  # the mark is not in the future
    published = datetime.now(UTC).astimezone(ALMATY).isoformat(timespec="seconds")  # written right
    server.add(
        "/sitemap.xml",
        urlset([*zip(urls, lastmods, strict=False), (urls[4], published)]),
        content_type="application/xml",
    )
    ingest(db_path, sources)
    assert stored(db_path, "Map") == set(urls)


def test_sitemap_entries_without_a_date_are_taken_once_they_appear(
    server: NewsServer, tmp_path: Path, db_path: Path
) -> None:
    """No lastmod at all: what the sitemaps list at the first poll is there before; an entry listed
    later, or a child sitemap new in the index, is new."""
    urls = add_articles(server, range(10))
    child, second = server.url("/sitemaps/pages.xml"), server.url("/sitemaps/pages-2.xml")
    server.add("/sitemap.xml", sitemap_index([(child, None)]), content_type="application/xml")
    server.add("/sitemaps/pages.xml", urlset([(u, None) for u in urls[:5]]), content_type="application/xml")
    sources = sitemap_source(tmp_path, server)
    ingest(db_path, sources)
    assert stored(db_path, "Map") == set()
    problem = rows(db_path, "SELECT feed_problem FROM source_health WHERE name = 'Map'")[0][0]
    assert problem.startswith("5 entries without a date were listed before the first poll")
    server.add("/sitemaps/pages.xml", urlset([(u, None) for u in urls[:8]]), content_type="application/xml")
    ingest(db_path, sources)
    assert stored(db_path, "Map") == set(urls[5:8])
    server.add("/sitemap.xml", sitemap_index([(child, None), (second, None)]), content_type="application/xml")
    server.add("/sitemaps/pages-2.xml", urlset([(u, None) for u in urls[8:]]), content_type="application/xml")
    ingest(db_path, sources)
    assert stored(db_path, "Map") == set(urls[5:])
    assert all(server.hits(u.removeprefix(server.url(""))) == 0 for u in urls[:5])  # never fetched


def _section_page(server: NewsServer, urls: list[str]) -> str:
    teasers = "".join(
        f'<div class="teaser"><h2><a href="{u}">{distinct_story(i).title}</a></h2><p>Teaser {i}.</p></div>'
        for i, u in enumerate(urls)
    )
    return (
        "<html><head><title>The Outlet: latest</title></head><body><header><nav><a href='/'>Home</a>"
        f"</nav></header><main><h1>Latest news</h1>{teasers}</main></body></html>"
    )


def test_a_section_page_listing_more_links_than_the_cap_goes_on_with_the_rest(
    server: NewsServer, tmp_path: Path, db_path: Path
) -> None:
    urls = add_articles(server, range(8))
    server.add("/latest", _section_page(server, urls), etag='"v1"')
    sources = write_sources(
        tmp_path / "sources.yaml",
        f"  - name: Page\n    type: page\n    url: {server.url('/latest')}\n",
        settings="  max_articles_per_source: 5\n",
    )
    ingest(db_path, sources)
    assert stored(db_path, "Page") == set(urls[:5])
    ingest(db_path, sources)  # the page's ETag was kept unsaved: it is read again, not 304
    assert stored(db_path, "Page") == set(urls)
    assert all(server.hits(u.removeprefix(server.url(""))) == 1 for u in urls)


def _post(i: int, when: datetime) -> Post:
    return Post(i, when, f"Channel post {i}: {distinct_story(i).paragraphs[0]}")


def test_a_channel_burst_longer_than_the_cap_is_taken_oldest_first_over_polls(
    http_server: object, tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ten posts, then a day of downtime: 45 more, 20 a poll. Nothing is lost, and the note says
    what was left for the next poll."""
    server: NewsServer = http_server()  # type: ignore[operator]
    posts = [_post(i, NOW - timedelta(hours=20, minutes=-i)) for i in range(1, 11)]
    for path, page in paginate("burst", "Burst", posts).items():
        server.add(path, page)
    sources = write_sources(
        tmp_path / "sources.yaml",
        f"  - name: Chan\n    type: telegram\n    url: {server.url('/s/burst')}\n",
        settings="  max_articles_per_source: 20\n",
    )
    ingest(db_path, sources)
    posts += [_post(i, NOW - timedelta(hours=10, minutes=-i)) for i in range(11, 56)]
    for path, page in paginate("burst", "Burst", posts).items():
        server.add(path, page)
    permalinks = [f"https://t.me/burst/{i}" for i in range(1, 56)]
    capsys.readouterr()
    ingest(db_path, sources)
    assert stored(db_path, "Chan") == set(permalinks[:30])
    problem = rows(db_path, "SELECT feed_problem FROM source_health WHERE name = 'Chan'")[0][0]
    assert (
        problem
        == "45 new posts, more than max_articles_per_source (20): the oldest 20 taken, the other 25 next poll"
    )
    ingest(db_path, sources)
    assert stored(db_path, "Chan") == set(permalinks[:50])
    ingest(db_path, sources)
    assert stored(db_path, "Chan") == set(permalinks)
    assert rows(db_path, "SELECT value FROM source_cursor WHERE kind = 'last_post'") == [("55",)]


EDITED = (
    "Правительство Казахстана исправило данные: экспорт ячменя в Узбекистан за ноябрь составил девять"
    " миллионов тонн, сообщило министерство сельского хозяйства в Астане."
)


def test_an_edited_post_updates_its_article_and_the_earlier_text_is_kept(
    http_server: object, tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Post 4 is edited after it was stored (in another language, too): the article takes the new
    text, analysed and indexed again, and the earlier one stays in article_revision. Post 5 is
    marked edited with its text unchanged: nothing happens to it."""
    server: NewsServer = http_server()  # type: ignore[operator]
    posts = [_post(i, NOW - timedelta(hours=5, minutes=-i)) for i in range(1, 6)]

    def serve() -> None:
        for path, page in paginate("desk", "Desk", posts).items():
            server.add(path, page)

    serve()
    sources = write_sources(
        tmp_path / "sources.yaml", f"  - name: Desk\n    type: telegram\n    url: {server.url('/s/desk')}\n"
    )
    ingest(db_path, sources)
    before = rows(db_path, "SELECT id, text, language FROM article WHERE url = 'https://t.me/desk/4'")[0]
    assert before[2] == "en"
    posts[3] = Post(4, posts[3].when, EDITED, edited=True)
    posts[4] = Post(5, posts[4].when, posts[4].text, edited=True)
    posts.append(_post(6, NOW - timedelta(hours=1)))
    serve()
    capsys.readouterr()
    ingest(db_path, sources)
    assert "1 edited posts updated" in capsys.readouterr().out
    after = rows(db_path, "SELECT id, text, language FROM article WHERE url = 'https://t.me/desk/4'")[0]
    assert after[0] == before[0] and "ячменя" in after[1] and after[2] == "ru"
    revisions = rows(db_path, "SELECT article_id, text FROM article_revision")
    assert revisions == [(before[0], before[1])]
    assert rows(db_path, "SELECT count(*) FROM article") == [(6,)]
    capsys.readouterr()
    assert main(["search", "--db", str(db_path), "ячменя", "--json"]) == 0
    assert "https://t.me/desk/4" in capsys.readouterr().out
    ingest(db_path, sources)  # read again, unchanged since: no second revision
    assert rows(db_path, "SELECT count(*) FROM article_revision") == [(1,)]
