"""The hostile web: every misbehaviour beside a good source, on loopback.

Each test runs a real ingest against a real DuckDB file and asserts three things: the run
finishes, the good source beside the bad one is fully stored, and the bad one's trouble is
recorded (on its source row, or in the fetch log for a single article).
"""

from __future__ import annotations

import asyncio
import html
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.cli import main
from flows.config import parse_config
from flows.pipeline.ingest import IngestSummary, ingest
from flows.stages.net.netguard import hosts_resolver
from flows.stages.net.urls import canonicalize
from storage import Store
from storage.sources import backoff_delay
from tests.support import hostile as hs
from tests.support.pages import TEMPLATES, Article, rss, story
from tests.support.servers import NewsServer

GOOD = [
    story("good-water", "Kazakhstan and Uzbekistan sign water deal"),
    story("good-rail", "Rail corridor through Kazakhstan gets new funding"),
    story("good-border", "Kyrgyz and Tajik officials meet on border crossings"),
]

RUSSIAN = [
    "Президент Казахстана провёл в Астане встречу с лидерами стран Центральной Азии, на которой обсуждались "
    "вопросы торговли, транспортных коридоров и совместного использования водных ресурсов региона.",
    "Участники встречи договорились создать рабочую группу, которая подготовит предложения по упрощению "
    "пересечения границ для грузовых перевозок и по общему таможенному окну для транзитных грузов.",
    "По словам министра иностранных дел, следующая встреча пройдёт в Ташкенте в будущем году, а экспертные "
    "консультации начнутся уже в ближайшие месяцы на уровне заместителей министров.",
    "Наблюдатели отмечают, что сотрудничество в регионе заметно углубилось за последние годы, и споры, которые "
    "раньше надолго закрывали пограничные переходы, теперь решаются через совместные комиссии.",
]
CHINESE = [
    "哈萨克斯坦总统在阿斯塔纳会见了中亚各国领导人，双方就贸易、交通走廊和水资源合作等问题深入交换了意见。",
    "与会各方同意成立工作组，研究简化货物过境手续的具体方案，并探讨建立统一的海关窗口，以便利过境运输。",
    "外交部长表示，下一次会议将于明年在塔什干举行，副部长级的专家磋商将在未来几个月内启动，推动合作落实。",
    "观察人士指出，近年来地区合作明显加深，过去长期关闭口岸的边界争端，如今已通过联合委员会协商解决。",
]


@dataclass
class World:
    server: NewsServer
    tmp: Path
    db: Path
    stop: hs.Stopper
    make_server: Callable[..., NewsServer]

    def __post_init__(self) -> None:
        items = []
        for i, art in enumerate(GOOD):
            url = self.server.add(f"/good/{art.slug}", TEMPLATES[i % 3](art))
            items.append((art.title, url, "", art.published))
        self.server.add(
            "/good/feed.xml",
            rss("Good", self.server.url("/good/"), items),
            content_type="application/rss+xml",
        )

    def run(
        self,
        sources: dict[str, str],
        *,
        settings: str = "",
        resolver: Any = None,
    ) -> IngestSummary:
        """One ingest over the good source and `sources` (name -> feed URL)."""
        lines = [
            "settings:",
            "  timeout_seconds: 2",
            "  max_retries: 0",
            "  max_bytes: 300000",
            "  allow_private_networks: false",
            *[f"  {s}" for s in settings.splitlines() if s.strip()],
            "sources:",
            f"  - name: Good\n    url: {self.server.url('/good/feed.xml')}",
            *[f"  - name: {name}\n    url: {url}" for name, url in sources.items()],
        ]
        path = self.tmp / "sources.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        config = parse_config(path.read_text(encoding="utf-8"), str(path))
        store = Store(self.db, lock_timeout=30)
        return asyncio.run(ingest(config, store, resolver=resolver, workers=1))

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def source(self, name: str) -> dict[str, Any]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            cur = con.execute("SELECT * FROM source WHERE name = ?", [name])
            cols = [d[0] for d in cur.description]
            row = cur.fetchone()
        finally:
            con.close()
        assert row is not None, f"no source row for {name}"
        return dict(zip(cols, row, strict=True))

    def log(self, name: str) -> list[tuple[Any, ...]]:
        """(kind, url, outcome, status, error) of every fetch for a source."""
        return self.rows(
            "SELECT kind, url, outcome, status, error FROM fetch_log WHERE source = ? ORDER BY fetched_at",
            [name],
        )

    def articles(self, name: str) -> list[tuple[Any, ...]]:
        return self.rows(
            "SELECT url, canonical_url, title, text, published_at FROM articles WHERE source = ? ORDER BY url",
            [name],
        )

    def assert_good_stored(self, summary: IngestSummary) -> None:
        stored = {row[1] for row in self.articles("Good")}
        assert stored == {canonicalize(self.server.url(f"/good/{a.slug}")) for a in GOOD}
        good = next(r for r in summary.reports if r.name == "Good")
        assert good.status == "ok" and good.error is None
        assert self.source("Good")["consecutive_failures"] == 0

    def assert_failed(self, name: str, *fragments: str) -> dict[str, Any]:
        row = self.source(name)
        assert row["consecutive_failures"] == 1, row
        assert row["last_error"], row
        for fragment in fragments:
            assert fragment in row["last_error"], row["last_error"]
        assert row["next_poll_at"] is not None  # backed off, not disabled
        assert row["enabled"]
        feed_log = [entry for entry in self.log(name) if entry[0] == "feed"]
        assert feed_log and feed_log[-1][2] in ("error", "skipped") and feed_log[-1][4] == row["last_error"]
        return row


