"""URL normalisation: properties that must hold for any URL."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.urls import BadLink, canonicalize, resolve_link

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
