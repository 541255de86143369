"""Feed parsing: RSS and Atom, relative links, malformed feeds, entity declarations."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.stages.sources.feeds import FeedError, parse_feed
from tests.support.pages import atom, rss

BASE = "https://outlet.kz/rss/feed.xml"
WHEN = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def test_rss_entries_with_absolute_links_and_dates() -> None:
    body = rss(
        "O",
        "https://outlet.kz/",
        [("One", "/news/1", "<p>Sum <b>one</b></p>", WHEN), ("Two", "https://outlet.kz/news/2", "two", None)],
    ).encode()
    feed = parse_feed(body, BASE)
    assert feed.problem is None
    assert [e.link for e in feed.entries] == ["https://outlet.kz/news/1", "https://outlet.kz/news/2"]
    assert feed.entries[0].published_at == WHEN
    assert feed.entries[0].feed_text == "Sum one"
    assert feed.entries[1].published_at is None


def test_atom_and_rss1() -> None:
    feed = parse_feed(atom("A", "https://a.kz/", [("T", "x/1", "s", WHEN)]).encode(), "https://a.kz/feed/")
    assert feed.entries[0].link == "https://a.kz/feed/x/1"
    rdf = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://r.kz/"><title>R</title></channel>
    <item rdf:about="https://r.kz/1"><title>Item</title><link>https://r.kz/1</link></item></rdf:RDF>"""
    assert parse_feed(rdf, "https://r.kz/rss").entries[0].link == "https://r.kz/1"


def test_malformed_feed_with_entries_gives_them_and_a_problem() -> None:
    body = (
        rss("O", "https://o/", [("One", "https://o/1", "d", WHEN)])
        .encode()
        .replace(b"</channel>", b"<broken>")
    )
    feed = parse_feed(body, BASE)
    assert len(feed.entries) == 1
    assert feed.problem and "malformed" in feed.problem


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><body>Not a feed</body></html>", "HTML page"),
        (b"<rss><channel><item><title>x</broken", "malformed"),
        (b"just some text", "not a feed|malformed"),
    ],
)
def test_not_a_feed(body: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(body, BASE)


def test_entity_expansion_is_not_performed(tmp_path: object) -> None:
    lol = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">
    <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY ext SYSTEM "file:///etc/passwd">]>
    <rss version="2.0"><channel><title>T</title><item><title>&c; &ext;</title><link>https://o/1</link></item></channel></rss>"""
    feed = parse_feed(lol, BASE)
    assert feed.problem and "entity" in feed.problem
    for e in feed.entries:
        assert "aaaaaaaaaa" not in (e.title or "") and "root:" not in (e.title or "")


def test_entries_without_usable_links_are_dropped_and_counted() -> None:
    body = rss(
        "O",
        "https://o/",
        [
            ("No link", "", "d", None),
            ("JS", "javascript:void(0)", "d", None),
            ("Ok", "/ok", "d", None),
            ("Ok again", "/ok", "d", None),
        ],
    ).encode()
    feed = parse_feed(body, BASE)
    assert [e.title for e in feed.entries] == ["Ok"]
    assert len(feed.dropped) == 2


def test_future_and_garbage_dates_become_none() -> None:
    body = rss("O", "https://o/", [("F", "/f", "d", datetime(2099, 1, 1, tzinfo=UTC))]).encode()
    assert parse_feed(body, BASE, now=WHEN).entries[0].published_at is None
    garbage = body.replace(b"Thu, 01 Jan 2099 00:00:00 +0000", b"yesterday-ish")
    assert parse_feed(garbage, BASE, now=WHEN).entries[0].published_at is None


def test_title_markup_becomes_text() -> None:
    body = rss("O", "https://o/", [("<b>Bold</b> <script>alert(1)</script>news", "/1", "", None)]).encode()
    title = parse_feed(body, BASE).entries[0].title or ""
    assert "<" not in title and "alert" not in title and "Bold" in title


