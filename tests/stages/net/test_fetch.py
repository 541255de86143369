"""HTTP layer against a real server on loopback: retries, redirects, limits and guards."""

from __future__ import annotations

import asyncio
import base64
import time
from http.server import BaseHTTPRequestHandler

import pytest

from flows.config import Settings
from flows.stages.net.fetch import Fetcher, FetchResult, is_public_address, parse_retry_after
from tests.support.servers import NewsServer


def fetch(
    url: str,
    settings: Settings | None = None,
    trusted: set[str] | None = None,
    resolver: object = None,
    **kw: object,
) -> FetchResult:
    settings = settings or Settings(timeout_seconds=3, max_retries=2, allow_private_networks=True)

    async def go() -> FetchResult:
        async with Fetcher.open(
            settings,
            trusted_hosts=trusted or (),
            resolver=resolver,
            backoff_base=0.01,  # type: ignore[arg-type]
        ) as fetcher:
            return await fetcher.get(url, **kw)  # type: ignore[arg-type]

    return asyncio.run(go())


def test_ok_and_headers(server: NewsServer) -> None:
    res = fetch(server.add("/p", "<html>hi</html>", headers={"ETag": '"x"'}))
    assert res.ok and res.status == 200 and res.body == b"<html>hi</html>" and res.headers["etag"] == '"x"'
    assert server.requests[0].headers["user-agent"].startswith("newswatch/")


def test_retry_on_503_with_retry_after_then_success(server: NewsServer) -> None:
    calls = {"n": 0}

    def flaky(h: BaseHTTPRequestHandler) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            h.send_response(503)
            h.send_header("Retry-After", "1")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "2")
        h.end_headers()
        h.wfile.write(b"ok")

    started = time.monotonic()
    res = fetch(server.add_handler("/flaky", flaky))
    assert res.ok and res.body == b"ok" and res.attempts == 2
    assert time.monotonic() - started >= 0.9  # Retry-After honoured


def test_no_retry_on_404_and_retries_exhausted_on_500(server: NewsServer) -> None:
    res = fetch(server.add("/gone", "x", status=404))
    assert res.error == "HTTP 404" and server.hits("/gone") == 1
    res = fetch(server.add("/err", "x", status=500))
    assert res.error == "HTTP 500" and server.hits("/err") == 3


def test_redirect_chain_limit_and_loop(server: NewsServer) -> None:
    for i in range(7):
        server.add(f"/r{i}", "", status=302, headers={"Location": f"/r{i + 1}"})
    server.add("/r7", "<html>end</html>")
    assert "too many redirects" in (fetch(server.url("/r0")).error or "")
    res = fetch(server.url("/r3"))  # 4 hops: fine
    assert res.ok and res.final_url.endswith("/r7")
    server.add("/loop", "", status=301, headers={"Location": "/loop2"})
    server.add("/loop2", "", status=301, headers={"Location": "/loop"})
    assert fetch(server.url("/loop")).error


def test_permanent_move_reported(server: NewsServer) -> None:
    server.add("/old", "", status=301, headers={"Location": "/new"})
    server.add("/new", "<html>x</html>")
    res = fetch(server.url("/old"))
    assert res.ok and res.moved_to == server.url("/new")