@pytest.fixture
def world(http_server: Callable[..., NewsServer], tmp_path: Path, db_path: Path) -> Iterator[World]:
    stop = hs.Stopper()
    w = World(http_server(), tmp_path, db_path, stop, http_server)
    yield w
    stop.set()


def feed_of(server: NewsServer, prefix: str, articles: list[Article], *, desc: str = "") -> bytes:
    items = []
    for i, art in enumerate(articles):
        url = server.add(f"{prefix}/{art.slug}", TEMPLATES[i % 3](art))
        items.append((art.title, url, desc, art.published))
    return rss(prefix, server.url(prefix + "/"), items).encode()


# --- the feed itself ---------------------------------------------------------------------------


def test_malformed_xml_that_still_yields_entries_gives_them(world: World) -> None:
    s = world.server
    arts = [story("mal-a", "Tajikistan opens a new dam"), story("mal-b", "Turkmen gas talks resume")]
    body = feed_of(s, "/mal", arts)
    # an unescaped ampersand and an unclosed element: not well-formed XML
    body = body.replace(
        b"<description>feed</description>", b"<description>News & views <b>bold</description>"
    )
    s.add("/mal/feed.xml", body, content_type="application/rss+xml")
    summary = world.run({"Malformed": s.url("/mal/feed.xml")})
    world.assert_good_stored(summary)
    assert {r[2] for r in world.articles("Malformed")} == {a.title for a in arts}
    row = world.source("Malformed")
    assert row["consecutive_failures"] == 0
    assert "malformed feed" in row["feed_problem"] and "2 entries recovered" in row["feed_problem"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"\x00\x01\x02<<<not xml at all>>>\xff\xfe", "malformed feed"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>cut', "malformed feed"),
        (b"<html><head><title>Welcome</title></head><body><p>Our site</p></body></html>", "HTML page"),
        (b"<!DOCTYPE html>\n<html lang=en><body>Cookie wall</body></html>", "HTML page"),
        (b"", "empty response body"),
        (b"   \r\n\t  ", "empty response body"),
        (b'{"items": [{"title": "json, not a feed"}]}', "not a feed: JSON without a JSON Feed version"),
    ],
    ids=["binary-junk", "truncated-xml", "html-page", "html-doctype", "zero-bytes", "whitespace", "json"],
)
def test_bodies_that_are_not_feeds_fail_the_source(world: World, body: bytes, expected: str) -> None:
    world.server.add("/bad/feed.xml", body, content_type="application/xml")
    summary = world.run({"Bad": world.server.url("/bad/feed.xml")})
    world.assert_good_stored(summary)
    world.assert_failed("Bad", expected)
    assert world.articles("Bad") == []


@pytest.mark.parametrize("code", [404, 410, 403])
def test_client_errors_fail_without_retry(world: World, code: int) -> None:
    world.server.add_handler("/gone.xml", hs.status(code))
    summary = world.run({"Gone": world.server.url("/gone.xml")}, settings="max_retries: 3")
    world.assert_good_stored(summary)
    row = world.assert_failed("Gone", f"HTTP {code}")
    assert row["last_status"] == code
    assert world.server.hits("/gone.xml") == 1  # no retry on 4xx other than 429


@pytest.mark.parametrize("code", [429, 500, 503])
def test_retryable_statuses_honour_retry_after_then_fail(world: World, code: int) -> None:
    world.server.add_handler("/busy.xml", hs.status(code, {"Retry-After": "1"}))
    started = time.monotonic()
    summary = world.run({"Busy": world.server.url("/busy.xml")}, settings="max_retries: 1")
    world.assert_good_stored(summary)
    world.assert_failed("Busy", f"HTTP {code}")
    assert world.server.hits("/busy.xml") == 2
    assert time.monotonic() - started >= 1.0  # the Retry-After second was waited


def test_503_then_success_is_retried_and_stored(world: World) -> None:
    s = world.server
    body = feed_of(s, "/flaky", [story("flaky-a", "Uzbekistan cuts tariffs")])
    ok = hs.raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    date = "Wed, 21 Oct 2015 07:28:00 GMT"  # an HTTP-date in the past: retry at once
    s.add_handler("/flaky/feed.xml", hs.flaky([hs.status(503, {"Retry-After": date})], ok))
    summary = world.run({"Flaky": s.url("/flaky/feed.xml")}, settings="max_retries: 2")
    world.assert_good_stored(summary)
    assert s.hits("/flaky/feed.xml") == 2
    assert [r[2] for r in world.articles("Flaky")] == ["Uzbekistan cuts tariffs"]
    assert world.source("Flaky")["consecutive_failures"] == 0


