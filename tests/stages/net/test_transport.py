"""Connections: TLS verified per host name, IDN hosts on the wire, proxies and CAs from the environment.

Every name here resolves to a loopback address through a resolver the test controls.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from pathlib import Path

import pytest
import trustme

from flows.config import Settings
from flows.stages.net.fetch import Fetcher, FetchResult
from tests.stages.net.test_netguard import get_all
from tests.support.servers import NewsServer


@pytest.fixture
def ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """A private CA that the fetcher trusts through SSL_CERT_FILE, as httpx users set it."""
    authority = trustme.CA()
    pem = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    return authority


def tls_server(http_server: Callable[..., NewsServer], ca: trustme.CA, *names: str) -> NewsServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    server = http_server("127.0.0.1", tls=context)
    server.add("/page", "<html><body>served</body></html>")
    return server


def test_tls_is_verified_for_each_host_name_even_on_one_address(
    http_server: Callable[..., NewsServer], ca: trustme.CA
) -> None:
    server = tls_server(http_server, ca, "good.test")
    names = {"good.test": "127.0.0.1", "other.test": "127.0.0.1"}
    settings = Settings(timeout_seconds=5, max_retries=0, allow_private_networks=True)
    first, other, again = get_all(
        [f"https://{n}:{server.port}/page" for n in ("good.test", "other.test", "good.test")], settings, names
    )
    assert first.ok and first.body == b"<html><body>served</body></html>"
    # the connection verified for good.test is never reused for other.test: its handshake fails
    assert not other.ok and "certificate" in (other.error or "").lower(), other.error
    assert again.ok
    assert server.hits("/page") == 2


def test_idn_host_gets_sni_host_header_and_certificate_of_its_ascii_name(
    http_server: Callable[..., NewsServer], ca: trustme.CA
) -> None:
    server = tls_server(http_server, ca, "xn--d1abbgf6aiiy.xn--p1ai")  # президент.рф
    settings = Settings(timeout_seconds=5, max_retries=0, allow_private_networks=True)
    (res,) = get_all([f"https://президент.рф:{server.port}/page"], settings, {"президент.рф": "127.0.0.1"})
    assert res.ok, res.error
    assert res.url == f"https://президент.рф:{server.port}/page"  # as the feed gave it
    assert server.requests[-1].headers["host"] == f"xn--d1abbgf6aiiy.xn--p1ai:{server.port}"


def test_an_unknown_ca_fails_without_ssl_cert_file(
    http_server: Callable[..., NewsServer], tmp_path: Path
) -> None:
    authority = trustme.CA()
    server = tls_server(http_server, authority, "good.test")
    settings = Settings(timeout_seconds=5, max_retries=0, allow_private_networks=True)
    (res,) = get_all([f"https://good.test:{server.port}/page"], settings, {"good.test": "127.0.0.1"})
    assert not res.ok and "certificate" in (res.error or "").lower()
    assert server.hits("/page") == 0


@pytest.fixture
def proxy(http_server: Callable[..., NewsServer], monkeypatch: pytest.MonkeyPatch) -> NewsServer:
    """A forward proxy on loopback: it answers absolute-form requests itself and logs them."""
    server = http_server("127.0.0.3")
    monkeypatch.setenv("HTTP_PROXY", server.url(""))
    monkeypatch.setenv("NO_PROXY", "direct.test")
    return server


def test_http_proxy_and_no_proxy_from_the_environment(
    proxy: NewsServer, http_server: Callable[..., NewsServer]
) -> None:
    direct = http_server()
    direct.add("/d", "<html>direct</html>")
    proxy.add("http://news.test/via-proxy", "<html>through the proxy</html>")
    mapping = {"news.test": "127.0.0.1", "direct.test": "127.0.0.1"}
    settings = Settings(timeout_seconds=3, max_retries=0)
    via, straight = get_all(
        ["http://news.test/via-proxy", f"http://direct.test:{direct.port}/d"],
        settings,
        mapping,
        trusted={"news.test", "direct.test"},
    )
    assert via.ok and via.body == b"<html>through the proxy</html>", via.error
    assert [r.path for r in proxy.requests] == ["http://news.test/via-proxy"]
    assert straight.ok and direct.hits("/d") == 1


def test_the_private_address_guard_applies_to_what_a_proxy_fetches(proxy: NewsServer) -> None:
    settings = Settings(timeout_seconds=3, max_retries=0)
    (res,) = get_all(["http://internal.test/secret"], settings, {"internal.test": "127.0.0.2"})
    assert res.skipped and "private" in (res.error or "")
    assert proxy.requests == []


def test_trust_store_system_uses_truststore_unless_ssl_cert_file_is_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import truststore

    from flows.stages.net.transport import ssl_context

    assert isinstance(ssl_context(Settings(trust_store="system")), truststore.SSLContext)
    assert not isinstance(ssl_context(Settings()), truststore.SSLContext)
    pem = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    context = ssl_context(Settings(trust_store="system"))
    assert not isinstance(context, truststore.SSLContext)
    assert len(context.get_ca_certs()) == 1  # that file's CA and nothing else


def test_a_proxied_name_that_does_not_resolve_is_a_connection_error(proxy: NewsServer) -> None:
    async def offline(host: str, port: int) -> list[str]:
        raise OSError(f"{host}: the test resolves no name")

    async def go() -> FetchResult:
        async with Fetcher.open(Settings(timeout_seconds=3, max_retries=0), resolver=offline) as fetcher:
            return await fetcher.get("http://nowhere.test/a")

    res = asyncio.run(go())
    assert not res.ok and (res.error or "").startswith(
        "name resolution failed: cannot resolve nowhere.test"
    ), res.error
    assert proxy.requests == []
