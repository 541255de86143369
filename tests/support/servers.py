"""Servers on loopback for tests and benchmarks: `free_port`, and `NewsServer`, the threaded HTTP
server that tests point their sources at (routes set by the test, every request logged)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on at `host` just now, for servers that cannot bind port 0 themselves."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


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
    body: bytes = b""


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-response (a size limit, a killed run) is what several tests
    do on purpose: no traceback for it."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class NewsServer:
    """A threaded HTTP server on a loopback address serving routes the test sets, to GET and POST
    alike; it logs requests (a POST with its body)."""

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
                self._serve("GET", b"")

            def do_POST(self) -> None:
                self._serve("POST", self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _serve(self, method: str, body: bytes) -> None:
                with server._lock:
                    server.requests.append(
                        SeenRequest(method, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
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