def test_retry_after_too_long_is_not_waited(world: World) -> None:
    world.server.add_handler("/later.xml", hs.status(503, {"Retry-After": "86400"}))
    started = time.monotonic()
    summary = world.run({"Later": world.server.url("/later.xml")}, settings="max_retries: 3")
    assert time.monotonic() - started < 20
    world.assert_good_stored(summary)
    world.assert_failed("Later", "HTTP 503", "too long")
    assert world.server.hits("/later.xml") == 1


# --- redirects ---------------------------------------------------------------------------------


def test_redirect_loop_and_long_chain_fail(world: World) -> None:
    s = world.server
    s.add_handler("/loop/a", hs.redirect_to("/loop/b"))
    s.add_handler("/loop/b", hs.redirect_to("/loop/a"))
    s.add_handler("/self", hs.redirect_to("/self", 307))
    for i in range(7):
        s.add_handler(f"/chain/{i}", hs.redirect_to(f"/chain/{i + 1}"))
    s.add("/chain/7", feed_of(s, "/chainfeed", [story("never", "Never reached")]), content_type="text/xml")
    summary = world.run(
        {"Loop": s.url("/loop/a"), "Self": s.url("/self"), "Chain": s.url("/chain/0")},
        settings="max_retries: 2",
    )
    world.assert_good_stored(summary)
    world.assert_failed("Loop", "too many redirects")
    world.assert_failed("Self", "redirect loop")
    world.assert_failed("Chain", "too many redirects")
    assert s.hits("/chain/6") == 0  # the sixth redirect is not followed
    assert s.hits("/loop/a") + s.hits("/loop/b") == 6  # redirects are not retried


def test_chain_of_five_redirects_is_followed(world: World) -> None:
    s = world.server
    for i in range(5):
        s.add_handler(f"/hop/{i}", hs.redirect_to(f"/hop/{i + 1}"))
    s.add("/hop/5", feed_of(s, "/hopfeed", [story("hop-a", "Astana hosts forum")]), content_type="text/xml")
    summary = world.run({"Hops": s.url("/hop/0")})
    world.assert_good_stored(summary)
    assert [r[2] for r in world.articles("Hops")] == ["Astana hosts forum"]


def test_slow_redirect_chain_shares_one_deadline(world: World) -> None:
    s = world.server
    for i in range(5):  # each hop well inside the 2 s deadline, the chain far beyond it
        s.add_handler(f"/slowhop/{i}", hs.slow_redirect(f"/slowhop/{i + 1}", 0.7, world.stop))
    s.add(
        "/slowhop/5",
        feed_of(s, "/slowhopfeed", [story("slowhop-a", "Never reached")]),
        content_type="text/xml",
    )
    started = time.monotonic()
    summary = world.run({"SlowHops": s.url("/slowhop/0")})
    assert time.monotonic() - started < 15
    world.assert_good_stored(summary)
    world.assert_failed("SlowHops", "timed out", "within 2 s")
    assert s.hits("/slowhop/4") == 0


def test_redirect_without_location_or_to_another_scheme(world: World, tmp_path: Path) -> None:
    s = world.server
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-FILE-CONTENT", encoding="utf-8")
    s.add_handler("/noloc", hs.status(302))
    s.add_handler("/file", hs.redirect_to(secret.as_uri()))
    summary = world.run({"NoLocation": s.url("/noloc"), "FileScheme": s.url("/file")})
    world.assert_good_stored(summary)
    world.assert_failed("NoLocation", "without a Location")
    world.assert_failed("FileScheme", "unsupported URL scheme")
    assert "SECRET-FILE-CONTENT" not in repr(world.rows("SELECT * FROM fetch_log"))


def test_feed_moved_permanently_is_followed_and_reported(world: World) -> None:
    s = world.server
    s.add("/new/feed.xml", feed_of(s, "/new", [story("moved-a", "Bishkek talks")]), content_type="text/xml")
    s.add_handler("/old/feed.xml", hs.redirect_to("/new/feed.xml", 301))
    summary = world.run({"Moved": s.url("/old/feed.xml")})
    world.assert_good_stored(summary)
    report = next(r for r in summary.reports if r.name == "Moved")
    assert report.moved_to == s.url("/new/feed.xml")
    row = world.source("Moved")
    assert row["moved_to"] == s.url("/new/feed.xml") and row["consecutive_failures"] == 0
    assert [r[2] for r in world.articles("Moved")] == ["Bishkek talks"]


# --- size and time -----------------------------------------------------------------------------


