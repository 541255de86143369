"""Shared fixtures: real HTTP servers on loopback, real DuckDB files, a Prefect home in tmp."""

from __future__ import annotations

import os
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

PROXY_AND_CA_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ssl_cert_file", "ssl_cert_dir"}

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="newswatch-prefect-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.pop("PREFECT_API_URL", None)
for _var in [v for v in os.environ if v.startswith("NEWSWATCH_")]:
    os.environ.pop(_var)
# the machine's proxy and CA settings are not the tests': those that need them set their own
for _var in [v for v in os.environ if v.lower() in PROXY_AND_CA_VARS]:
    os.environ.pop(_var)

ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop Prefect's temporary servers while pytest's output is still open: stopped at exit,
    they log to a closed stream and print a traceback after the summary."""
    import sys

    module = sys.modules.get("prefect.server.api.server")
    if module is None:
        return
    for server in list(module.SubprocessASGIServer._instances.values()):
        server.stop()


Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    handler: Handler | None = None


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-response (a size limit, a killed run) is what several tests
    do on purpose: no traceback for it."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class NewsServer:
    """A threaded HTTP server on a loopback address serving routes the test sets; it logs requests."""

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append(
                        SeenRequest("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
                    )
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
                if route is None:
                    self._send(404, {"Content-Type": "text/plain"}, b"not found")
                    return
                if route.handler is not None:
                    route.handler(self)
                    return
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self._send(304, {"ETag": route.etag}, b"")
                    return
                if route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified:
                    self._send(304, {"Last-Modified": route.last_modified}, b"")
                    return
                headers = dict(route.headers)
                if route.etag:
                    headers["ETag"] = route.etag
                if route.last_modified:
                    headers["Last-Modified"] = route.last_modified
                self._send(route.status, headers, route.body)

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if not any(k.lower() == "content-length" for k in headers):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

        self.httpd = _QuietServer((host, 0), _Handler)
        self.scheme = "http"
        if tls is not None:  # the handshake runs when a connection is accepted
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.httpd.daemon_threads = True
        self.host = host
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def add(
        self,
        path: str,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        hdrs = {"Content-Type": content_type, **(headers or {})}
        self.routes[path] = Route(data, status, hdrs, etag, last_modified)
        return self.url(path)

    def add_handler(self, path: str, handler: Handler) -> str:
        self.routes[path] = Route(handler=handler)
        return self.url(path)

    def add_story_feed(
        self,
        prefix: str,
        n: int,
        title: Callable[[int], str],
        before_page: Callable[[], None],
        *,
        summaries: bool = True,
        etag: str | None = None,
    ) -> list[str]:
        """An RSS feed at /PREFIX/feed.xml of `n` article pages; each page calls `before_page`
        (a delay, a gate) before it answers. Returns the article URLs."""
        from tests.support.pages import TEMPLATES, rss, story

        urls = []
        items = []
        for i in range(n):
            art = story(f"{prefix}-{i}", title(i))
            page = TEMPLATES[i % 3](art).encode()

            def handle(h: BaseHTTPRequestHandler, page: bytes = page) -> None:
                before_page()
                h.send_response(200)
                h.send_header("Content-Type", "text/html; charset=utf-8")
                h.send_header("Content-Length", str(len(page)))
                h.end_headers()
                h.wfile.write(page)

            url = self.add_handler(f"/{prefix}/{art.slug}", handle)
            urls.append(url)
            items.append((art.title, url, art.paragraphs[0] if summaries else "", art.published))
        self.add(
            f"/{prefix}/feed.xml",
            rss(prefix.title(), self.url(f"/{prefix}/"), items),
            content_type="application/rss+xml",
            etag=etag,
        )
        return urls

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path.split("?")[0] == path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_server() -> Iterator[Callable[..., NewsServer]]:
    """Factory: `http_server()` on 127.0.0.1, `http_server("127.0.0.2")` for an 'internal' host."""
    servers: list[NewsServer] = []

    def make(host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> NewsServer:
        server = NewsServer(host, tls)
        servers.append(server)
        return server

    yield make
    for s in servers:
        s.close()


@pytest.fixture
def server(http_server: Callable[..., NewsServer]) -> NewsServer:
    return http_server()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "newswatch.duckdb"


@pytest.fixture
def seeds_dir() -> Path:
    return ROOT / "seeds"
