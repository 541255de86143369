"""End to end, sources without feeds: a news sitemap index, a section page, a Telegram channel
preview; each on a loopback server, through the real CLI, into a real DuckDB file."""

from __future__ import annotations

import gzip
import html
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from flows.cli import main
from tests.support.database import rows
from tests.support.pages import TEMPLATES, Article, story
from tests.support.servers import NewsServer
from tests.support.telegram import Post, paginate

NOW = datetime.now(UTC).replace(microsecond=0)


def write_sources(path: Path, body: str, settings: str = "") -> Path:
    path.write_text(f"settings:\n  timeout_seconds: 5\n  max_retries: 1\n{settings}sources:\n{body}", "utf-8")
    return path


def unique_story(slug: str, title: str, i: int) -> Article:
    """An article whose text is its own (not a near copy of the others)."""
    towns = ["Almaty", "Bishkek", "Dushanbe", "Ashgabat", "Tashkent", "Astana", "Osh", "Khujand", "Nukus"]
    goods = ["wheat", "cotton", "copper", "uranium", "gas", "coal", "rice", "steel", "solar panels", "buses"]
    sentences = [
        f"Officials in {towns[i % 9]} said on day {i} that exports of {goods[i % 10]} rose by {i * 3 + 7} percent"
        f" compared with the same month of the year {2000 + i}.",
        f"The ministry in {towns[(i + 4) % 9]} expects {goods[(i + 3) % 10]} shipments number {i * 11 + 5} to"
        f" reach the border crossing at {towns[(i + 2) % 9]} before week {i % 52 + 1}.",
        f"Traders quoted price {i * 17 + 13} for a tonne of {goods[(i + 6) % 10]}, and a spokesman for bank"
        f" {i * 7 + 3} described talks with lenders from {towns[(i + 7) % 9]} as constructive.",
        f"Kazakhstan and Uzbekistan plan meeting {i * 5 + 1} of their joint commission in {towns[(i + 1) % 9]},"
        f" where delegation {i + 40} will discuss railway freight and water quota {i * 13 + 2}.",
    ]
    return story(slug, title, sentences, n=4)


# --- sitemaps ----------------------------------------------------------------------------------------


def _urlset(server: NewsServer, entries: list[tuple[str, datetime, str]]) -> bytes:
    items = "".join(
        f"<url><loc>{server.url(path)}</loc><news:news><news:publication><news:name>Outlet</news:name>"
        "<news:language>en</news:language></news:publication>"
        f"<news:publication_date>{when.isoformat()}</news:publication_date>"
        f"<news:title>{html.escape(title)}</news:title></news:news><lastmod>{when.isoformat()}</lastmod></url>"
        for path, when, title in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{items}</urlset>'
    ).encode()


def _index(server: NewsServer, children: list[tuple[str, str]]) -> str:
    items = "".join(
        f"<sitemap><loc>{server.url(p)}</loc><lastmod>{m}</lastmod></sitemap>" for p, m in children
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{items}</sitemapindex>"
    )