@pytest.mark.parametrize("content_length", [True, False], ids=["with-length", "without-length"])
def test_body_far_over_max_bytes_is_cut(world: World, content_length: bool) -> None:
    s = world.server
    s.add_handler("/huge.xml", hs.endless(b"<item>" * 10000, 200_000_000, content_length=content_length))
    started = time.monotonic()
    summary = world.run({"Huge": s.url("/huge.xml")})
    assert time.monotonic() - started < 30
    world.assert_good_stored(summary)
    world.assert_failed("Huge", "response too large")


def test_article_over_max_bytes_is_recorded_in_the_log(world: World) -> None:
    s = world.server
    s.add_handler("/big/page", hs.endless(b"<p>word</p>" * 1000, 50_000_000, content_length=False))
    s.add("/big/feed.xml", rss("Big", s.url("/big/"), [("A huge page", s.url("/big/page"), "", None)]))
    summary = world.run({"Big": s.url("/big/feed.xml")})
    world.assert_good_stored(summary)
    report = next(r for r in summary.reports if r.name == "Big")
    assert report.failed == 1
    (article,) = [e for e in world.log("Big") if e[0] == "article"]
    assert article[2] == "error" and "response too large" in article[4]


@pytest.mark.parametrize("layers", [1, 2], ids=["gzip", "gzip-in-gzip"])
def test_gzip_bomb_is_cut_while_decoding(world: World, layers: int) -> None:
    s = world.server
    bomb = hs.gzip_bomb_bytes(1 << 30 if layers == 1 else 4 << 30, layers)  # 1 GiB / 4 GiB of zeros
    assert len(bomb) < 2_000_000
    s.add_handler("/bomb.xml", hs.gzip_bomb(bomb, layers, content_type="application/rss+xml"))
    s.add_handler("/bombs/page", hs.gzip_bomb(bomb, layers))
    s.add("/bombs/feed.xml", rss("Bombs", s.url("/bombs/"), [("Bomb page", s.url("/bombs/page"), "", None)]))
    summary = world.run({"Bomb": s.url("/bomb.xml"), "Bombs": s.url("/bombs/feed.xml")})
    world.assert_good_stored(summary)
    world.assert_failed("Bomb", "response too large")
    (article,) = [e for e in world.log("Bombs") if e[0] == "article"]
    assert "response too large" in article[4]


def test_trickling_server_is_cut_by_the_response_deadline(world: World) -> None:
    s = world.server
    body = feed_of(s, "/slow", [story("slow-a", "Never complete")])
    s.add_handler("/slow/feed.xml", hs.trickle(body, world.stop, interval=0.5))
    s.add_handler("/slowpage/page", hs.trickle(TEMPLATES[0](GOOD[0]).encode(), world.stop, interval=0.5))
    s.add(
        "/slowpage/feed.xml",
        rss("SP", s.url("/slowpage/"), [("Slow page", s.url("/slowpage/page"), "", None)]),
    )
    started = time.monotonic()
    summary = world.run({"Trickle": s.url("/slow/feed.xml"), "TricklePage": s.url("/slowpage/feed.xml")})
    # each byte comes well within the read timeout; only the whole-response deadline (2 s) stops it
    assert time.monotonic() - started < 20
    world.assert_good_stored(summary)
    world.assert_failed("Trickle", "timed out", "within 2 s")
    (article,) = [e for e in world.log("TricklePage") if e[0] == "article"]
    assert "timed out" in article[4]


def test_server_that_accepts_and_never_answers(world: World) -> None:
    silent = hs.SilentListener()
    world.server.add_handler("/stall.xml", hs.stall_after_headers(world.stop))
    try:
        started = time.monotonic()
        summary = world.run({"Silent": silent.url("/feed.xml"), "Stall": world.server.url("/stall.xml")})
        assert time.monotonic() - started < 20
    finally:
        silent.close()
    world.assert_good_stored(summary)
    world.assert_failed("Silent", "timed out")
    world.assert_failed("Stall", "timed out")


def test_garbage_and_cut_connections(world: World) -> None:
    s = world.server
    s.add_handler("/garbage.xml", hs.raw(b"HELLO THERE\r\n\r\n"))
    s.add_handler(
        "/cut.xml",
        hs.raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\n\r\n<rss version="),
    )
    summary = world.run({"Garbage": s.url("/garbage.xml"), "Cut": s.url("/cut.xml")})
    world.assert_good_stored(summary)
    world.assert_failed("Garbage", "connection failed")
    world.assert_failed("Cut", "connection failed")


# --- entity expansion ---------------------------------------------------------------------------

LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10)
    )
    + ']>\n<rss version="2.0"><channel><title>&lol9;</title><link>http://x/</link><description>d</description>'
    "<item><title>Laughs &lol9;</title><link>{link}</link><description>&lol9;</description></item>"
    "</channel></rss>"
)


