from __future__ import annotations

import pytest

from flows.stages.sources.opml import OpmlError, parse_opml
from tests.support import ROOT

REAL = ROOT / "tests" / "fixtures" / "real" / "opml"


def test_attribute_names_in_any_case() -> None:
    """xmlUrl, xmlurl, xmlURL, XMLURL; htmlURL and newswatchtype for a source without a feed."""
    body = b"""<opml version="2.0"><body>
      <outline text="A" type="rss" xmlUrl="https://a.kz/rss"/>
      <outline text="B" type="rss" xmlurl="https://b.kz/rss"/>
      <outline TEXT="C" TYPE="rss" xmlURL="https://c.kz/rss" LANGUAGE="ru"/>
      <outline title="D" type="rss" XMLURL="https://d.kz/rss" NewswatchEnabled="false"/>
      <outline text="E" type="link" htmlURL="https://e.kz/news" newswatchtype="page"/>
    </body></opml>"""
    found, skipped = parse_opml(body)
    assert [(s.name, s.url, s.type, s.language, s.enabled) for s in found] == [
        ("A", "https://a.kz/rss", "feed", None, True),
        ("B", "https://b.kz/rss", "feed", None, True),
        ("C", "https://c.kz/rss", "feed", "ru", True),
        ("D", "https://d.kz/rss", "feed", None, False),
        ("E", "https://e.kz/news", "page", None, True),
    ]
    assert skipped == []


def test_a_feed_in_two_folders_is_one_source_with_both_tags() -> None:
    body = b"""<opml version="1.0"><body>
      <outline text="Central Asia">
        <outline text="Eurasianet" type="rss" xmlUrl="https://eurasianet.org/rss.xml" category="/KZ"/>
        <outline text="Other" type="rss" xmlUrl="https://other.kz/rss"/>
      </outline>
      <outline text="Wire">
        <outline text="Eurasianet again" type="rss" xmlUrl="https://eurasianet.org/rss.xml" category="/news"/>
      </outline>
      <outline text="Eurasianet" type="rss" xmlUrl="https://eurasianet.org/rss.xml"/>
    </body></opml>"""
    found, skipped = parse_opml(body)
    assert [(s.name, s.url, s.tags) for s in found] == [
        ("Eurasianet", "https://eurasianet.org/rss.xml", ["Central Asia", "KZ", "Wire", "news"]),
        ("Other", "https://other.kz/rss", ["Central Asia"]),
    ]
    assert skipped == []


def test_subscription_lists_and_includes_are_skipped_with_a_reason() -> None:
    body = b"""<opml version="2.0"><body>
      <outline text="A friend's list" type="source" xmlUrl="https://friend.example/subs.opml"/>
      <outline text="BBC Radio" type="include" url="https://www.bbc.co.uk/podcasts.opml">
        <outline text="Expanded child" type="rss" xmlUrl="https://bbc.example/child.rss"/>
      </outline>
      <outline type="Include" URL="https://x.example/list.opml"/>
      <outline text="Feed" type="rss" xmlUrl="https://feed.example/rss"/>
    </body></opml>"""
    found, skipped = parse_opml(body)
    assert [s.url for s in found] == ["https://feed.example/rss"]
    assert skipped == [
        'A friend\'s list: a subscription list (type="source"), not a feed',
        'BBC Radio: a link to another OPML file (type="include"), not a feed: import that file itself',
        'https://x.example/list.opml: a link to another OPML file (type="include"), not a feed: '
        "import that file itself",
    ]


def test_real_files_from_feed_readers_and_outliners() -> None:
    # Feedly: feeds in folders
    found, skipped = parse_opml((REAL / "feedly.opml").read_bytes())
    assert [(s.name, s.tags) for s in found] == [
        ("Elixir Lang", ["Programming"]),
        ("Zephyr Project", ["Programming"]),
        ("Python Insider", ["Programming"]),
        ("BeamNG.drive", ["Games"]),
        ("Vintage Story", ["Games"]),
    ]
    # Dave Winer's inclusion example: three links to other OPML files, none a feed
    found, skipped = parse_opml((REAL / "includes.opml").read_bytes())
    assert found == [] and [line.split(":")[0] for line in skipped] == ["Colors", "Kids names", "Veggies"]
    assert all('type="include"' in line for line in skipped)


def test_real_exports_with_a_comment_before_head_and_unknown_languages() -> None:
    """NewsBlur writes a comment before <head>; the specification's subscription list gives every
    feed `language="unknown"`: both import, the unknown language left out (detected per article)."""
    found, skipped = parse_opml((REAL / "newsblur.opml").read_bytes())
    assert [(s.name, s.tags) for s in found] == [
        ("Google Online Security Blog", ["Security"]),
        ("Blog on Library", ["Security"]),
        ("Schneier on Security", ["Security"]),
        ("Git Rev News", ["Programming"]),
        ("The Go Programming Language Blog", ["Programming"]),
    ]
    found, skipped = parse_opml((REAL / "subscriptionList.opml").read_bytes())
    assert len(found) == 13 and skipped == [] and {s.language for s in found} == {None}
    assert (found[0].name, found[0].url) == ("CNET News.com", "http://news.com.com/2547-1_3-0-5.xml")
    body = b"""<opml><body><outline text="A" xmlUrl="https://a.kz/rss" language="en-US"/>
      <outline text="B" xmlUrl="https://b.kz/rss" language="zh-CN"/>
      <outline text="C" xmlUrl="https://c.kz/rss" language="Klingon"/></body></opml>"""
    assert [s.language for s in parse_opml(body)[0]] == ["en", "zh-cn", None]


def test_not_opml() -> None:
    with pytest.raises(OpmlError, match="root element <html>"):
        parse_opml(b"<html><body/></html>")
    with pytest.raises(OpmlError, match="no <body>"):
        parse_opml(b"<opml><head/></opml>")