def test_news_sitemap_index_with_gzipped_child_stores_only_the_new(
    server: NewsServer, tmp_path: Path, db_path: Path
) -> None:
    entries = []
    for i in range(50):
        new = i % 4 == 0 and i < 48  # 12 of 50 inside the 2-day backfill window
        when = NOW - (timedelta(hours=i + 1) if new else timedelta(days=5 + i))
        path = f"/news/2026/item-{i}-kazakhstan-trade-report"
        entries.append((path, when, f"Trade report number {i} from Kazakhstan"))
        art = unique_story(f"item-{i}", f"Trade report number {i} from Kazakhstan", i)
        server.add(path, TEMPLATES[i % 3](art))
    server.add(
        "/sitemaps/news-1.xml.gz",
        gzip.compress(_urlset(server, entries[:30])),
        content_type="application/gzip",
    )
    server.add(
        "/sitemaps/news-2.xml", _urlset(server, entries[30:]), content_type="application/xml", etag='"c2-v1"'
    )
    server.add(
        "/sitemap-index.xml",
        _index(
            server,
            [
                ("/sitemaps/news-1.xml.gz", "2026-11-30T10:00:00Z"),
                ("/sitemaps/news-2.xml", "2026-11-30T11:00:00Z"),
            ],
        ),
        content_type="application/xml",
    )
    sources = write_sources(
        tmp_path / "sources.yaml",
        f"  - name: Outlet Sitemap\n    type: sitemap\n    url: {server.url('/sitemap-index.xml')}\n",
    )
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    stored = {r[0] for r in rows(db_path, "SELECT url FROM article WHERE source = 'Outlet Sitemap'")}
    expected = {server.url(p) for p, when, _ in entries if when > NOW - timedelta(days=2)}
    assert len(expected) == 12 and stored == expected
    old_hits = sum(server.hits(p) for p, when, _ in entries if when < NOW - timedelta(days=2))
    assert old_hits == 0  # the old entries were never fetched
    titles = rows(db_path, "SELECT title, language FROM article WHERE source = 'Outlet Sitemap' LIMIT 1")
    assert titles[0][0].startswith("Trade report number") and titles[0][1] == "en"

    # the next poll: nothing new, and the children whose lastmod has not moved are not read again
    child_hits = server.hits("/sitemaps/news-1.xml.gz"), server.hits("/sitemaps/news-2.xml")
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    assert rows(db_path, "SELECT count(*) FROM article WHERE source = 'Outlet Sitemap'")[0][0] == 12
    assert (server.hits("/sitemaps/news-1.xml.gz"), server.hits("/sitemaps/news-2.xml")) == child_hits

    # a child's lastmod moves with three new entries: those three, and only that child is read
    fresh = [
        (f"/news/2026/fresh-{i}-uzbekistan-report", NOW - timedelta(minutes=5 + i), f"Fresh {i}")
        for i in range(3)
    ]
    for i, (path, _, title) in enumerate(fresh):
        server.add(path, TEMPLATES[i % 3](unique_story(f"fresh-{i}", title, 60 + i)))
    server.add(
        "/sitemaps/news-2.xml",
        _urlset(server, entries[30:] + fresh),
        content_type="application/xml",
        etag='"c2-v2"',
    )
    server.add(
        "/sitemap-index.xml",
        _index(
            server,
            [
                ("/sitemaps/news-1.xml.gz", "2026-11-30T10:00:00Z"),
                ("/sitemaps/news-2.xml", "2026-12-01T09:00:00Z"),
            ],
        ),
        content_type="application/xml",
    )
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    assert rows(db_path, "SELECT count(*) FROM article WHERE source = 'Outlet Sitemap'")[0][0] == 15
    assert server.hits("/sitemaps/news-1.xml.gz") == child_hits[0]
    asked = [r for r in server.requests if r.path == "/sitemaps/news-2.xml"][-1]
    assert asked.headers.get("if-none-match") == '"c2-v1"'  # a conditional GET for the child
    health = rows(db_path, "SELECT status, articles_total FROM source_health WHERE name = 'Outlet Sitemap'")
    assert health == [("ok", 15)]


# --- section pages -----------------------------------------------------------------------------------

NAV = [
    "/",
    "/section/politics",
    "/section/economy",
    "/world",
    "/sport",
    "/tag/kazakhstan",
    "/tag/energy",
    "/author/anna-ivanova",
    "/category/regions",
    "/page/2",
    "/news?page=3",
    "/login",
    "/register",
    "/about",
    "/contacts",
    "/privacy",
    "/search?q=news",
    "/topics/elections",
    "/archive/2026",
    "/rss",
]


def _section_page(server: NewsServer, articles: list[str], extra_body_links: list[str]) -> str:
    nav = "".join(f'<li><a href="{p}">{p.strip("/").title() or "Home"}</a></li>' for p in NAV[:8])
    foot = "".join(f'<a href="{p}">{p.strip("/")}</a> ' for p in NAV[8:14])
    teasers = "".join(
        f'<div class="teaser"><h2><a href="{p}">Headline {i} about the region</a></h2>'
        f'<p>A short teaser of story {i}.</p><span class="byline"><a href="/author/anna-ivanova">Anna</a></span></div>'
        for i, p in enumerate(articles)
    )
    body_nav = "".join(f'<a href="{p}">{p}</a> ' for p in NAV[14:] + extra_body_links)
    return (
        f"<html><head><title>The Outlet: news</title></head><body><header><nav><ul>{nav}</ul></nav></header>"
        f'<main><h1>Latest news</h1>{teasers}<div class="more">{body_nav}</div>'
        '<div class="pagination"><a href="/page/2">2</a> <a href="/page/3">3</a></div></main>'
        f"<footer>{foot}</footer></body></html>"
    )