def test_billion_laughs_is_not_expanded(world: World) -> None:
    s = world.server
    link = s.add("/laughs/a", TEMPLATES[0](story("laughs-a", "Laughing matter in Almaty")))
    s.add("/laughs.xml", LAUGHS.replace("{link}", link), content_type="application/rss+xml")
    started = time.monotonic()
    summary = world.run({"Laughs": s.url("/laughs.xml")})
    assert time.monotonic() - started < 30
    world.assert_good_stored(summary)
    row = world.source("Laughs")
    assert "entities are never expanded" in (row["feed_problem"] or row["last_error"] or "")
    everything = repr(world.rows("SELECT * FROM article")) + repr(world.rows("SELECT * FROM source"))
    assert "lollollol" not in everything


@pytest.mark.parametrize("padding", [0, 70_000], ids=["at-top", "after-70kb-comment"])
def test_external_entities_never_read_files_or_make_requests(
    world: World, http_server: Callable[..., NewsServer], tmp_path: Path, padding: int
) -> None:
    s = world.server
    internal = http_server("127.0.0.2")
    internal.add("/xxe", "INTERNAL-XXE-BODY", content_type="text/plain")
    secret = tmp_path / "secret.txt"
    token = f"TOP-SECRET-{uuid.uuid4()}"
    secret.write_text(token, encoding="utf-8")
    link = s.add("/xxe/a", TEMPLATES[1](story("xxe-a", "Dushanbe water summit")))
    body = (
        '<?xml version="1.0"?>\n'
        + "<!--"
        + " " * padding
        + "-->\n"
        + f'<!DOCTYPE rss [\n <!ENTITY xxe SYSTEM "{secret.as_uri()}">\n'
        f' <!ENTITY web SYSTEM "{internal.url("/xxe")}">\n'
        f' <!ENTITY % pe SYSTEM "{internal.url("/xxe")}"> %pe;\n]>\n'
        '<rss version="2.0"><channel><title>T &xxe;</title><link>http://x/</link><description>&web;</description>'
        f"<item><title>Item &xxe; &web;</title><link>{link}</link><description>&xxe;</description></item>"
        "</channel></rss>"
    )
    ext = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "' + internal.url("/xxe") + '">\n'
        '<rss version="2.0"><channel><title>T</title><link>http://x/</link><description>d</description>'
        "</channel></rss>"
    )
    s.add("/xxe.xml", body, content_type="application/rss+xml")
    s.add("/extdtd.xml", ext, content_type="application/rss+xml")
    summary = world.run({"XXE": s.url("/xxe.xml"), "ExtDTD": s.url("/extdtd.xml")})
    world.assert_good_stored(summary)
    everything = "".join(
        repr(world.rows(f"SELECT * FROM {table}")) for table in ("article", "source", "fetch_log", "run")
    )
    assert token not in everything
    assert "INTERNAL-XXE-BODY" not in everything
    assert internal.requests == []


# --- charsets ----------------------------------------------------------------------------------


def _page(title: str, paragraphs: list[str], meta_charset: str | None) -> str:
    meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head>{meta}<title>{html.escape(title)}</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>{html.escape(title)}</h1>{body}</article></body></html>"
    )


CHARSET_CASES = [
    # (slug, encoding of the bytes, Content-Type header, <meta charset>, text, prefix BOM)
    ("cp1251-meta", "windows-1251", "text/html", "windows-1251", RUSSIAN, False),
    ("cp1251-header-lies", "windows-1251", "text/html; charset=utf-8", "windows-1251", RUSSIAN, False),
    ("koi8r-undeclared", "koi8-r", "text/html", None, RUSSIAN, False),
    ("gb2312-header", "gb18030", "text/html; charset=gb2312", None, CHINESE, False),
    ("utf8-bom-wrong-header", "utf-8", "text/html; charset=iso-8859-1", None, RUSSIAN, True),
]


def test_wrong_and_missing_charsets_store_the_right_text(world: World) -> None:
    s = world.server
    items = []
    for slug, encoding, ctype, meta, paragraphs, bom in CHARSET_CASES:
        title = ("Заголовок " if paragraphs is RUSSIAN else "标题 ") + slug
        data = _page(title, paragraphs, meta).encode(encoding)
        if bom:
            data = b"\xef\xbb\xbf" + data
        url = s.add(f"/cs/{slug}", data, content_type=ctype)
        items.append((title, url, "", None))
    # the feed itself in windows-1251, declared only in the XML declaration
    feed = rss("Кодировки", s.url("/cs/"), items, encoding="windows-1251")
    feed_bytes = feed.encode("windows-1251", errors="xmlcharrefreplace")  # Chinese titles as &#...;
    s.add("/cs/feed.xml", feed_bytes, content_type="application/rss+xml")
    summary = world.run({"Charsets": s.url("/cs/feed.xml")})
    world.assert_good_stored(summary)
    stored = {canonicalize(r[0]).rsplit("/", 1)[1]: r for r in world.articles("Charsets")}
    assert set(stored) == {c[0] for c in CHARSET_CASES}
    for slug, _enc, _ct, _meta, paragraphs, _bom in CHARSET_CASES:
        _url, _canon, title, text, _pub = stored[slug]
        assert title.endswith(slug) and title.split()[0] in ("Заголовок", "标题"), (slug, title)
        for para in paragraphs:
            assert para[:40] in text, (slug, text[:200])
        assert "\ufffd" not in text