def test_max_bytes_with_and_without_content_length(server: NewsServer) -> None:
    settings = Settings(timeout_seconds=3, max_bytes=2048, allow_private_networks=True)
    res = fetch(server.add("/big", b"x" * 100_000), settings)
    assert res.error and "too large" in res.error

    def chunked(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Connection", "close")
        h.end_headers()
        for _ in range(50):
            h.wfile.write(b"y" * 1000)

    res = fetch(server.add_handler("/stream", chunked), settings)
    assert res.error and "cut off" in res.error and res.body == b""


def test_non_html_is_skipped_with_reason(server: NewsServer) -> None:
    res = fetch(server.add("/doc.pdf", b"%PDF-1.4", content_type="application/pdf"))
    assert res.skipped and "application/pdf" in (res.error or "")


def test_deadline_cuts_a_trickling_server(server: NewsServer) -> None:
    def trickle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        try:
            for _ in range(1000):
                h.wfile.write(b"a")
                h.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    settings = Settings(timeout_seconds=1, max_retries=0, allow_private_networks=True)
    started = time.monotonic()
    res = fetch(server.add_handler("/slow", trickle), settings)
    assert res.error and "timed out" in res.error
    assert time.monotonic() - started < 5


def test_private_addresses_refused_before_connecting(http_server: object) -> None:
    internal = http_server("127.0.0.2")  # type: ignore[operator]
    internal.add("/secret", "<html>secret</html>")
    settings = Settings(timeout_seconds=2, allow_private_networks=False)

    async def hosts(host: str, port: int) -> list[str]:
        return {"internal.test": ["127.0.0.2"]}[host]

    res = fetch(f"http://internal.test:{internal.port}/secret", settings, resolver=hosts)
    assert res.skipped and "private" in (res.error or "")
    res = fetch(internal.url("/secret"), settings)
    assert res.skipped
    assert internal.requests == []
    # a trusted (configured feed) host is fetched
    assert fetch(internal.url("/secret"), settings, trusted={"127.0.0.2"}).ok


def test_redirect_to_private_refused(http_server: object) -> None:
    public = http_server()  # type: ignore[operator]
    internal = http_server("127.0.0.2")  # type: ignore[operator]
    internal.add("/x", "<html>x</html>")
    public.add("/go", "", status=302, headers={"Location": internal.url("/x")})
    settings = Settings(timeout_seconds=2, allow_private_networks=False)
    res = fetch(public.url("/go"), settings, trusted={"127.0.0.1"})
    assert res.skipped and internal.requests == []


def test_robots_txt(server: NewsServer) -> None:
    server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.add("/private/a", "<html>a</html>")
    server.add("/public/a", "<html>a</html>")
    assert fetch(server.url("/private/a"), check_robots=True).skipped
    assert fetch(server.url("/public/a"), check_robots=True).ok
    assert server.hits("/private/a") == 0


@pytest.mark.parametrize(
    ("addr", "public"),
    # loopback forms only: tests never name an address off this machine
    [("127.0.0.1", False), ("127.0.0.2", False), ("::1", False), ("::ffff:127.0.0.1", False)],
)
def test_is_public_address(addr: str, public: bool) -> None:
    assert is_public_address(addr) is public


def test_parse_retry_after() -> None:
    assert parse_retry_after("5") == 5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 10) == pytest.approx(10)
    assert parse_retry_after("soon") is None


def test_robots_txt_with_google_wildcards(server: NewsServer) -> None:
    server.add(
        "/robots.txt",
        "User-agent: *\nDisallow: /*?print=\nDisallow: /*.pdf$\nAllow: /news/\n",
        content_type="text/plain",
    )
    for path in ("/news/a?print=1", "/files/report.pdf", "/news/a", "/files/report.pdf.html"):
        server.add(path.split("?")[0], "<html>a</html>")
    assert fetch(server.url("/news/a?print=1"), check_robots=True).skipped
    assert fetch(server.url("/files/report.pdf"), check_robots=True).skipped
    assert fetch(server.url("/news/a"), check_robots=True).ok
    assert fetch(server.url("/files/report.pdf.html"), check_robots=True).ok  # "$" anchors the end
    assert server.hits("/files/report.pdf") == 0


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:99999/a", "http://[::1/a", "https:///x", "http://a\x00b.test/", "http://xn--zz.test/"],
)
def test_get_never_raises_for_a_bad_url(url: str) -> None:
    res = fetch(url)
    assert not res.ok and res.error and res.attempts == 0


# --- POST (webhooks) ---------------------------------------------------------------------------


def post(url: str, settings: Settings | None = None, **kw: object) -> FetchResult:
    settings = settings or Settings(timeout_seconds=3, max_retries=2, allow_private_networks=True)

    async def go() -> FetchResult:
        async with Fetcher.open(settings, backoff_base=0.01, **kw) as fetcher:  # type: ignore[arg-type]
            return await fetcher.post(url, b'{"n": 1}', headers={"Content-Type": "application/json"})

    return asyncio.run(go())