def test_section_page_stores_articles_and_no_navigation_page(
    server: NewsServer, tmp_path: Path, db_path: Path
) -> None:
    articles = [f"/news/2026/12/01/story-{i}-on-central-asian-trade" for i in range(6)]
    for i, path in enumerate(articles):
        server.add(path, TEMPLATES[i % 3](unique_story(f"s{i}", f"Central Asian trade story {i}", i)))
    for path in NAV:
        server.add(path.split("?")[0], "<html><body><p>navigation</p></body></html>")
    # an article-shaped link that is a section page itself: fetched once, then remembered
    roundup = "/news/2026/12/weekly-politics-roundup"
    server.add(roundup, _section_page(server, articles, []))
    server.add("/latest", _section_page(server, articles, [roundup]), etag='"v1"')
    sources = write_sources(
        tmp_path / "sources.yaml",
        f"  - name: Outlet Page\n    type: page\n    url: {server.url('/latest')}\n",
    )
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    stored = {r[0] for r in rows(db_path, "SELECT url FROM article WHERE source = 'Outlet Page'")}
    assert stored == {server.url(p) for p in articles}
    assert all(server.hits(p.split("?")[0]) == 0 for p in NAV if p != "/")
    assert server.hits(roundup) == 1
    assert rows(db_path, "SELECT key FROM source_cursor WHERE kind = 'section'") == [(server.url(roundup),)]

    # the page changes (a new ETag): the section link is not fetched again, the articles are known
    server.add("/latest", _section_page(server, articles, [roundup]) + " ", etag='"v2"')
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    assert server.hits(roundup) == 1
    assert all(server.hits(p) == 1 for p in articles)
    assert rows(db_path, "SELECT count(*) FROM article WHERE source = 'Outlet Page'")[0][0] == 6


# --- Telegram --------------------------------------------------------------------------------------------

CHANNEL = "ca_newsdesk"


def _posts(server: NewsServer, first: int, last: int) -> list[Post]:
    posts = []
    for i in range(first, last + 1):
        when = NOW - timedelta(minutes=(200 - i) * 7)
        if i % 10 == 0:
            text = (
                f"Президент Казахстана Токаев провёл встречу номер {i} с делегацией Узбекистана в Астане.<br/>"
                f"Стороны обсудили транзит грузов и квоту воды {i * 3}."
            )
        else:
            text = (
                f"<b>Kazakhstan</b> update {i}: the government in Astana approved plan {i * 7} for rail freight"
                f" to Uzbekistan and Kyrgyzstan, officials said.<br/>Details of plan {i * 7} follow."
            )
        forwarded = ("Kun.uz", f"https://t.me/kunuznews/{1000 + i}") if i % 9 == 0 else None
        reply = (
            (i - 1, "The earlier post this one replies to, with words of its own") if i % 11 == 0 else None
        )
        posts.append(
            Post(i, when, text, forwarded_from=forwarded, reply_to=reply, photo=i % 7 == 0, edited=i % 8 == 0)
        )
    return posts


