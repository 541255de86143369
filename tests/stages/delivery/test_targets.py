"""A webhook URL as it may be shown or stored: its origin only, whatever its path, query or
credentials hold."""

from __future__ import annotations

import string
from urllib.parse import quote, unquote

from hypothesis import given
from hypothesis import strategies as st

from flows.stages.delivery.targets import is_webhook_target, shown_url, webhook_target, without_urls

# a secret as a URL may carry it unencoded (RFC 3986: unreserved and sub-delimiters, ':'), or any
# text percent-encoded
RAW = st.text(
    st.sampled_from(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:"), min_size=12, max_size=40
)
ANY = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=12, max_size=40).map(
    lambda s: quote(s, safe="")
)
HOST = st.sampled_from(
    ["hooks.slack.com", "127.0.0.1:8443", "[::1]:9000", "outlook.office.com", "xn--e1afmkfd.xn--p1ai"]
)


@given(
    scheme=st.sampled_from(["https", "http", "HTTPS"]),
    host=HOST,
    secret=st.one_of(RAW, ANY),
    where=st.sampled_from(["path", "query", "userinfo", "fragment"]),
)
def test_only_the_origin_of_a_webhook_is_ever_shown(scheme: str, host: str, secret: str, where: str) -> None:
    token = "K" + secret
    url = {
        "path": f"{scheme}://{host}/services/T0/{token}",
        "query": f"{scheme}://{host}/hook?token={token}&x=1",
        "userinfo": f"{scheme}://bot:{token}@{host}/hook",
        "fragment": f"{scheme}://{host}/hook#{token}",
    }[where]
    origin = f"{scheme.lower()}://{host}/…"
    assert shown_url(url) == origin
    assert webhook_target(url).startswith(origin + " #") and is_webhook_target(webhook_target(url))
    for message in (
        f"POST {url} failed: HTTP 500",
        f"connection failed: {url!r}",
        f"<{url}> refused; path {url.split(host, 1)[1]}",
    ):
        shown = without_urls(message, [url])
        assert token not in shown and unquote(token) not in shown, shown
        assert host in shown


def test_two_webhooks_on_one_host_are_told_apart() -> None:
    a, b = "https://hooks.slack.com/services/A/1", "https://hooks.slack.com/services/B/2"
    assert webhook_target(a) != webhook_target(b)
    assert webhook_target(a) == webhook_target(f" {a} ")
    assert not is_webhook_target(a)
    assert without_urls("nothing to hide here") == "nothing to hide here"