# --- links -------------------------------------------------------------------------------------


def test_non_html_links_are_skipped_with_a_reason(world: World) -> None:
    s = world.server
    s.add("/media/report.pdf", b"%PDF-1.4\n%binary", content_type="application/pdf")
    s.add("/media/photo.jpg", b"\xff\xd8\xff\xe0JFIF", content_type="image/jpeg")
    s.add("/media/clip", b"\x00\x00\x00\x18ftypmp4", content_type="video/mp4")
    items = [
        ("A report", s.url("/media/report.pdf"), "", None),
        ("A photo", s.url("/media/photo.jpg"), "", None),
        ("A clip", s.url("/media/clip"), "", None),
    ]
    s.add("/media/feed.xml", rss("Media", s.url("/media/"), items), content_type="application/rss+xml")
    summary = world.run({"Media": s.url("/media/feed.xml")})
    world.assert_good_stored(summary)
    report = next(r for r in summary.reports if r.name == "Media")
    assert report.skipped == 3 and report.failed == 0
    reasons = {e[1].rsplit("/", 1)[1]: e for e in world.log("Media") if e[0] == "article"}
    assert reasons["report.pdf"][2] == "skipped" and "application/pdf is not HTML" in reasons["report.pdf"][4]
    assert "image/jpeg is not HTML" in reasons["photo.jpg"][4]
    assert "video/mp4 is not HTML" in reasons["clip"][4]
    assert world.articles("Media") == []
    assert world.source("Media")["consecutive_failures"] == 0  # skipping links is not a failing source


def test_odd_entries_links_guids_and_dates(world: World) -> None:
    s = world.server
    rel = story("rel-a", "Relative link story from Tashkent")
    dup1 = story("dup-1", "Same guid, first story about Osh")
    dup2 = story("dup-2", "Same guid, second story about Khujand")
    future = story("future-a", "Story dated in the year 2999")
    baddate = story("baddate-a", "Story with a nonsense date")
    for i, art in enumerate([rel, dup1, dup2, future, baddate]):
        s.add(f"/odd/{art.slug}", TEMPLATES[i % 3](art).replace(art.published.isoformat(), ""))
    feed = f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Odd</title>
<link>{s.url("/odd/")}</link><description>d</description>
<item><title>No link at all</title><description>nothing to fetch</description></item>
<item><title>Empty link</title><link>   </link></item>
<item><title>Script link</title><link>javascript:alert(document.cookie)</link></item>
<item><title>Data link</title><link>data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;</link></item>
<item><title>Mail link</title><link>mailto:editor@example.org</link></item>
<item><title>{rel.title}</title><link>rel-a</link></item>
<item><title>{dup1.title}</title><link>{s.url("/odd/dup-1")}</link><guid>same-guid</guid></item>
<item><title>{dup2.title}</title><link>{s.url("/odd/dup-2")}</link><guid>same-guid</guid></item>
<item><title>{dup1.title} (repeated)</title><link>{s.url("/odd/dup-1")}</link><guid>same-guid</guid></item>
<item><title>{future.title}</title><link>{s.url("/odd/future-a")}</link><pubDate>Fri, 01 Jan 2999 00:00:00 GMT</pubDate></item>
<item><title>{baddate.title}</title><link>{s.url("/odd/baddate-a")}</link><pubDate>the day after tomorrow, 25:99</pubDate></item>
</channel></rss>"""
    s.add("/odd/feed.xml", feed, content_type="application/rss+xml")
    summary = world.run({"Odd": s.url("/odd/feed.xml")})
    world.assert_good_stored(summary)
    stored = {r[1]: r for r in world.articles("Odd")}
    expected = {canonicalize(s.url(f"/odd/{a.slug}")) for a in (rel, dup1, dup2, future, baddate)}
    assert set(stored) == expected
    assert s.hits("/odd/dup-1") == 1  # the repeated entry is fetched once
    for slug in ("future-a", "baddate-a"):
        # a date in 2999 or a nonsense date is not believed; the page's own date may stand instead
        published = stored[canonicalize(s.url(f"/odd/{slug}"))][4]
        assert published is None or published.year == 2026, (slug, published)
    row = world.source("Odd")
    assert row["consecutive_failures"] == 0
    assert "5 entries without a usable link skipped" in row["feed_problem"]
    fetched = world.rows("SELECT url FROM fetch_log WHERE kind <> 'link'")
    assert not any("javascript" in r[0] or "data:" in r[0] for r in fetched)
    # each link not taken is in the fetch log with its reason, never fetched
    reasons = {r[1]: r[4] for r in world.log("Odd") if r[0] == "link"}
    assert "unsupported URL scheme 'javascript'" in reasons["javascript:alert(document.cookie)"]
    assert "unsupported URL scheme 'mailto'" in reasons["mailto:editor@example.org"]
    assert len(reasons) == 4  # the empty link and the missing one are both "(none)"


def test_titles_with_markup_and_script_are_stored_as_plain_text(world: World) -> None:
    s = world.server
    art = story("markup-a", "Plain headline")
    url = s.add("/markup/a", TEMPLATES[2](art))
    art2 = story("markup-b", "Second headline")
    url2 = s.add("/markup/b", TEMPLATES[2](art2))
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>M</title><link>{s.url("/markup/")}</link>
<description>d</description>
<item><title>&lt;b&gt;Kazakh&lt;/b&gt; &lt;i&gt;budget&lt;/i&gt; passes&lt;script&gt;alert("x")&lt;/script&gt;</title>
<link>{url}</link></item>
<item><title><![CDATA[<img src=x onerror=alert(1)>Uzbek <em>reforms</em> &amp; <style>p{{}}</style>plans]]></title>
<link>{url2}</link></item>
</channel></rss>"""
    s.add("/markup/feed.xml", feed, content_type="application/rss+xml")
    summary = world.run({"Markup": s.url("/markup/feed.xml")})
    world.assert_good_stored(summary)
    titles = sorted(r[2] for r in world.articles("Markup"))
    assert titles == ["Kazakh budget passes", "Uzbek reforms & plans"]


