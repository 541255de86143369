"""URL normalisation: properties that must hold for any URL."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from flows.stages.net.urls import BadLink, canonicalize, host_of, request_url, resolve_link

segment = st.text(
    alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd"), max_codepoint=0x4FFF),
    min_size=1,
    max_size=8,
)
hosts = st.sampled_from(["example.org", "News.Example.COM", "xn--80ak6aa92e.com", "a.b.kz"])


@given(
    hosts,
    st.lists(segment, max_size=4),
    st.dictionaries(
        st.from_regex(r"[a-z]{1,6}", fullmatch=True),
        st.from_regex(r"[a-z0-9]{0,6}", fullmatch=True),
        max_size=4,
    ),
)
def test_canonicalize_is_idempotent_and_drops_tracking(
    host: str, path: list[str], params: dict[str, str]
) -> None:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    url = f"HTTPS://{host}/{'/'.join(path)}?{query}&utm_source=rss&fbclid=abc#comments"
    canon = canonicalize(url)
    assert canonicalize(canon) == canon
    query_of_canon = urlsplit(canon).query
    assert "utm_source" not in query_of_canon and "fbclid" not in query_of_canon and "#" not in canon
    assert canon.startswith("https://" + host.lower())


@given(st.permutations(["a=1", "b=2", "c=3"]))
def test_query_order_does_not_matter(order: list[str]) -> None:
    assert canonicalize("http://x.org/p?" + "&".join(order)) == canonicalize("http://x.org/p?a=1&b=2&c=3")


def test_examples() -> None:
    assert (
        canonicalize("https://Example.com:443/a/../b/index.html?utm_medium=x")
        == "https://example.com/b/index.html"
    )
    assert canonicalize("http://example.com/a/./b/") == "http://example.com/a/b/"
    assert canonicalize("https://example.com/#!/story/1") == "https://example.com/#!/story/1"


def test_resolve_link() -> None:
    base = "https://outlet.kz/rss/feed.xml"
    assert resolve_link("/news/1", base) == "https://outlet.kz/news/1"
    assert resolve_link("2026/11/x", base) == "https://outlet.kz/rss/2026/11/x"
    for bad, reason in [
        ("javascript:alert(1)", "unsupported URL scheme 'javascript'"),
        ("mailto:a@b", "unsupported URL scheme 'mailto'"),
        ("", "no link"),
        (None, "no link"),
    ]:
        with pytest.raises(BadLink, match=reason):
            resolve_link(bad, base)


def test_parameters_named_like_html_entities_survive() -> None:
    # courlan unescapes HTML entities in URL strings; a link is already unescaped text.
    for url in ("https://example.org/?a=0&gt=0", "https://example.org/p?x=1&copy=2&amp=3&lt=4"):
        canon = canonicalize(url)
        assert canonicalize(canon) == canon
        assert set(canon.split("?")[1].split("&")) == set(url.split("?")[1].split("&"))


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("http://127.0.0.1:99999/a", "Port out of range"),
        ("http://127.0.0.1:0/a", "port 0"),
        ("http://[::1/a", "Invalid IPv6 URL"),
        ("http://[127.0.0.1]/a", "cannot be in brackets"),
        ("https:///x", "no host"),
        ("http://news.test/a\x00b", "control character U+0000"),
        ("http://news.test/\x1b[31m", "control character U+001B"),
        ("http://user:pw@news.test/", "user name or password"),
        ("http://news.test/" + "a" * 100_000, "link too long"),
        ("mailto:desk@news.test", "unsupported URL scheme 'mailto'"),
        ("data:text/html,x", "unsupported URL scheme 'data'"),
        ("ftp://news.test/f", "unsupported URL scheme 'ftp'"),
        ("http://xn--zz.test/", "invalid punycode"),
        ("http://news .test/", "invalid character ' '"),
        ("http://news.test:port/", "Port could not be cast"),
    ],
)
def test_request_url_names_what_is_wrong(link: str, reason: str) -> None:
    with pytest.raises(BadLink, match=re.escape(reason)):
        request_url(link)


def test_request_url_encodes_idn_hosts_and_odd_paths_as_browsers_do() -> None:
    assert request_url("http://пример.қаз/ново сти?q=а") == (
        "http://xn--e1afmkfd.xn--80ao21a/%D0%BD%D0%BE%D0%B2%D0%BE%20%D1%81%D1%82%D0%B8?q=%D0%B0"
    )
    assert request_url("HTTPS://Президент.РФ:8443/a") == "https://xn--d1abbgf6aiiy.xn--p1ai:8443/a"
    assert request_url("http://news.test/100%zz") == "http://news.test/100%zz"  # sent as it stands
    assert request_url(" http://news.test/a\tb\n ") == "http://news.test/ab"  # as browsers strip them
    assert request_url("http://faß.test/") == "http://xn--fa-hia.test/"  # IDNA 2008, not 2003's "fass"
    # an emoji domain (IDNA 2003 only) is one host in either spelling
    assert request_url("http://💩.la/") == request_url("http://xn--ls8h.la/") == "http://xn--ls8h.la/"


@given(st.text(max_size=80), st.sampled_from(["http://news.test/", "https://пример.қаз/a/", "http://[::1]/"]))
@example("0\xa0", "http://news.test/")  # found by CI: canonicalize stripped the NBSP the wire kept
@example("#!", "http://news.test/")
@example("http://&。http://", "http://news.test/")  # IDNA 2003 let "&" through to the wire
@example("http://xn--\u200bhttp/", "http://news.test/")  # a ZWSP dropped left punycode that does not decode
def test_no_link_text_raises_anything_but_badlink(link: str, base: str) -> None:
    try:
        absolute = resolve_link(link, base)
    except BadLink:
        return
    wire = request_url(absolute)
    assert wire.isascii() and urlsplit(wire).scheme in ("http", "https")
    # the same page, but that a "#!" route (kept in the canonical form) never goes on the wire
    assert canonicalize(absolute).partition("#!")[0] == canonicalize(wire)


@given(
    st.sampled_from(["пример.қаз", "президент.рф", "тошкент.уз", "ÉCOLE.test", "faß.test"]),
    st.text(max_size=10),
)
def test_unicode_and_punycode_spellings_are_one_canonical_url(host: str, path: str) -> None:
    unicode_url = f"https://{host}/{path}"
    try:
        wire = request_url(unicode_url)
    except BadLink:
        return
    puny = f"https://{urlsplit(wire).netloc}/{path}"
    assert canonicalize(unicode_url) == canonicalize(puny)
    assert host_of(unicode_url) == host_of(puny) == urlsplit(wire).hostname


@given(st.text(max_size=60))
@example("\x1f0\n0")  # a refused link's stripped form was refused differently the second time
@example("\xa0http://http://")
def test_canonicalize_of_any_text_is_idempotent(text: str) -> None:
    once = canonicalize(text)
    assert canonicalize(once) == once


def test_links_lose_controls_spaces_and_invisible_marks_at_their_ends() -> None:
    assert resolve_link("\x01 http://news.test/a\x1f\n", "http://other.test/") == "http://news.test/a"
    assert canonicalize("\x0ehttp://news.test/a ") == "http://news.test/a"
    # a feed's <link>http://news.test/a&nbsp;</link>: the NBSP is the CMS's, not the URL's
    for link in ("http://news.test/a\xa0", "\ufeffhttp://news.test/a\u200b", "\u3000http://news.test/a"):
        assert request_url(link) == "http://news.test/a" == canonicalize(link)
    assert request_url("http://news.test/a\xa0b") == "http://news.test/a%C2%A0b"  # inside, it is the URL's
