"""`newswatch sources add | import | export | test` against loopback servers and real files."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.cli import main
from flows.config import load_config
from tests.support import ROOT
from tests.support.pages import TEMPLATES, atom, rss, story
from tests.support.servers import NewsServer
from tests.support.telegram import Post, paginate

HEAD = """# my sources, edited by hand
settings:
  timeout_seconds: 5   # the network here is slow
  max_retries: 0
sources:
  # --- the first block ---
  - name: Existing
    url: https://example.org/feed.xml
    tags: [regional, KZ]   # keep this comment

# the topic profile is below; keep it where it is
topic:
  keywords: {en: [Central Asia]}
"""


def _home(server: NewsServer) -> str:
    art = story("water-deal", "Kazakhstan and Uzbekistan sign water deal")
    article = server.add("/news/2026/12/01/kazakhstan-uzbekistan-water-deal", TEMPLATES[0](art))
    items = [(art.title, article, art.paragraphs[0], art.published)]
    server.add(
        "/feed/rss.xml", rss("Outlet News", server.url("/"), items), content_type="application/rss+xml"
    )
    server.add(
        "/feed/atom.xml",
        atom("Outlet News (Atom)", server.url("/"), items),
        content_type="application/atom+xml",
    )
    return server.add(
        "/home",
        "<html><head><title>Outlet</title>"
        '<link rel="alternate" type="application/rss+xml" title="Outlet RSS" href="/feed/rss.xml">'
        '<link rel="alternate" type="application/atom+xml" title="Outlet Atom" href="/feed/atom.xml">'
        f'</head><body><a href="{article}">Water deal signed</a></body></html>',
    )


def test_sources_add_writes_a_valid_entry_and_keeps_comments(
    server: NewsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(server)
    path = tmp_path / "sources.yaml"
    path.write_text(HEAD, encoding="utf-8")
    assert main(["sources", "add", home, "--sources", str(path), "--tag", "regional"]) == 0
    out = capsys.readouterr().out
    assert "rss.xml" in out and "atom.xml" in out  # both shown, the first one taken
    text = path.read_text(encoding="utf-8")
    head, _, tail = HEAD.partition("\n# the topic profile")
    assert text.startswith(head) and text.endswith("# the topic profile" + tail)
    config = load_config(path)
    added = config.sources[-1]
    assert (added.name, added.url, added.type, added.tags) == (
        "Outlet RSS",
        server.url("/feed/rss.xml"),
        "feed",
        ["regional"],
    )
    assert [s.name for s in config.sources] == ["Existing", "Outlet RSS"]
    # the same feed again: nothing written; a taken name: refused with exit 2
    assert main(["sources", "add", home, "--sources", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == text
    assert (
        main(["sources", "add", server.url("/feed/atom.xml"), "--sources", str(path), "--name", "existing"])
        == 2
    )
    assert path.read_text(encoding="utf-8") == text


def test_sources_add_falls_back_to_sitemap_page_and_channel(server: NewsServer, tmp_path: Path) -> None:
    server.add("/plain", '<html><body><a href="/news/2026/12/01/a-story-about-trade">x</a></body></html>')
    server.add(
        "/robots.txt", f"User-agent: *\nSitemap: {server.url('/maps/news.xml')}\n", content_type="text/plain"
    )
    server.add(
        "/maps/news.xml",
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{server.url('/news/2026/12/01/a-story-about-trade')}</loc></url></urlset>",
        content_type="application/xml",
    )
    for route, page in paginate(
        "ca_desk", "CA Desk", [Post(1, datetime(2026, 12, 1, tzinfo=UTC), "hello")]
    ).items():
        server.add(route, page)
    path = tmp_path / "sources.yaml"
    assert main(["sources", "add", server.url("/plain"), "--sources", str(path)]) == 0
    assert main(["sources", "add", server.url("/s/ca_desk"), "--sources", str(path)]) == 0
    assert (
        main(
            ["sources", "add", server.url("/plain"), "--sources", str(path), "--type", "page", "--name", "P"]
        )
        == 0
    )
    types = [(s.type, s.url) for s in load_config(path).sources]
    assert types == [
        ("sitemap", server.url("/maps/news.xml")),
        ("telegram", server.url("/s/ca_desk")),
        ("page", server.url("/plain")),
    ]


def test_opml_round_trips_the_shipped_sources(tmp_path: Path) -> None:
    opml = tmp_path / "sources.opml"
    assert main(["sources", "export", "--sources", str(ROOT / "sources.yaml"), "--output", str(opml)]) == 0
    target = tmp_path / "imported.yaml"
    assert main(["sources", "import", str(opml), "--sources", str(target)]) == 0
    key = lambda s: (s.name, s.url, s.type, s.language, tuple(s.tags), s.enabled)  # noqa: E731
    shipped = sorted(map(key, load_config(ROOT / "sources.yaml").sources))
    assert sorted(map(key, load_config(target).sources)) == shipped and len(shipped) >= 40
    # importing again adds nothing
    before = target.read_text(encoding="utf-8")
    assert main(["sources", "import", str(opml), "--sources", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == before


def test_opml_import_takes_folders_and_categories_as_tags(tmp_path: Path) -> None:
    opml = tmp_path / "reader.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="1.0"><head><title>Feedly</title></head><body>'
        '<outline text="Central Asia" title="Central Asia">'
        '<outline type="rss" text="Eurasianet" xmlUrl="https://eurasianet.org/rss.xml" category="/KZ,/news/wire"/>'
        '<outline type="rss" text="Bad" xmlUrl="ftp://nowhere/feed"/></outline>'
        '<outline type="rss" title="Top level" xmlUrl="https://example.com/rss"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    target = tmp_path / "s.yaml"
    assert main(["sources", "import", str(opml), "--sources", str(target)]) == 0
    got = [(s.name, s.tags) for s in load_config(target).sources]
    assert got == [("Eurasianet", ["Central Asia", "KZ", "news", "wire"]), ("Top level", [])]
    (tmp_path / "broken.opml").write_text("<html>no</html>", encoding="utf-8")
    assert main(["sources", "import", str(tmp_path / "broken.opml"), "--sources", str(target)]) == 2


def test_sources_test_shows_what_would_be_ingested_and_stores_nothing(
    server: NewsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _home(server)
    db = tmp_path / "never.duckdb"
    code = main(["sources", "test", server.url("/feed/rss.xml"), "--sources", str(tmp_path / "none.yaml")])
    assert code == 0
    out = capsys.readouterr().out
    assert "Kazakhstan and Uzbekistan sign water deal" in out and " en " in out and "KZ" in out
    # published in the configured zone (Asia/Almaty by default) with its offset
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d \+05", out), out
    assert not db.exists() and not list(tmp_path.glob("*.duckdb"))


REAL = ROOT / "tests" / "fixtures" / "real"


def test_sources_add_takes_a_json_feed_named_by_the_page(server: NewsServer, tmp_path: Path) -> None:
    """A page whose only feed is a JSON Feed (`application/feed+json`) gets a feed source, not a page
    source; so does a real page that names one as `application/json` (daringfireball.net, whose
    Atom feed is offline here)."""
    feed = (REAL / "discovery" / "daringfireball-feed.json").read_bytes()
    server.add("/feeds/json", feed, content_type="application/json")
    server.add("/feed.json", feed, content_type="application/feed+json")
    server.add(
        "/blog",
        '<html><head><title>Blog</title><link rel="alternate" type="application/feed+json" title="JSON" '
        'href="/feed.json"></head><body><a href="/news/2026/12/01/a-story-about-trade">x</a></body></html>',
    )
    server.add("/", (REAL / "discovery" / "daringfireball.html").read_bytes())
    path = tmp_path / "sources.yaml"
    assert main(["sources", "add", server.url("/blog"), "--sources", str(path)]) == 0
    assert main(["sources", "add", server.url("/"), "--sources", str(path)]) == 0
    got = [(s.name, s.type, s.url) for s in load_config(path).sources]
    assert got == [
        ("JSON", "feed", server.url("/feed.json")),
        ("Daring Fireball", "feed", server.url("/feeds/json")),
    ]


def test_opml_import_reads_any_spelling_merges_folders_and_skips_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """xmlURL is read; a feed in two folders is one source with both tags; a subscription list
    (type="source") and a link to another OPML file (type="include") are skipped, each with why."""
    opml = tmp_path / "reader.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Reader</title></head><body>'
        '<outline text="Central Asia"><outline type="rss" text="Eurasianet" xmlURL="https://eurasianet.org/rss.xml"/>'
        '<outline type="rss" text="Kun.uz" xmlurl="https://kun.uz/rss"/></outline>'
        '<outline text="Wire"><outline type="rss" text="Eurasianet" xmlUrl="https://eurasianet.org/rss.xml"/></outline>'
        '<outline text="Friends" type="source" xmlUrl="https://friend.example/subscriptions.opml"/>'
        '<outline text="Podcasts" type="include" url="https://www.bbc.co.uk/podcasts.opml"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    target = tmp_path / "s.yaml"
    assert main(["sources", "import", str(opml), "--sources", str(target)]) == 0
    got = [(s.name, s.url, s.tags) for s in load_config(target).sources]
    assert got == [
        ("Eurasianet", "https://eurasianet.org/rss.xml", ["Central Asia", "Wire"]),
        ("Kun.uz", "https://kun.uz/rss", ["Central Asia"]),
    ]
    out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert 'skipped Friends: a subscription list (type="source"), not a feed' in out
    assert 'skipped Podcasts: a link to another OPML file (type="include"), not a feed' in out
    assert "imported 2 sources" in out and "(2 skipped)" in out


def test_opml_import_of_real_reader_exports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A NewsBlur export (a comment before <head>) and the OPML specification's subscription list
    (every feed `language="unknown"`) import whole; Dave Winer's inclusion example imports nothing
    and says why three times."""
    target = tmp_path / "s.yaml"
    for name in ("newsblur.opml", "subscriptionList.opml", "includes.opml"):
        assert main(["sources", "import", str(REAL / "opml" / name), "--sources", str(target)]) == 0
    sources = load_config(target).sources
    assert len(sources) == 5 + 13 and all(s.language is None for s in sources)
    assert sources[0].name == "Google Online Security Blog" and sources[0].tags == ["Security"]
    out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert out.count('type="include"') == 3 and "imported 0 sources" in out and "(3 skipped)" in out