# --- private networks --------------------------------------------------------------------------


def _private_world(world: World, internal: NewsServer) -> dict[str, str]:
    s = world.server
    internal.add("/secret", TEMPLATES[0](story("secret", "Internal admin page")))
    internal.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    port = internal.port
    s.add_handler("/priv/redirect", hs.redirect_to(f"http://internal.test:{port}/secret"))
    s.add_handler("/priv/redirect-ip", hs.redirect_to(f"http://127.0.0.2:{port}/secret", 301))
    ok = s.add("/priv/fine", TEMPLATES[0](story("priv-fine", "A public story from Ashgabat")))
    items = [
        ("By name", f"http://internal.test:{port}/secret", "", None),
        ("By address", f"http://127.0.0.2:{port}/secret?x=1", "", None),
        ("Mapped v6", f"http://mapped.test:{port}/secret?x=2", "", None),
        ("Redirect by name", s.url("/priv/redirect"), "", None),
        ("Redirect by address", s.url("/priv/redirect-ip"), "", None),
        ("Fine", ok, "", None),
    ]
    s.add("/priv/feed.xml", rss("Priv", s.url("/priv/"), items), content_type="application/rss+xml")
    return {"Priv": s.url("/priv/feed.xml")}


def test_links_and_redirects_to_private_addresses_are_refused(
    world: World, http_server: Callable[..., NewsServer]
) -> None:
    internal = http_server("127.0.0.2")
    sources = _private_world(world, internal)
    resolver = hosts_resolver({"internal.test": "127.0.0.2", "mapped.test": "::ffff:127.0.0.2"})
    summary = world.run(sources, resolver=resolver)
    world.assert_good_stored(summary)
    assert internal.requests == []  # not even robots.txt
    report = next(r for r in summary.reports if r.name == "Priv")
    assert report.skipped == 5 and report.new + report.duplicate == 1
    refused = [e for e in world.log("Priv") if e[0] == "article" and e[2] == "skipped"]
    assert len(refused) == 5
    assert all("private, loopback or link-local" in e[4] for e in refused)
    assert [r[2] for r in world.articles("Priv")] == ["Fine"]


def test_private_addresses_are_fetched_when_allowed(
    world: World, http_server: Callable[..., NewsServer]
) -> None:
    """The control for the test above: the same links do reach the internal server when allowed."""
    internal = http_server("127.0.0.2")
    sources = _private_world(world, internal)
    resolver = hosts_resolver({"internal.test": "127.0.0.2", "mapped.test": "127.0.0.2"})
    summary = world.run(sources, settings="allow_private_networks: true", resolver=resolver)
    world.assert_good_stored(summary)
    assert internal.hits("/secret") >= 3
    assert any(r.headers.get("host") == f"internal.test:{internal.port}" for r in internal.requests)


# --- failing sources ---------------------------------------------------------------------------