_ITEM = (
    b"<item><title>Item &big;</title><link>https://o/1</link><description>d &big;&big;</description></item>"
)
_REST = b'<rss version="2.0"><channel><title>C</title><link>https://o/</link>' + _ITEM + b"</channel></rss>"
_BIG = 3_000_000


@pytest.mark.parametrize(
    "body",
    [
        # a 3 MB "safe" entity (no references): feedparser re-declared it and its loose parser
        # expanded it in every use (66 s, 4 GB for 300 uses)
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "' + b"A" * _BIG + b'">\n]>\n' + _REST,
        # 100,000 entity declarations
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n'
        + b"".join(b'<!ENTITY e%d "some value">\n' % i for i in range(100_000))
        + b'<!ENTITY big "AAAAAAAAAAAAAAAAAAAAAAAAA">]>'
        + _REST,
        # the same in UTF-16, which feedparser converts before it looks at the DOCTYPE
        (
            '<?xml version="1.0" encoding="utf-16"?>\n<!DOCTYPE rss [\n<!ENTITY big "'
            + "A" * _BIG
            + '">\n]>\n'
        ).encode("utf-16")
        + _REST.decode().encode("utf-16")[2:],
        # stray declarations without a DOCTYPE and without ">": feedparser's own prolog regex
        # takes 1 s at 33 kB and 100 s at 330 kB on these
        b'<?xml version="1.0"?>\n' + b"\n<!ENTITY big" * 300_000 + _REST,
        # a million "]" that do not close the subset, then one that does
        b'<?xml version="1.0"?>\n<!DOCTYPE rss ['
        + b"] " * 1_000_000
        + b'<!ENTITY big "AAAAAAAAAAAAAAAAA">]>'
        + _REST,
    ],
    ids=["3mb-entity", "100k-declarations", "utf16-3mb-entity", "stray-declarations", "million-brackets"],
)
def test_large_doctypes_parse_briefly_and_expand_nothing(body: bytes) -> None:
    started = time.monotonic()
    feed = parse_feed(body, BASE)
    assert time.monotonic() - started < 5, "a 3 MB prolog must cost well under a second or so, not minutes"
    assert [e.link for e in feed.entries] == ["https://o/1"]
    entry = feed.entries[0]
    assert "AAAAAAAAAA" not in (entry.title or "") + entry.feed_text
    assert len(entry.title or "") < 100 and len(entry.feed_text) < 100


def test_billion_laughs_and_external_entities_expand_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN", encoding="utf-8")
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    body = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY l0 "lol">{levels}'
        f'<!ENTITY ext SYSTEM "{secret.as_uri()}"><!ENTITY % pe SYSTEM "{secret.as_uri()}"> %pe;]>\n'
        '<rss version="2.0"><channel><title>&l9;</title><item><title>Laughs &l9; &ext;</title>'
        "<link>https://o/1</link><description>&l9; &ext;</description></item></channel></rss>"
    ).encode()
    started = time.monotonic()
    feed = parse_feed(body, BASE)
    assert time.monotonic() - started < 5
    assert feed.problem and "entities are never expanded" in feed.problem
    assert [e.link for e in feed.entries] == ["https://o/1"]
    everything = f"{feed.title} {feed.entries[0].title} {feed.entries[0].feed_text}"
    assert "lollol" not in everything and "TOP-SECRET" not in everything


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "x">' + _REST, "DOCTYPE declaration never ends"),
        (b'<?xml version="1.0"?><!-- no end <rss version="2.0"></rss>', "comment before the root element"),
    ],
)
def test_prolog_that_never_ends_is_named(body: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(body, BASE)


def test_prolog_comments_and_stylesheets_are_dropped_without_a_problem() -> None:
    body = (
        b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>\n<!-- <b>generated</b> -->\n'
        b'<?xml-stylesheet href="s.xsl"?>\n<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "x.dtd">\n'
        + _REST.replace(b"&big;", b"")
    )
    feed = parse_feed(body, BASE)
    assert feed.problem is None
    assert [e.title for e in feed.entries] == ["Item"]


_RU_ITEM = (
    "<item><title>Новость {i}</title><link>http://a.test/{i}</link><description>Президент Казахстана"
    " провёл встречу с министром иностранных дел; стороны обсудили сотрудничество в энергетике."
    "</description></item>"
)


@pytest.mark.parametrize(
    ("declared", "sent", "content_type"),
    [
        ("windows-1251", "utf-8", None),  # a site moved to UTF-8, its template did not
        ("windows-1251", "utf-8", "application/rss+xml; charset=windows-1251"),
        ("utf-8", "cp1251", None),  # feedparser alone read these bytes as Latin-1
        ("utf-8", "cp1251", "text/xml; charset=utf-8"),
    ],
)
def test_a_feed_whose_bytes_are_not_what_its_label_says_is_read_as_written(
    declared: str, sent: str, content_type: str | None
) -> None:
    body = (
        f'<?xml version="1.0" encoding="{declared}"?><rss version="2.0"><channel><title>Лента</title>'
        + "".join(_RU_ITEM.format(i=i) for i in range(5))
        + "</channel></rss>"
    ).encode(sent)
    feed = parse_feed(body, "http://a.test/feed.xml", content_type=content_type)
    assert feed.title == "Лента"
    assert [e.title for e in feed.entries] == [f"Новость {i}" for i in range(5)]
    assert "Президент Казахстана" in (feed.entries[0].summary or "")


def _json_feed(items: list[object], **top: object) -> bytes:
    import json

    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "Лента", "items": items, **top}
    ).encode()