def test_post_sends_the_body_and_reads_the_answer(server: NewsServer) -> None:
    res = post(server.add("/hook", "accepted", status=202))
    assert res.ok and res.status == 202 and res.attempts == 1 and res.body == b"accepted"
    (seen,) = server.requests
    assert (seen.method, seen.path, seen.body) == ("POST", "/hook", b'{"n": 1}')
    assert seen.headers["content-type"] == "application/json" and seen.headers["user-agent"].startswith(
        "newswatch/"
    )


def test_post_to_a_private_address_is_refused_and_nothing_is_sent(http_server: object) -> None:
    internal = http_server("127.0.0.2")  # type: ignore[operator]
    internal.add("/hook", "ok")
    settings = Settings(timeout_seconds=2, max_retries=2, allow_private_networks=False)

    async def hosts(host: str, port: int) -> list[str]:
        return {"internal.test": ["127.0.0.2"]}[host]

    res = post(f"http://internal.test:{internal.port}/hook", settings, resolver=hosts)
    assert not res.ok and res.skipped and "private" in (res.error or "") and res.attempts == 1
    res = post(internal.url("/hook"), settings)
    assert not res.ok and "private" in (res.error or "")
    assert internal.requests == []
    assert post(internal.url("/hook"), settings, trusted_hosts={"127.0.0.2"}).ok  # a trusted host is reached
    assert [r.method for r in internal.requests] == ["POST"]


def test_post_is_retried_on_503_and_gives_up_after_max_retries(server: NewsServer) -> None:
    answers = [503, 200]

    def flaky(h: BaseHTTPRequestHandler) -> None:
        h.send_response(answers.pop(0))
        h.send_header("Content-Length", "0")
        h.end_headers()

    res = post(server.add_handler("/flaky", flaky))
    assert res.ok and res.status == 200 and res.attempts == 2
    assert [r.body for r in server.requests] == [b'{"n": 1}', b'{"n": 1}']  # the body sent again
    res = post(server.add("/down", "", status=500))
    assert res.error == "HTTP 500" and res.attempts == 3 and server.hits("/down") == 3
    res = post(server.add("/wrong", "", status=400))
    assert res.error == "HTTP 400" and res.attempts == 1


def test_post_follows_no_redirect(server: NewsServer) -> None:
    server.add("/elsewhere", "ok")
    res = post(server.add("/moved", "", status=307, headers={"Location": "/elsewhere"}))
    assert res.error == "HTTP 307" and res.status == 307 and res.attempts == 1
    assert server.hits("/elsewhere") == 0


def test_post_credentials_in_the_url_go_as_basic_authorization(server: NewsServer) -> None:
    url = server.add("/hook", "ok").replace("://", "://hook%40user:s3cr%2Ft@")
    assert post(url).ok
    (seen,) = server.requests
    assert seen.path == "/hook"
    assert seen.headers["authorization"] == "Basic " + base64.b64encode(b"hook@user:s3cr/t").decode()


def test_post_goes_through_the_proxy_and_the_guard_still_applies(
    http_server: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = http_server("127.0.0.3")  # type: ignore[operator]
    monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
    proxy.add("http://hooks.test/in", "ok")
    names = {"hooks.test": ["127.0.0.1"], "internal.test": ["127.0.0.2"]}

    async def hosts(host: str, port: int) -> list[str]:
        return names[host]

    settings = Settings(timeout_seconds=3, max_retries=0)
    res = post("http://hooks.test/in", settings, resolver=hosts, trusted_hosts={"hooks.test"})
    assert res.ok, res.error
    assert [(r.method, r.path, r.body) for r in proxy.requests] == [
        ("POST", "http://hooks.test/in", b'{"n": 1}')
    ]
    res = post("http://internal.test/in", settings, resolver=hosts, trusted_hosts={"hooks.test"})
    assert res.skipped and "private" in (res.error or "")
    assert len(proxy.requests) == 1  # nothing more reached the proxy


def test_an_unexpected_post_error_logs_the_host_not_the_webhooks_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A webhook's path and query carry its token: a log line names only where the POST went."""
    import httpx

    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a transport bug")

    with caplog.at_level("WARNING", logger="flows.stages.net.fetch"):
        res = post("http://hooks.example/services/T0/B0/s3cretToken", transport=httpx.MockTransport(broken))
    assert res.error is not None and "RuntimeError" in res.error
    assert "hooks.example" in caplog.text and "s3cretToken" not in caplog.text