def test_telegram_channel_reads_back_every_post_once(
    http_server: object, tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server: NewsServer = http_server()  # type: ignore[operator]
    article = unique_story("linked", "Uzbekistan opens new rail link to Kazakhstan", 77)
    server.add("/articles/2026/uzbekistan-opens-rail-link", TEMPLATES[0](article))
    posts = _posts(server, 1, 60)
    # a post that is a link and a headline: the linked article is fetched for its text
    link = server.url("/articles/2026/uzbekistan-opens-rail-link")
    posts[29] = Post(
        30, posts[29].when, f'<a href="{link}">{link}</a>', link_preview=(link, "Outlet", article.title)
    )
    # media-only posts and a service message carry no text: not articles
    extra = [
        Post(61, NOW - timedelta(minutes=40), photo=True),
        Post(62, NOW - timedelta(minutes=39), service=True),
        Post(63, NOW - timedelta(minutes=38), photo=True),
    ]
    for path, page in paginate(CHANNEL, "CA Newsdesk", posts + extra).items():
        server.add(path, page)
    sources = write_sources(
        tmp_path / "sources.yaml",
        f"  - name: CA Newsdesk\n    type: telegram\n    url: {server.url('/s/' + CHANNEL)}\n",
    )
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    got = rows(
        db_path,
        "SELECT url, title, author, text, language FROM article WHERE source = 'CA Newsdesk' ORDER BY url",
    )
    assert len(got) == 60
    assert {r[0] for r in got} == {f"https://t.me/{CHANNEL}/{i}" for i in range(1, 61)}
    by_id = {int(r[0].rsplit("/", 1)[1]): r for r in got}
    assert by_id[9][2] == "Kun.uz" and by_id[8][2] == "CA Newsdesk"  # a forward keeps its channel
    assert "replies to" not in by_id[11][3]  # the quoted post is not the reply's text
    assert "rail link" in by_id[30][1].lower() and article.paragraphs[0][:40] in by_id[30][3]
    assert by_id[10][4] == "ru" and by_id[12][4] == "en"
    pages = [r for r in server.requests if r.path.startswith(f"/s/{CHANNEL}")]
    assert len(pages) == 3

    # five new posts, and a 429 with Retry-After before the page is served: exactly those five
    new = _posts(server, 64, 68)
    routes = paginate(CHANNEL, "CA Newsdesk", posts + extra + new)
    for path, page in routes.items():
        server.add(path, page)
    first_page = routes[f"/s/{CHANNEL}"].encode()
    answered: list[int] = []

    def limited(h: BaseHTTPRequestHandler) -> None:
        status = 429 if not answered else 200
        answered.append(status)
        body = b"" if status == 429 else first_page
        h.send_response(status)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        if status == 429:
            h.send_header("Retry-After", "1")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    server.add_handler(f"/s/{CHANNEL}", limited)
    before = len(server.requests)
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    assert answered == [429, 200]
    assert rows(db_path, "SELECT count(*) FROM article WHERE source = 'CA Newsdesk'")[0][0] == 65
    assert {
        r[0]
        for r in rows(
            db_path,
            "SELECT url FROM article WHERE source = 'CA Newsdesk' AND run_id = (SELECT max(id) FROM run)",
        )
    } == {f"https://t.me/{CHANNEL}/{i}" for i in range(64, 69)}
    assert [r.path for r in server.requests[before:] if r.path.startswith("/s/")] == [f"/s/{CHANNEL}"] * 2


def test_failing_sources_of_every_type_get_health_and_back_off(
    server: NewsServer, tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.add("/gone-sitemap.xml", "gone", status=404, content_type="text/plain")
    server.add("/not-a-sitemap.xml", "<html><body>hello</body></html>")
    server.add("/s/not_a_channel", "<html><body><p>an ordinary page</p></body></html>")
    sources = write_sources(
        tmp_path / "sources.yaml",
        f"  - name: Gone\n    type: sitemap\n    url: {server.url('/gone-sitemap.xml')}\n"
        f"  - name: Html\n    type: sitemap\n    url: {server.url('/not-a-sitemap.xml')}\n"
        f"  - name: Chan\n    type: telegram\n    url: {server.url('/s/not_a_channel')}\n"
        f"  - name: Nopage\n    type: page\n    url: {server.url('/missing')}\n",
    )
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    health = rows(
        db_path, "SELECT name, status, last_error, next_poll_at IS NOT NULL FROM source_health ORDER BY name"
    )
    assert [(h[0], h[1], h[3]) for h in health] == [
        ("Chan", "failing", True),
        ("Gone", "failing", True),
        ("Html", "failing", True),
        ("Nopage", "failing", True),
    ]
    errors = {h[0]: h[2] for h in health}
    assert "HTTP 404" in errors["Gone"] and "HTML" in errors["Html"] and "Telegram" in errors["Chan"]
    capsys.readouterr()
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    assert capsys.readouterr().out.count("backing_off") == 4  # none polled again before its time
    polled = rows(db_path, "SELECT count(*) FROM fetch_log WHERE run_id = (SELECT max(id) FROM run)")
    assert polled == [(0,)]
    assert main(["sources", "check", "--db", str(db_path), "--sources", str(sources)]) == 0
    out = capsys.readouterr().out
    assert "Chan (telegram)" in out and "Gone (sitemap)" in out and "failing since" in out


def test_telegram_channel_under_its_own_name_through_settings_hosts(
    server: NewsServer, tmp_path: Path, db_path: Path
) -> None:
    """`url: http://t.me:PORT/s/NAME` with t.me mapped to loopback in settings.hosts: the name is
    answered before DNS, and the permalinks (https://t.me/NAME/ID) are stored, never fetched."""
    posts = [
        Post(i, NOW - timedelta(hours=3 - i), f"Kazakhstan news item {i}: Astana approved budget {i * 9}.")
        for i in (1, 2, 3)
    ]
    for path, page in paginate("kz_news", "KZ News", posts).items():
        server.add(path, page)
    sources = write_sources(
        tmp_path / "sources.yaml",
        f"  - name: KZ News\n    type: telegram\n    url: http://t.me:{server.port}/s/kz_news\n",
        settings="  hosts: {t.me: 127.0.0.1}\n",
    )
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    got = rows(db_path, "SELECT url, author FROM article WHERE source = 'KZ News' ORDER BY url")
    assert got == [(f"https://t.me/kz_news/{i}", "KZ News") for i in (1, 2, 3)]
    assert {r.headers.get("host") for r in server.requests} == {f"t.me:{server.port}"}