def test_json_feed_items_become_entries() -> None:
    body = _json_feed(
        [
            {
                "id": "a1",
                "url": "/news/1",
                "title": "Новость <b>дня</b>",
                "content_html": "<p>Текст</p>",
                "date_published": "2026-12-01T10:00:00+06:00",
                "authors": [{"name": "А. Иванова"}],
            },
            {
                "id": 2,
                "external_url": "https://other.test/story",
                "content_text": "one\n\ntwo",
                "summary": "s",
            },
            {"id": "no-link", "title": "Без ссылки"},
            "not an object",
        ],
        author={"name": "Редакция"},  # version 1's feed author: the fallback
    )
    feed = parse_feed(body, "http://a.test/feed.json", now=datetime(2026, 12, 1, 12, tzinfo=UTC))
    assert feed.title == "Лента"
    first, second = feed.entries
    assert (first.link, first.title, first.author, first.guid) == (
        "http://a.test/news/1",
        "Новость дня",
        "А. Иванова",
        "a1",
    )
    assert first.published_at == datetime(2026, 12, 1, 4, 0, tzinfo=UTC) and first.content == "<p>Текст</p>"
    assert (second.link, second.guid, second.author, second.summary) == (
        "https://other.test/story",
        "2",
        "Редакция",
        "s",
    )
    assert second.content == "<p>one</p><p>two</p>"
    assert len(feed.dropped) == 2 and feed.problem == "2 entries without a usable link skipped"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "malformed JSON feed"),
        (b'{"error": "rate limited"}', "not a feed: JSON without a JSON Feed version"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": {}}', "no list of items"),
    ],
)
def test_json_that_is_no_json_feed_says_so(body: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(body, "http://a.test/feed.json")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_ITEM = st.fixed_dictionaries(
    {},
    optional={
        k: _JSON | st.text(max_size=30)
        for k in (
            "id",
            "url",
            "external_url",
            "title",
            "content_html",
            "content_text",
            "summary",
            "date_published",
            "authors",
            "author",
        )
    },
)


@given(st.lists(_ITEM | _JSON, max_size=5), _JSON)
def test_no_json_feed_raises_anything_but_feederror(items: list[object], author: object) -> None:
    import json

    body = json.dumps(
        {"version": "https://jsonfeed.org/version/1", "items": items, "author": author}
    ).encode()
    try:
        feed = parse_feed(body, "http://a.test/feed.json")
    except FeedError:
        return
    assert all(e.link.startswith(("http://", "https://")) for e in feed.entries)
