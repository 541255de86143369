"""End to end, the source formats as real servers write them: a sitemap with a byte-order mark, one
named by robots.txt's `Site-map:` line, a Telegram channel's service messages. Loopback servers,
the real CLI, a real DuckDB file."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flows.cli import main
from tests.support.database import rows
from tests.support.pages import TEMPLATES, Article, story
from tests.support.servers import NewsServer
from tests.support.telegram import Post, paginate

NOW = datetime.now(UTC).replace(microsecond=0)
BOM = b"\xef\xbb\xbf"


def write_sources(path: Path, body: str) -> Path:
    path.write_text(f"settings:\n  timeout_seconds: 5\n  max_retries: 0\nsources:\n{body}", "utf-8")
    return path


def own_story(slug: str, title: str, i: int) -> Article:
    """An article whose text is its own, so that no two are taken for copies of one story."""
    towns = ["Almaty", "Bishkek", "Dushanbe", "Ashgabat", "Tashkent", "Astana", "Osh", "Khujand", "Nukus"]
    goods = ["wheat", "cotton", "copper", "uranium", "gas", "coal", "rice", "steel", "solar panels", "buses"]
    return story(
        slug,
        title,
        [
            f"Officials in {towns[i % 9]} said on day {i} that exports of {goods[i % 10]} rose by {i * 3 + 7}"
            f" percent compared with the same month of the year {2000 + i}.",
            f"The ministry in {towns[(i + 4) % 9]} expects {goods[(i + 3) % 10]} shipments number {i * 11 + 5}"
            f" to reach the border crossing at {towns[(i + 2) % 9]} before week {i % 52 + 1}.",
            f"Traders quoted price {i * 17 + 13} for a tonne of {goods[(i + 6) % 10]}, and a spokesman for bank"
            f" {i * 7 + 3} described talks with lenders from {towns[(i + 7) % 9]} as constructive.",
        ],
        n=4,
    )


def _urlset(server: NewsServer, entries: list[tuple[str, datetime, str]]) -> bytes:
    items = "".join(
        f"<url><loc>{server.url(path)}</loc><news:news><news:publication><news:name>Outlet</news:name>"
        "<news:language>en</news:language></news:publication>"
        f"<news:publication_date>{when.isoformat()}</news:publication_date>"
        f"<news:title>{html.escape(title)}</news:title></news:news></url>"
        for path, when, title in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{items}</urlset>'
    ).encode()


def _entries(server: NewsServer, prefix: str, first: int) -> list[tuple[str, datetime, str]]:
    entries = []
    for i in range(first, first + 3):
        path, title = f"/news/2026/{prefix}-{i}-trade-report", f"Trade report number {i} from Kazakhstan"
        server.add(path, TEMPLATES[i % 3](own_story(f"{prefix}-{i}", title, i)))
        entries.append((path, NOW - timedelta(hours=i + 1), title))
    return entries


def test_sitemap_with_a_byte_order_mark_and_one_named_by_site_map_are_ingested(
    server: NewsServer, tmp_path: Path, db_path: Path
) -> None:
    """A sitemap that starts with a UTF-8 byte-order mark, and a robots.txt (itself with one) whose
    only sitemap line is spelled `Site-map:`: both deliver their articles, neither is an error."""
    marked, named = _entries(server, "marked", 0), _entries(server, "named", 10)
    server.add("/maps/marked.xml", BOM + _urlset(server, marked), content_type="application/xml")
    server.add("/maps/named.xml", _urlset(server, named), content_type="application/xml")
    robots = f"User-agent: *\nDisallow: /admin\n\nSite-map: {server.url('/maps/named.xml')}\n"
    server.add("/robots.txt", BOM + robots.encode(), content_type="text/plain")
    sources = write_sources(
        tmp_path / "sources.yaml",
        f"  - name: Marked\n    type: sitemap\n    url: {server.url('/maps/marked.xml')}\n"
        f"  - name: Named\n    type: sitemap\n    url: {server.url('/robots.txt')}\n",
    )
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    stored = rows(db_path, "SELECT source, url FROM article ORDER BY source, url")
    assert stored == sorted(
        [("Marked", server.url(p)) for p, _, _ in marked] + [("Named", server.url(p)) for p, _, _ in named]
    )
    health = rows(db_path, "SELECT name, status FROM source_health ORDER BY name")
    assert health == [("Marked", "ok"), ("Named", "ok")]


def test_telegram_service_messages_are_not_stored(server: NewsServer, tmp_path: Path, db_path: Path) -> None:
    """Service messages ("Channel created", "Channel photo updated", "… pinned «…»"): on a real
    t.me/s page the `service_message` class sits on the message element itself; none is an article."""
    posts = [
        Post(1, NOW - timedelta(hours=5), "Channel created", service=True),
        Post(2, NOW - timedelta(hours=4), "Astana approved the regional water budget for next year."),
        Post(3, NOW - timedelta(hours=3), "Channel photo updated", service=True),
        Post(4, NOW - timedelta(hours=2), "Bishkek and Tashkent signed a railway freight agreement today."),
        Post(
            5,
            NOW - timedelta(hours=1),
            "CA Desk pinned «Astana approved the regional water budget»",
            service=True,
        ),
    ]
    for path, page in paginate("ca_desk", "CA Desk", posts).items():
        server.add(path, page)
    sources = write_sources(
        tmp_path / "sources.yaml",
        f"  - name: CA Desk\n    type: telegram\n    url: {server.url('/s/ca_desk')}\n",
    )
    assert main(["ingest", "--db", str(db_path), "--sources", str(sources)]) == 0
    stored = rows(db_path, "SELECT url FROM article WHERE source = 'CA Desk' ORDER BY url")
    assert stored == [("https://t.me/ca_desk/2",), ("https://t.me/ca_desk/4",)]