def test_failing_source_is_backed_off_never_disabled_and_shown_in_sources_check(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    s = world.server
    s.add_handler("/down.xml", hs.status(500, body=b"database connection failed"))
    url = s.url("/down.xml")
    for _ in range(3):
        world.assert_good_stored(world.run({"Down": url}))
        con = duckdb.connect(str(world.db))  # as if the back-off delay had passed
        con.execute("UPDATE source SET next_poll_at = now() - INTERVAL 1 MINUTE WHERE name = 'Down'")
        con.close()
    row = world.source("Down")
    assert row["consecutive_failures"] == 3 and row["enabled"]
    assert s.hits("/down.xml") == 3
    # not due yet: the next run leaves it alone and says so
    con = duckdb.connect(str(world.db))
    con.execute("UPDATE source SET next_poll_at = now() + INTERVAL 2 HOUR WHERE name = 'Down'")
    con.close()
    summary = world.run({"Down": url})
    world.assert_good_stored(summary)
    report = next(r for r in summary.reports if r.name == "Down")
    assert report.status == "backing_off" and "failing (3x)" in (report.error or "")
    assert s.hits("/down.xml") == 3
    assert backoff_delay(1) == timedelta(minutes=30) and backoff_delay(3) == timedelta(hours=2)
    assert backoff_delay(30) == timedelta(days=1)  # polled daily at worst, never dropped

    capsys.readouterr()
    sources = str(world.tmp / "sources.yaml")
    assert main(["sources", "check", "--db", str(world.db), "--sources", sources]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "Down" in x)
    assert "failing since" in line and " 3 " in line and "HTTP 500" in line
    good = next(x for x in out.splitlines() if "Good" in x)
    assert " ok " in good


# --- bounded resources -------------------------------------------------------------------------


def test_all_hostile_sources_in_one_run_stay_bounded(tmp_path: Path) -> None:
    """Every misbehaviour at once through the installed command: a sanity bound, not the benchmark
    (`python -m benchmarks.bench_hostile` measures the default settings against 3 min and 1 GB)."""
    from benchmarks.bench_hostile import run_hostile

    result = run_hostile("timeout_seconds: 3\nmax_retries: 1", workdir=tmp_path)
    assert result["exit"] == 0, result["stderr_tail"]
    assert result["good_stored"] == result["good_expected"]
    assert result["internal_requests"] == 0
    assert result["failing_sources"] >= 14
    assert result["seconds"] < 180 and result["peak_bytes"] < 1 << 30, result


# --- parser bombs -------------------------------------------------------------------

_BOMB_PARAGRAPH = "<p>" + "Bishkek and Dushanbe agreed on new border crossings this week. " * 10 + "</p>"
PAGE_BOMBS: dict[str, bytes] = {
    "nested": f"<html><body>{_BOMB_PARAGRAPH}{'<div>' * 200_000}deep{'</div>' * 200_000}</body></html>".encode(),
    "attributes": (
        f"<html><body>{_BOMB_PARAGRAPH}<div {' '.join(f'a{i}=v' for i in range(100_000))}>x</div></body></html>"
    ).encode(),
    "nul": f"<html><body>{_BOMB_PARAGRAPH.replace(' ', chr(0) + ' ')}{chr(0) * 500_000}</body></html>".encode(),
    "random": b'<html><head><meta charset="utf-8"></head><body>'
    + bytes(range(256)) * 4000
    + b"</body></html>",
}


def test_parser_bombs_and_a_3mb_doctype_cost_their_own_page_briefly(world: World) -> None:
    s = world.server
    items = [(f"Bomb {name}", s.add(f"/bombs/{name}", body), "", None) for name, body in PAGE_BOMBS.items()]
    fine = story("bombs-fine", "Astana hosts a regional water summit")
    items.append((fine.title, s.add("/bombs/fine", TEMPLATES[0](fine)), "", fine.published))
    s.add("/bombs.xml", rss("Bombs", s.url("/bombs/"), items), content_type="application/rss+xml")
    dtd_link = s.add("/dtd/a", TEMPLATES[1](story("dtd-a", "Tashkent rail link opens")))
    dtd = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "' + b"A" * 3_000_000 + b'">\n]>\n'
        b'<rss version="2.0"><channel><title>D &big;</title><link>http://x/</link><description>d</description>'
        + b"<item><title>Rail &big;</title><link>"
        + dtd_link.encode()
        + b"</link><description>&big;</description></item></channel></rss>"
    )
    s.add("/dtd.xml", dtd, content_type="application/rss+xml")
    for _ in range(2):  # the second run sees everything stored
        started = time.monotonic()
        summary = world.run(
            {"Bombs": s.url("/bombs.xml"), "DTD": s.url("/dtd.xml")}, settings="max_bytes: 20000000"
        )
        assert time.monotonic() - started < 60
        world.assert_good_stored(summary)
    stored = {row[0]: row[3] for row in world.articles("Bombs")}
    assert s.url("/bombs/fine") in stored
    for name in ("nested", "attributes", "nul"):  # parsed: the article inside the bomb is stored
        assert "Bishkek and Dushanbe agreed" in stored[s.url(f"/bombs/{name}")], name
    assert s.url("/bombs/random") not in stored  # no text, no feed summary: failed, not stored
    assert [row[0] for row in world.articles("DTD")] == [dtd_link]
    assert "AAAAAAAAAA" not in repr(world.rows("SELECT * FROM article")) + repr(world.source("DTD"))
    assert "entities are never expanded" in (world.source("DTD")["feed_problem"] or "")
